//! The MCP server, spoken to as a host would: the real binary, JSON-RPC over its stdin/stdout.
#![cfg(feature = "mcp")]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

struct Host {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<Value>,
}

impl Host {
    fn start() -> Host {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("rdperr"))
            .arg("mcp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, replies) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        Host {
            child,
            stdin,
            replies,
        }
    }

    fn send(&mut self, message: Value) {
        writeln!(self.stdin, "{message}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a request and waits (bounded) for the reply with the same id.
    fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let reply = self
                .replies
                .recv_timeout(Duration::from_secs(20))
                .expect("a reply within 20 s");
            if reply["id"] == id {
                return reply;
            }
        }
    }

    fn call(&mut self, id: u64, tool: &str, arguments: Value) -> Value {
        self.request(
            id,
            "tools/call",
            json!({"name": tool, "arguments": arguments}),
        )["result"]
            .clone()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_session() -> Host {
    let mut host = Host::start();
    let init = host.request(
        1,
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test-host", "version": "1"}}),
    );
    assert_eq!(init["result"]["serverInfo"]["name"], "rdperr");
    assert!(init["result"]["capabilities"]["tools"].is_object());
    host.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    host
}

#[test]
fn tools_are_listed_with_output_schemas() {
    let mut host = start_session();
    let list = host.request(2, "tools/list", json!({}));
    let tools = list["result"]["tools"].as_array().unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(
        names,
        ["decode_code", "list_errors", "lookup_error", "show_error"]
    );
    for t in tools {
        assert_eq!(t["outputSchema"]["type"], "object", "{}", t["name"]);
        assert_eq!(t["inputSchema"]["type"], "object", "{}", t["name"]);
    }
}

#[test]
fn lookup_returns_structured_matches_with_filled_commands() {
    let mut host = start_session();
    let result = host.call(
        2,
        "lookup_error",
        json!({"text": "Your credentials did not work", "limit": 2, "resource_group": "prod-rg", "vm": "web01"}),
    );
    assert_ne!(result["isError"], true);
    let sc = &result["structuredContent"];
    assert_eq!(sc["matches"][0]["id"], "rdp-credentials-rejected");
    assert!(sc["matches"][0]["entry"]["steps"]
        .as_array()
        .is_some_and(|s| !s.is_empty()));
    let commands = sc["commands"]["rdp-credentials-rejected"].to_string();
    assert!(
        commands.contains("-VMName web01") && commands.contains("prod-rg"),
        "{commands}"
    );
}

#[test]
fn no_match_is_a_normal_result_that_says_what_is_covered() {
    let mut host = start_session();
    let result = host.call(
        2,
        "lookup_error",
        json!({"text": "printer is out of paper"}),
    );
    assert_ne!(result["isError"], true);
    assert_eq!(result["structuredContent"]["matches"], json!([]));
    assert!(result["structuredContent"]["note"]
        .as_str()
        .unwrap()
        .contains("Remote Desktop"));
}

#[test]
fn show_list_and_decode() {
    let mut host = start_session();
    let shown = host.call(2, "show_error", json!({"id": "rdp-lsa-unreachable"}));
    assert_eq!(shown["structuredContent"]["entry"]["anchor"], "rdpauth");
    let unknown = host.call(3, "show_error", json!({"id": "rdp-nope"}));
    assert_eq!(unknown["isError"], true);
    let listed = host.call(4, "list_errors", json!({"category": "licensing"}));
    let errors = listed["structuredContent"]["errors"].as_array().unwrap();
    assert!(errors.len() >= 4 && errors.iter().all(|e| e["category"] == "licensing"));
    let decoded = host.call(5, "decode_code", json!({"code": "0x204"}));
    let interp = &decoded["structuredContent"]["codes"][0]["interpretations"][0];
    assert_eq!(interp["name"], "disconnectReasonSocketConnectFailed");
}

//! `rdperr probe` against a loopback responder (127.0.0.1 only) that plays recorded server
//! answers (tests/probe-fixtures/*.toml: real xrdp and freerdp-shadow-cli answers recorded by
//! lab/probe, and spec-built ones in synthetic.toml), with a rustls server for the TLS step
//! (tests/probe-fixtures/certs), and the lab's recorded verdicts (tests/lab/probe) checked
//! without network.

use rdperr::probe::{probe, Answer, ProbeOptions, ProbeReport, Status, StepName, Target};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/probe-fixtures")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A recorded server: requestedProtocols -> the bytes it answered.
fn recorded(name: &str) -> HashMap<u32, Vec<u8>> {
    let text = std::fs::read_to_string(fixtures().join(format!("{name}.toml"))).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    for key in ["server", "config", "date"] {
        assert!(
            doc.get(key).is_some(),
            "{name}.toml: no `{key}` (provenance)"
        );
    }
    doc["answer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                u32::try_from(a["requested"].as_integer().unwrap()).unwrap(),
                unhex(a["hex"].as_str().unwrap()),
            )
        })
        .collect()
}

/// What the responder does with each connection.
#[derive(Clone)]
enum Play {
    /// Answer each Connection Request as the recorded server did; where it picked a TLS-based
    /// protocol and a certificate is given, go on with a TLS server.
    Recorded(
        Arc<HashMap<u32, Vec<u8>>>,
        Option<Arc<rustls::ServerConfig>>,
    ),
    /// Read the request, send these bytes, close.
    Send(Vec<u8>),
    /// Accept and say nothing for 30 s.
    Silent,
    /// Close at once.
    Close,
}

/// Starts the responder on 127.0.0.1:0 and returns its port. Its threads end with the test
/// process.
fn responder(play: Play) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(sock) = conn else { continue };
            let play = play.clone();
            std::thread::spawn(move || serve(sock, play));
        }
    });
    port
}

fn read_request(sock: &mut TcpStream) -> Option<u32> {
    let mut req = [0u8; 19];
    sock.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    sock.read_exact(&mut req).ok()?;
    Some(u32::from_le_bytes([req[15], req[16], req[17], req[18]]))
}

fn serve(mut sock: TcpStream, play: Play) {
    match play {
        Play::Silent => std::thread::sleep(Duration::from_secs(30)),
        Play::Close => {}
        Play::Send(bytes) => {
            if read_request(&mut sock).is_some() {
                let _ = sock.write_all(&bytes);
            }
        }
        Play::Recorded(answers, tls) => {
            let Some(requested) = read_request(&mut sock) else {
                return;
            };
            let Some(answer) = answers.get(&requested) else {
                return;
            };
            let _ = sock.write_all(answer);
            // RDP_NEG_RSP (type 2) with a TLS-based protocol: the TLS handshake follows.
            let tls_next = answer.len() == 19 && answer[11] == 2 && answer[15] != 0;
            if let (true, Some(config)) = (tls_next, tls) {
                let mut conn = rustls::ServerConnection::new(config).unwrap();
                while conn.is_handshaking() {
                    if conn.complete_io(&mut sock).is_err() {
                        return;
                    }
                }
                let mut rest = Vec::new();
                let _ = rustls::Stream::new(&mut conn, &mut sock).read_to_end(&mut rest);
            }
        }
    }
}

fn tls_config(cert: &str) -> Arc<rustls::ServerConfig> {
    let dir = fixtures().join("certs");
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.join(format!("{cert}.pem")))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join(format!("{cert}.key"))).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    Arc::new(config)
}

fn run(port: u16, timeout_s: f64) -> ProbeReport {
    let target: Target = format!("127.0.0.1:{port}").parse().unwrap();
    probe(
        &target,
        &ProbeOptions {
            timeout: Duration::from_secs_f64(timeout_s),
        },
    )
}

fn entry_id(r: &ProbeReport) -> Option<&str> {
    r.verdict.entry.as_ref().map(|e| e.id.as_str())
}

fn check(r: &ProbeReport, step: StepName) -> &rdperr::probe::Check {
    r.checks.iter().find(|c| c.step == step).unwrap()
}

/// The entries the negotiation-failure code table gives for `code`.
fn table_entries(code: i64) -> Vec<String> {
    rdperr::Kb::embedded()
        .tables()
        .iter()
        .filter(|t| t.namespace == rdperr::Namespace::NegotiationFailure)
        .flat_map(|t| t.codes.iter())
        .find(|r| r.value == code)
        .map(|r| r.entries.clone())
        .unwrap()
}

// ---------------------------------------------------------------- name and TCP

#[test]
fn refused_port_names_the_stopped_service_and_its_neighbours() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let r = run(port, 2.0);
    assert_eq!(r.verdict.status, Status::Fail);
    assert_eq!(r.verdict.failed, Some(StepName::Tcp));
    let ids: Vec<&str> = r.verdict.candidates.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "rdp-termservice-not-running",
            "rdp-port-conflict-or-changed",
            "rdp-guest-firewall-blocking"
        ]
    );
    assert!(r.verdict.candidates.iter().all(|f| f.hint.is_some()));
    assert_eq!(entry_id(&r), Some("rdp-termservice-not-running"));
    assert!(!r.verdict.commands.is_empty());
    assert_eq!(r.exit_code(), 1);
    // The network steps of the general checklist are still open.
    assert!(r.not_checked.iter().any(|n| n.title.contains("NSG")));
}

#[test]
fn name_that_does_not_resolve() {
    let target: Target = "nonexistent.invalid".parse().unwrap();
    let r = probe(
        &target,
        &ProbeOptions {
            timeout: Duration::from_secs(3),
        },
    );
    // NXDOMAIN, or no DNS at all (a resolver error or its time-out): the entry is the same.
    assert_eq!(r.verdict.failed, Some(StepName::Name));
    assert_eq!(entry_id(&r), Some("rdp-name-not-found"));
    assert!(check(&r, StepName::Tcp).status == Status::Skipped);
}

// ---------------------------------------------------------------- negotiation

#[test]
fn silent_port_ends_within_the_timeout() {
    let port = responder(Play::Silent);
    let start = Instant::now();
    let r = run(port, 1.0);
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(r.verdict.failed, Some(StepName::Negotiation));
    assert_eq!(entry_id(&r), Some("rdp-port-conflict-or-changed"));
}

#[test]
fn garbage_is_not_an_rdp_server() {
    let port = responder(Play::Send(
        b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n".to_vec(),
    ));
    let r = run(port, 2.0);
    assert_eq!(r.verdict.failed, Some(StepName::Negotiation));
    assert_eq!(entry_id(&r), Some("rdp-port-conflict-or-changed"));
    let c = check(&r, StepName::Negotiation);
    assert!(c.summary.contains("not an RDP server"), "{}", c.summary);
    assert!(c.summary.contains("SSH-2.0-OpenSSH_9.2p1"), "{}", c.summary);
}

#[test]
fn close_and_short_reads_are_protocol_errors() {
    let cc = unhex("030000130ed000001234000201080001000000");
    for play in [
        Play::Close,
        Play::Send(cc[..7].to_vec()),
        Play::Send(cc[..2].to_vec()),
        // TPKT, but a Disconnect Request where the Connection Confirm belongs.
        Play::Send(unhex("0300000b0680000000000000")),
        // A TPKT length no Connection Confirm has.
        Play::Send(unhex("03000003")),
    ] {
        let port = responder(play);
        let r = run(port, 2.0);
        assert_eq!(r.verdict.failed, Some(StepName::Negotiation));
        assert_eq!(
            entry_id(&r),
            Some("rdp-protocol-error"),
            "{}",
            check(&r, StepName::Negotiation).summary
        );
    }
}

#[test]
fn every_failure_code_maps_through_the_code_table() {
    let text = std::fs::read_to_string(fixtures().join("synthetic.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    for case in doc["case"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let bytes = unhex(case["hex"].as_str().unwrap());
        let port = responder(Play::Send(bytes.clone()));
        let r = run(port, 2.0);
        if let Some(code) = name
            .split('(')
            .nth(1)
            .and_then(|c| c.trim_end_matches(')').parse::<i64>().ok())
        {
            // The same failure to every offer: nothing accepted, the code's entry decides.
            assert_eq!(r.verdict.failed, Some(StepName::Negotiation), "{name}");
            let want = table_entries(code);
            assert_eq!(entry_id(&r), want.first().map(String::as_str), "{name}");
            match &r.negotiation[0].answer {
                Answer::Failure {
                    code: c, name: n, ..
                } => {
                    assert_eq!(i64::from(*c), code);
                    assert!(name.contains(n.as_deref().unwrap()), "{name}");
                }
                other => panic!("{name}: {other:?}"),
            }
        } else {
            // No negotiation data: Standard RDP Security only, a warning, not a failure.
            assert_eq!(r.accepted_protocols, ["Standard RDP Security"], "{name}");
            assert_eq!(r.verdict.status, Status::Warn, "{name}");
            assert_eq!(entry_id(&r), Some("rdp-security-protocol-mismatch"));
            assert_eq!(check(&r, StepName::Tls).status, Status::Skipped);
            assert_eq!(r.exit_code(), 0);
        }
    }
}

/// Each recorded server, replayed: the probe reads its answers as it read the real server's
/// (the lab's report of the same server, tests/lab/probe/<name>.json).
#[test]
fn recorded_servers_replay_as_the_lab_saw_them() {
    let mut seen = 0;
    for item in std::fs::read_dir(fixtures()).unwrap() {
        let path = item.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        if path.extension().is_none_or(|e| e != "toml") || name == "synthetic" {
            continue;
        }
        let answers = Arc::new(recorded(&name));
        let port = responder(Play::Recorded(answers, None));
        let r = run(port, 2.0);
        let lab: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/lab/probe/{name}.json")),
            )
            .unwrap(),
        )
        .unwrap();
        let want: Vec<&str> = lab["accepted_protocols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(r.accepted_protocols, want, "{name}");
        let neg = check(&r, StepName::Negotiation);
        let lab_neg = lab["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["step"] == "negotiation")
            .unwrap();
        assert_eq!(
            serde_json::to_value(neg.status).unwrap(),
            lab_neg["status"],
            "{name}"
        );
        assert_eq!(
            neg.details,
            serde_json::from_value::<Vec<String>>(lab_neg["details"].clone()).unwrap(),
            "{name}"
        );
        seen += 1;
    }
    assert!(seen >= 8, "only {seen} recorded servers");
}

// ---------------------------------------------------------------- TLS and the certificate

fn tls_run(server: &str, cert: &str) -> ProbeReport {
    let port = responder(Play::Recorded(
        Arc::new(recorded(server)),
        Some(tls_config(cert)),
    ));
    run(port, 3.0)
}

#[test]
fn self_signed_certificate_is_a_warning_said_plainly() {
    let r = tls_run("xrdp-tls-only", "self-signed");
    assert_eq!(r.accepted_protocols, ["TLS"]);
    let tls = r.tls.as_ref().unwrap();
    assert!(tls.version == "TLSv1.3" || tls.version == "TLSv1.2");
    assert!(!tls.cipher_suite.is_empty());
    let cert = tls.certificate.as_ref().unwrap();
    assert!(cert.self_signed);
    assert!(cert.name_matches);
    assert!(!cert.expired);
    assert_eq!((cert.key_type.as_str(), cert.key_bits), ("EC", 256));
    assert_eq!(cert.sans, ["IP:127.0.0.1", "DNS:localhost"]);
    assert_eq!(cert.not_before, "2020-01-01T00:00:00Z");
    assert_eq!(r.verdict.status, Status::Warn);
    assert_eq!(entry_id(&r), Some("rdp-certificate-identity-unverified"));
    assert!(
        r.verdict.headline.contains("normal for Remote Desktop"),
        "{}",
        r.verdict.headline
    );
    assert_eq!(r.exit_code(), 0);
    // TCP passed: the NSG and firewall steps drop out of what is left to check.
    assert!(!r.not_checked.iter().any(|n| n.title.contains("NSG")));
    assert!(r
        .not_checked
        .iter()
        .any(|n| n.entry == "rdp-credentials-rejected"));
}

#[test]
fn expired_certificate_fails() {
    let r = tls_run("xrdp-tls-only", "expired");
    let cert = r.tls.as_ref().unwrap().certificate.as_ref().unwrap();
    assert!(cert.expired);
    assert_eq!(cert.not_after, "2021-01-01T00:00:00Z");
    assert_eq!(r.verdict.failed, Some(StepName::Certificate));
    assert_eq!(entry_id(&r), Some("rdp-certificate-expired-or-invalid"));
    assert_eq!(r.exit_code(), 1);
}

#[test]
fn misnamed_certificate_warns_about_identity() {
    let r = tls_run("xrdp-tls-only", "mismatch");
    let cert = r.tls.as_ref().unwrap().certificate.as_ref().unwrap();
    assert!(!cert.name_matches);
    assert!(!cert.self_signed);
    assert_eq!(r.verdict.status, Status::Warn);
    assert_eq!(entry_id(&r), Some("rdp-certificate-identity-unverified"));
    assert!(r.verdict.candidates[0].why.contains("wrong.example"));
}

#[test]
fn nla_server_is_probed_over_credssp_tls() {
    let r = tls_run("shadow-nla", "self-signed");
    assert_eq!(r.accepted_protocols, ["CredSSP (NLA)"]);
    let neg = check(&r, StepName::Negotiation);
    assert!(neg
        .findings
        .iter()
        .any(|f| f.id == "rdp-nla-not-supported" && f.status == Status::Pass));
    assert_eq!(check(&r, StepName::Tls).status, Status::Pass);
    assert!(check(&r, StepName::Tls).details[0].contains("PROTOCOL_HYBRID"));
}

#[test]
fn server_that_breaks_off_the_tls_handshake() {
    // The recorded xrdp answer, then the socket closes where the ServerHello belongs.
    let port = responder(Play::Recorded(Arc::new(recorded("xrdp-tls-only")), None));
    let r = run(port, 2.0);
    assert_eq!(r.verdict.failed, Some(StepName::Tls));
    assert_eq!(entry_id(&r), Some("rdp-tls-handshake-failed"));
    assert!(check(&r, StepName::Tls)
        .details
        .iter()
        .any(|d| d.contains("TLS 1.0 and 1.1 were not tried")));
}

#[test]
fn small_rsa_key_is_read_as_too_small() {
    let der = CertificateDer::from_pem_file(fixtures().join("certs/small-key.pem")).unwrap();
    let cert = rdperr::probe::tls::read_certificate(&der, "127.0.0.1").unwrap();
    assert_eq!((cert.key_type.as_str(), cert.key_bits), ("RSA", 1024));
    assert!(cert.key_bits < rdperr::probe::tls::MIN_RSA_BITS);
}

// ---------------------------------------------------------------- the lab's verdicts

/// tests/lab/probe/expect.tsv names, per real server staged by lab/probe, the verdict and
/// entry; the recorded report must say the same. No network: the files are read.
#[test]
fn lab_verdicts_name_the_expected_entries() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab/probe");
    let table = std::fs::read_to_string(dir.join("expect.tsv")).unwrap();
    let mut rows = 0;
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (scenario, status, entry, exit) = (cols[0], cols[1], cols[2], cols[3]);
        let report: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{scenario}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(report["schema_version"], 1, "{scenario}");
        assert_eq!(report["verdict"]["status"], status, "{scenario}");
        assert_eq!(report["verdict"]["entry"]["id"], entry, "{scenario}");
        assert_eq!(exit, if status == "fail" { "1" } else { "0" }, "{scenario}");
        assert!(
            rdperr::Kb::embedded().get(entry).is_some(),
            "{scenario}: no entry {entry}"
        );
        rows += 1;
    }
    assert!(rows >= 12, "only {rows} lab scenarios");
}

/// Every id the probe can name is an entry of the KB.
#[test]
fn probe_entries_exist() {
    let src = include_str!("../src/probe/mod.rs");
    let kb = rdperr::Kb::embedded();
    let mut n = 0;
    for part in src.split('"').skip(1).step_by(2) {
        if part.starts_with("rdp-") && !part.contains(' ') {
            assert!(
                kb.get(part).is_some(),
                "src/probe/mod.rs names `{part}`, not in the KB"
            );
            n += 1;
        }
    }
    assert!(n >= 15, "{n}");
}

// ---------------------------------------------------------------- the command

#[test]
fn bad_targets_are_usage_errors() {
    for (arg, says) in [
        ("", "expected HOST"),
        ("host:0", "port 0 is out of range"),
        ("host:70000", "port 70000 is out of range"),
        ("[::1", "needs its `]`"),
        ("bad host", "not a host name"),
    ] {
        assert_cmd::Command::cargo_bin("rdperr")
            .unwrap()
            .args(["probe", arg])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(says));
    }
    assert_cmd::Command::cargo_bin("rdperr")
        .unwrap()
        .args(["probe", "127.0.0.1", "--timeout", "0"])
        .assert()
        .code(2);
}

#[test]
fn command_prints_json_and_text() {
    let port = responder(Play::Recorded(
        Arc::new(recorded("xrdp-tls-only")),
        Some(tls_config("expired")),
    ));
    let out = assert_cmd::Command::cargo_bin("rdperr")
        .unwrap()
        .args([
            "probe",
            &format!("127.0.0.1:{port}"),
            "--json",
            "--timeout",
            "3",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        doc["verdict"]["entry"]["id"],
        "rdp-certificate-expired-or-invalid"
    );
    assert_eq!(doc["target"]["port"], port);
    let port = responder(Play::Recorded(
        Arc::new(recorded("xrdp-tls-only")),
        Some(tls_config("self-signed")),
    ));
    let out = assert_cmd::Command::cargo_bin("rdperr")
        .unwrap()
        .args(["probe", &format!("127.0.0.1:{port}"), "--color", "never"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for want in [
        "[ok]   negotiation  accepts: Standard RDP Security no, TLS yes",
        "Verdict: OK, with warnings",
        "[rdp-certificate-identity-unverified]",
        "Fix steps, least disruptive first",
        "Not checked from here",
    ] {
        assert!(text.contains(want), "no {want:?} in:\n{text}");
    }
}

//! The real binary, run as a user would (as tealdeer tests tldr).

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;

fn rdperr() -> Command {
    let mut cmd = Command::cargo_bin("rdperr").unwrap();
    cmd.env_remove("NO_COLOR");
    cmd
}

#[test]
fn lookup_prints_entry_and_exits_zero() {
    rdperr()
        .arg("credentials did not work")
        .assert()
        .success()
        .stdout(predicate::str::contains("[rdp-credentials-rejected]"))
        .stdout(predicate::str::contains(
            "Fix steps, least disruptive first",
        ))
        .stdout(predicate::str::contains("Sources"))
        // Not a terminal: no colour.
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn words_are_joined() {
    rdperr()
        .args([
            "The",
            "Local",
            "Security",
            "Authority",
            "cannot",
            "be",
            "contacted",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("[rdp-lsa-unreachable]"));
}

#[test]
fn no_match_exits_one_and_says_what_is_covered() {
    rdperr()
        .arg("printer is out of paper")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("No match"))
        .stdout(predicate::str::contains("Remote Desktop"));
}

#[test]
fn another_products_error_says_which_product_it_names() {
    let text = "SQL Server ERRORLOG: The Local Security Authority cannot be contacted";
    rdperr()
        .arg(text)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("names \"sql server\""));
    let out = rdperr().args(["--json", text]).assert().code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["other_field"], "sql server");
    assert_eq!(json["matches"].as_array().map(Vec::len), Some(0));
}

#[test]
fn empty_input_is_a_usage_error() {
    rdperr()
        .arg("   ")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no query"));
    rdperr().write_stdin("").assert().code(2);
}

#[test]
fn query_is_read_from_stdin() {
    rdperr()
        .write_stdin("An authentication error has occurred.\nThe Local Security Authority cannot be contacted\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("[rdp-lsa-unreachable]"));
    rdperr()
        .arg("-")
        .write_stdin("Your credentials did not work")
        .assert()
        .success()
        .stdout(predicate::str::contains("[rdp-credentials-rejected]"));
}

#[test]
fn invalid_utf8_and_nul_get_a_normal_answer() {
    let mut input = b"\xff\xfe Your credentials did not work \x00\x00".to_vec();
    input.extend_from_slice(b"\n");
    rdperr()
        .write_stdin(input)
        .assert()
        .success()
        .stdout(predicate::str::contains("rdp-credentials-rejected"));
}

#[test]
fn json_follows_the_documented_contract() {
    let out = rdperr()
        .args(["--json", "credentials did not work"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["schema_version"], 2);
    assert_eq!(doc["query"], "credentials did not work");
    assert_eq!(doc["scope"], "remote_desktop");
    assert!(doc["suggestions"].is_array());
    let m = &doc["matches"][0];
    assert_eq!(m["id"], "rdp-credentials-rejected");
    assert!(m["confidence"].as_f64().unwrap() > 0.5);
    assert!(m["reasons"].as_array().is_some_and(|r| !r.is_empty()));
    assert_eq!(m["entry"]["id"], "rdp-credentials-rejected");
    assert!(m["entry"]["steps"]
        .as_array()
        .is_some_and(|s| !s.is_empty()));
}

#[test]
fn json_no_match_has_empty_matches_and_exit_one() {
    let out = rdperr()
        .args(["--json", "printer is out of paper"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["matches"], serde_json::json!([]));
}

#[test]
fn color_follows_flag_and_no_color() {
    rdperr()
        .args(["--color", "always", "credentials did not work"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b["));
    rdperr()
        .args(["--color", "never", "credentials did not work"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn alternatives_are_listed_with_n() {
    rdperr()
        .args([
            "-n",
            "3",
            "--min-confidence",
            "0.01",
            "credentials did not work",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Also possible"));
}

#[test]
fn show_and_list() {
    rdperr()
        .args(["show", "rdp-name-not-found"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Messages"));
    rdperr()
        .args(["show", "rdp-name-not-fond"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "did you mean `rdp-name-not-found`",
        ));
    let out = rdperr()
        .args(["list", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(doc["entries"].as_array().unwrap().len() >= 11);
    rdperr()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("rdp-lsa-unreachable"));
}

#[test]
fn check_passes_on_the_shipped_kb() {
    rdperr()
        .arg("check")
        .assert()
        .success()
        .stdout(predicate::str::contains("0 error(s)"));
}

#[test]
fn works_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    rdperr()
        .current_dir(dir.path())
        .arg("0x204")
        .assert()
        .success()
        .stdout(predicate::str::contains("rdp-cannot-connect-reasons"));
}

#[test]
fn placeholder_values_fill_commands() {
    rdperr()
        .args([
            "-g",
            "prod-rg",
            "--vm",
            "web01",
            "Your credentials did not work",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("prod-rg"))
        .stdout(predicate::str::contains("web01"));
}

const TEAM_ENTRY: &str = r#"
id = "rdp-team-vpn-down"
title = "Contoso VPN tunnel is down"
category = "network"
summary = "Our site-to-site tunnel dropped, so RDP to private IPs fails."
messages = ["Contoso tunnel health check failed"]
causes = ["The tunnel gateway restarted."]
sources = ["https://example.com/runbook"]
examples = ["contoso tunnel health check failed", "tunnel health check failed contoso"]

[[steps]]
title = "Restart the tunnel"
explanation = "Brings the tunnel back."
portal = "Virtual network gateway > Connections > Reset"
"#;

#[test]
fn extra_kb_folder_adds_entries() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("rdp")).unwrap();
    fs::write(dir.path().join("rdp/rdp-team-vpn-down.toml"), TEAM_ENTRY).unwrap();
    rdperr()
        .args([
            "--kb",
            dir.path().to_str().unwrap(),
            "Contoso tunnel health check failed",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("[rdp-team-vpn-down]"));
}

#[test]
fn clashing_id_names_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rdp-credentials-rejected.toml");
    fs::write(
        &path,
        TEAM_ENTRY.replace("rdp-team-vpn-down", "rdp-credentials-rejected"),
    )
    .unwrap();
    rdperr()
        .args(["--kb", dir.path().to_str().unwrap(), "anything"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "duplicate id `rdp-credentials-rejected`",
        ))
        .stderr(predicate::str::contains(
            "kb/rdp/rdp-credentials-rejected.toml",
        ))
        .stderr(predicate::str::contains(format!("{}:2:7", path.display())));
}

#[test]
fn broken_fixtures_report_file_line_and_column() {
    let cases = [
        ("bad-toml", "KB001", "broken.toml:3:"),
        ("missing-field", "KB001", "rdp-missing-field.toml:1:1"),
        (
            "unknown-category",
            "KB001",
            "rdp-unknown-category.toml:3:12",
        ),
        ("bad-regex", "KB005", "rdp-bad-regex.toml:6:"),
        ("dangling-related", "KB006", "rdp-dangling-related.toml:6:"),
        ("no-steps", "KB007", "rdp-no-steps.toml:"),
        ("wrong-types", "KB001", "rdp-wrong-types.toml:7:10"),
        ("dangling-code-row", "KB008", "codes/win32.toml:7:"),
        ("duplicate-id", "KB003", "b/rdp-same.toml:1:7"),
        ("bad-lang-tag", "KB010", "rdp-bad-lang-tag.toml:11:9"),
    ];
    for (fixture, code, location) in cases {
        let dir = format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
        rdperr()
            .args(["--kb", &dir, "check"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("error[{code}]")))
            .stderr(predicate::str::contains(location))
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn missing_kb_folder_is_a_clear_error() {
    rdperr()
        .args(["--kb", "/nonexistent/rdperr-kb", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/rdperr-kb"));
}

#[test]
fn control_sequences_never_reach_the_terminal() {
    let out = rdperr()
        .args([
            "--color",
            "never",
            "-n",
            "2",
            "Your credentials did not work \x1b]0;pwned\x07 \x1b[2J",
        ])
        .assert()
        .get_output()
        .stdout
        .clone();
    assert!(!out.contains(&0x1b) && !out.contains(&0x07));
}

/// The exact diagnostics for each broken KB, as reviewed snapshots: a change to a message or a
/// location is a visible diff.
#[test]
fn broken_fixture_diagnostics_snapshots() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut names: Vec<String> = fs::read_dir(format!("{root}/tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let out = rdperr()
            .current_dir(root)
            .args(["--kb", &format!("tests/fixtures/{name}"), "check"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        insta::assert_snapshot!(format!("fixture-{name}"), stderr);
    }
}

#[test]
fn a_translated_dialog_is_answered_in_english_naming_its_language() {
    rdperr()
        .args([
            "--color",
            "never",
            "Authentifizierungsfehler. Die lokale Sicherheitsautorität (LSA) ist nicht erreichbar.",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("[rdp-lsa-unreachable]"))
        .stdout(predicate::str::contains("in de-DE"));
}

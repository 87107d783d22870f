//! The README's usage block is `rdperr --help`, word for word (as tealdeer checks its docs).

use assert_cmd::Command;

#[test]
fn readme_usage_matches_help() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```text\nExplain Remote Desktop")
        .expect("usage block in README.md")
        + "```text\n".len();
    let end = start + readme[start..].find("\n```").unwrap();
    let help = Command::cargo_bin("rdperr")
        .unwrap()
        .arg("--help")
        .output()
        .unwrap()
        .stdout;
    let help = String::from_utf8(help).unwrap();
    assert_eq!(
        &readme[start..end],
        help.trim_end(),
        "README.md's usage block differs from `rdperr --help`: paste the new help text into it"
    );
}

#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = Command::cargo_bin("rdperr")
            .unwrap()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("rdperr"),
            "{shell}"
        );
    }
    let man = Command::cargo_bin("rdperr")
        .unwrap()
        .arg("man")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&man.stdout).contains(".TH rdperr"));
}

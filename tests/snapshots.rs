//! Snapshots of what the real binary prints for each seed error's main message, as text and as
//! JSON. A change to the KB text, the ranking or the layout shows up as a reviewed diff
//! (`cargo insta review`).

use assert_cmd::Command;

const SEED_MESSAGES: &[(&str, &str)] = &[
    ("rdp-license-no-server", "The remote session was disconnected because there are no Remote Desktop License Servers available to provide a license."),
    ("rdp-name-not-found", "Remote Desktop can't find the computer \"web01.contoso.com\"."),
    ("rdp-lsa-unreachable", "An authentication error has occurred. The Local Security Authority cannot be contacted"),
    ("rdp-credentials-rejected", "Your credentials did not work"),
    ("rdp-no-signin-right", "This computer can't connect to the remote computer."),
    ("entra-role-not-assigned", "Your account is configured to prevent you from using this device. For more info, contact your system administrator."),
    ("entra-unauthorized-client", "Your credentials did not work. Unauthorized client"),
    ("entra-password-change-required", "Your credentials did not work. Password change required"),
    ("entra-mfa-method-not-allowed", "The sign-in method you're trying to use isn't allowed. Try a different sign-in method or contact your system administrator."),
    ("rdp-connect-button-disabled", "Connect button greyed out no public IP"),
    ("rdp-cannot-connect-general", "can't connect to my Azure VM with RDP, connection timed out"),
];

fn run(args: &[&str]) -> String {
    let out = Command::cargo_bin("rdperr")
        .unwrap()
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn seed_messages_as_text() {
    for (id, message) in SEED_MESSAGES {
        let text = run(&["--color", "never", message]);
        insta::assert_snapshot!(format!("text-{id}"), text, message);
    }
}

#[test]
fn seed_messages_as_json() {
    for (id, message) in SEED_MESSAGES {
        let json: serde_json::Value = serde_json::from_str(&run(&["--json", message])).unwrap();
        // A message several errors share may get suggestions rather than a sure match.
        let first = if json["matches"][0].is_null() {
            &json["suggestions"][0]["id"]
        } else {
            &json["matches"][0]["id"]
        };
        assert_eq!(first, *id, "{message}");
        insta::assert_json_snapshot!(format!("json-{id}"), json, message);
    }
}

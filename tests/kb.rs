//! The embedded KB: it loads, it is complete, and the matcher answers as the issues require.

use rdperr::{Kb, Namespace};

fn kb() -> &'static Kb {
    match Kb::try_embedded() {
        Ok(kb) => kb,
        Err(e) => panic!("the embedded KB does not load:\n{e}"),
    }
}

fn top(query: &str) -> Option<String> {
    kb().lookup(query).matches.first().map(|m| m.id.clone())
}

#[track_caller]
fn assert_top(query: &str, id: &str) {
    let found = kb().lookup(query);
    let got: Vec<(&str, f32)> = found
        .matches
        .iter()
        .take(4)
        .map(|m| (m.id.as_str(), m.confidence))
        .collect();
    assert_eq!(
        found.matches.first().map(|m| m.id.as_str()),
        Some(id),
        "query {query:?} gave {got:?}"
    );
}

#[test]
fn embedded_kb_loads_without_errors() {
    let kb = kb();
    assert!(
        kb.entries().len() >= 11,
        "only {} entries",
        kb.entries().len()
    );
}

/// Ids are a published contract: these must exist, under exactly these names.
#[test]
fn every_required_id_exists() {
    let required = [
        "rdp-license-no-server",
        "rdp-name-not-found",
        "rdp-lsa-unreachable",
        "rdp-credentials-rejected",
        "rdp-no-signin-right",
        "entra-role-not-assigned",
        "entra-unauthorized-client",
        "entra-password-change-required",
        "entra-mfa-method-not-allowed",
        "rdp-cannot-connect-general",
        "rdp-connect-button-disabled",
        "rdp-credssp-encryption-oracle",
        "rdp-internal-error",
        "rdp-security-error",
        "rdp-nla-dc-unreachable",
        "rdp-nla-not-supported",
        "rdp-cannot-connect-reasons",
        "rdp-license-no-cal",
        "rdp-license-protocol-error",
        "rdp-license-mode-not-configured",
        "rdp-connection-limit-reached",
        "rdp-too-many-admin-sessions",
        "rdp-console-session-in-progress",
        "rdp-remote-logon-right-denied",
        "rdp-logon-type-restricted",
        "rdp-interactive-logon-not-permitted",
        "rdp-password-must-change",
        "rdp-password-expired",
        "rdp-account-locked",
        "rdp-account-disabled",
        "rdp-account-expired",
        "rdp-account-time-restriction",
        "rdp-account-workstation-restriction",
        "rdp-user-does-not-exist",
        "rdp-new-user-not-enough-storage",
        "rdp-identity-time-skew",
        "rdp-domain-unavailable",
        "rdp-certificate-identity-unverified",
        "rdp-certificate-expired-or-invalid",
        "rdp-wrong-remote-computer-reached",
        "rdp-access-denied",
        "rdp-profile-temporary-cant-sign-in",
        "rdp-trust-relationship-failed",
        "rdp-termservice-not-running",
        "rdp-service-busy",
        "rdp-brute-force-attack",
        "rdp-event-cert-machinekeys",
        "rdp-event-tls-disabled",
        "rdp-event-connection-broker-renamed",
        "rdp-frequent-disconnects",
        "rdp-port-conflict-or-changed",
        "rdp-guest-firewall-blocking",
        "rdp-nsg-port-closed",
        "rdp-safe-mode",
        "rdp-guest-network-config-broken",
        "rdp-client-could-not-connect-nic-binding",
        "rdp-class-not-registered",
        "rdp-gateway-ntlmv1-channel-binding",
        "rdp-encryption-level-mismatch",
        "rdp-securing-connection-stuck",
        "rdp-session-time-limit",
        "rdp-credential-delegation-blocked",
        "entra-logon-attempt-failed",
        "entra-username-password-incorrect",
        "entra-target-device-not-found",
        "entra-web-client-sign-in-failed",
        "entra-web-client-security-error",
        "entra-android-credentials-2607",
        "entra-logon-session-not-exist",
        "entra-aadlogin-extension-failed",
        "rdp-protocol-error",
        "rdp-gateway-unreachable",
    ];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|id| kb().get(id).is_none())
        .collect();
    assert!(missing.is_empty(), "missing entries: {missing:?}");
}

#[test]
fn seed_entries_keep_their_legacy_anchors() {
    for (id, anchor) in [
        ("rdp-license-no-server", "rdplicense"),
        ("rdp-name-not-found", "rdpname"),
        ("rdp-lsa-unreachable", "rdpauth"),
        ("rdp-credentials-rejected", "wincred"),
        ("rdp-no-signin-right", "rdpconnect"),
    ] {
        assert_eq!(
            kb().get(id).and_then(|e| e.anchor.as_deref()),
            Some(anchor),
            "{id}"
        );
    }
}

#[test]
fn every_entry_is_complete() {
    for e in kb().entries() {
        assert!(
            !e.causes.is_empty() && !e.steps.is_empty() && !e.sources.is_empty(),
            "{}",
            e.id
        );
        assert!(
            e.sources.iter().all(|s| s.starts_with("https://")),
            "{}: {:?}",
            e.id,
            e.sources
        );
        for s in &e.steps {
            assert!(
                !s.disruptive || s.disruption.is_some(),
                "{}: disruptive step without a disruption note",
                e.id
            );
        }
    }
}

/// Each entry's golden examples resolve to it first, like a doctest that raises its own code.
#[test]
fn golden_examples_resolve_to_their_entry() {
    let mut failures = Vec::new();
    for e in kb().entries() {
        for example in &e.examples {
            let got = top(example);
            if got.as_deref() != Some(e.id.as_str()) {
                failures.push(format!("{}: {example:?} -> {got:?}", e.id));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden examples miss:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn required_lookups_from_issue_2() {
    assert_top("credentials did not work", "rdp-credentials-rejected");
    assert_top("crendentials did not wrok", "rdp-credentials-rejected");
    assert_top(
        "Your credentials did not work. Unauthorized client",
        "entra-unauthorized-client",
    );
    assert_top(
        "Your credentials did not work. Password change required",
        "entra-password-change-required",
    );
    assert_top(
        "The Local Security Authority cannot be contacted",
        "rdp-lsa-unreachable",
    );
    assert!(kb().lookup("printer is out of paper").matches.is_empty());
}

#[test]
fn typos_are_reported_as_reasons() {
    let found = kb().lookup("crendentials did not wrok");
    let json = serde_json::to_string(&found.matches[0].reasons).unwrap();
    assert!(json.contains("crendentials"), "{json}");
}

#[test]
fn bare_codes_resolve() {
    assert_top("0x204", "rdp-cannot-connect-reasons");
    assert_top("516", "rdp-cannot-connect-reasons");
    assert_top("AADSTS50076", "entra-mfa-method-not-allowed");
    assert_top("ERRCONNECT_LOGON_FAILURE", "rdp-credentials-rejected");
    assert_top("0x00020014", "rdp-credentials-rejected");
    assert_top("STATUS_ACCOUNT_LOCKED_OUT", "rdp-account-locked");
    assert_top("0xC0000224", "rdp-password-must-change");
}

#[test]
fn hex_and_decimal_are_the_same_code() {
    let a = kb().decode("0x204");
    let b = kb().decode("516");
    let key = |f: &[rdperr::CodeFinding]| -> Vec<(Namespace, i64)> {
        f.iter()
            .flat_map(|f| f.interpretations.iter().map(|i| (i.namespace, i.value)))
            .filter(|(n, _)| *n == Namespace::DisconnectReason)
            .collect()
    };
    assert_eq!(key(&a), key(&b));
    assert!(!key(&a).is_empty());
}

#[test]
fn context_picks_the_namespace_first() {
    let f = kb().decode("Error code: 0x904 Extended error code: 0x7");
    assert_eq!(f.len(), 2);
    assert_eq!(
        f[0].interpretations[0].namespace,
        Namespace::DisconnectReason
    );
    assert_eq!(f[1].interpretations[0].namespace, Namespace::ExtendedReason);
    let e = kb().decode("event 1058");
    assert_eq!(e[0].interpretations[0].namespace, Namespace::Event);
}

#[test]
fn ambiguous_numbers_list_every_interpretation() {
    let f = kb().decode("0x4");
    assert!(
        f[0].interpretations.len() >= 2,
        "{:?}",
        f[0].interpretations
    );
    let namespaces: std::collections::HashSet<_> =
        f[0].interpretations.iter().map(|i| i.namespace).collect();
    assert!(
        namespaces.contains(&Namespace::Errinfo) && namespaces.contains(&Namespace::Errconnect)
    );
}

#[test]
fn codes_in_other_languages_and_long_logs_count() {
    assert_top("错误代码： 0x708", "rdp-console-session-in-progress");
    let mut log = String::new();
    for i in 0..2000 {
        log.push_str(&format!(
            "[12:00:{:02}:{:03}] [123:456] [INFO][com.freerdp.core] - tick {i}\n",
            i % 60,
            i % 1000
        ));
    }
    log.push_str("[12:01:00:000] [123:456] [ERROR][com.freerdp.core] - freerdp_set_last_error_ex ERRCONNECT_ACCOUNT_LOCKED_OUT [0x00020018]\n");
    assert_top(&log, "rdp-account-locked");
}

#[test]
fn out_of_scope_texts_do_not_match() {
    for q in [
        "printer is out of paper",
        "npm ERR! code ERESOLVE unable to resolve dependency tree",
        "The disk is full. Free some space and try again.",
        "Segmentation fault (core dumped)",
        "kubectl: error: You must be logged in to the server (Unauthorized)",
    ] {
        let found = kb().lookup(q);
        assert!(
            found.matches.is_empty(),
            "{q:?} matched {:?}",
            found.matches.iter().map(|m| &m.id).collect::<Vec<_>>()
        );
    }
}

#[test]
fn another_product_quoting_a_windows_message_is_not_ours() {
    // The verbatim message alone matches; the product named around it takes it away.
    assert_top(
        "The Local Security Authority cannot be contacted",
        "rdp-lsa-unreachable",
    );
    for q in [
        "SQL Server ERRORLOG: Login failed. The Local Security Authority cannot be contacted",
        "Connect-AzAccount : AADSTS50055: The password is expired.",
        "az login fails with AADSTS50076",
    ] {
        assert_eq!(top(q), None, "{q:?}");
    }
    // Naming one of ours keeps it in the field.
    assert_top(
        "RDP from SQL Server host: The Local Security Authority cannot be contacted",
        "rdp-lsa-unreachable",
    );
}

#[test]
fn a_quoted_message_the_kb_does_not_know_lowers_the_words_around_it() {
    // The same words, once as a quoted message and once as plain prose.
    let text = "connecting to the other client in my lan network by its hostname gives";
    let plain = kb().lookup_with(&format!("{text} ID not found"), 0.0);
    let quoted = kb().lookup_with(&format!("{text} \"ID not found\""), 0.0);
    let best = |l: &rdperr::Lookup| l.matches.first().map_or(0.0, |m| m.confidence);
    assert!(
        best(&quoted) < 0.8 * best(&plain),
        "quoted {} vs plain {}",
        best(&quoted),
        best(&plain)
    );
    // A quote in another language is no evidence either way: the English beside it decides.
    assert_top(
        "Fehlermeldung \"Ein interner Fehler ist aufgetreten\" (An internal error has occurred)",
        "rdp-internal-error",
    );
}

#[test]
fn a_retold_message_and_a_split_word_are_read_as_the_message() {
    let found = kb().lookup("the sign-in screen keeps telling me the password is in correct");
    assert_eq!(
        found.matches.first().map(|m| m.id.as_str()),
        Some("rdp-credentials-rejected")
    );
    let typed: Vec<String> = found.matches[0]
        .reasons
        .iter()
        .filter_map(|r| match r {
            rdperr::Reason::Terms { typos, .. } => Some(typos.iter().map(|t| t.typed.clone())),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(typed.contains(&"in correct".to_string()), "{typed:?}");
}

#[test]
fn dialogs_in_other_languages_resolve_without_a_code() {
    for (q, id) in [
        (
            "Une erreur d’authentification s’est produite. L’autorité de sécurité locale ne peut pas être contactée.",
            "rdp-lsa-unreachable",
        ),
        ("发生身份验证错误。 无法联系本地安全机构。", "rdp-lsa-unreachable"),
        (
            "リモート デスクトップ接続: システム管理者は、使用できるログオンの種類 (ネットワークまたは対話型) を制限しました。",
            "rdp-logon-type-restricted",
        ),
        (
            "Die Verbindung mit der Remotesitzung wurde getrennt, da keine Lizenzserver für Remotedesktop vorhanden sind.",
            "rdp-license-no-server",
        ),
        // Windows' own German string differs from the translated article by a word.
        (
            "Der Remotedesktop kann aus einem der folgenden Gründe keine Verbindung mit dem Remotecomputer herstellen:",
            "rdp-cannot-connect-reasons",
        ),
    ] {
        assert_top(q, id);
    }
    // The English words "remote desktop" are not the German compound "Remotedesktop".
    assert_top(
        "remote desktop connection to azure vm times out no error",
        "rdp-cannot-connect-general",
    );
}

#[test]
fn shared_messages_are_flagged_ambiguous_with_hints() {
    let found = kb().lookup("This computer can't connect to the remote computer.");
    assert!(
        found.ambiguous,
        "{:?}",
        found.answers().map(|a| (a.0, a.1)).collect::<Vec<_>>()
    );
    assert!(found.tied().count() >= 2);
    assert!(found.tied().all(|a| a.3.is_some()));
}

#[test]
fn results_are_ordered_bounded_and_deterministic() {
    for q in [
        "credentials",
        "0x4",
        "The remote computer requires Network Level Authentication",
        "licen",
    ] {
        let a = kb().lookup(q);
        let b = kb().lookup(q);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        for w in a.matches.windows(2) {
            assert!(w[0].confidence >= w[1].confidence);
        }
        assert!(a
            .matches
            .iter()
            .all(|m| (0.0..=1.0).contains(&m.confidence)));
    }
}

#[test]
fn names_in_the_message_are_captured_for_commands() {
    let found = kb().lookup("Remote Desktop can't find the computer \"web01.contoso.com\".");
    assert_eq!(found.matches[0].id, "rdp-name-not-found");
    assert_eq!(
        found.captures.get("computer").map(String::as_str),
        Some("web01.contoso.com")
    );
}

/// Every client string that is a wording of an entry resolves to that entry when pasted as
/// the client prints it (with a sample value where it prints one). Lone symbols such as
/// ERRCONNECT_LOGON_FAILURE are code names, resolved by the code tables.
#[test]
fn every_mapped_client_string_resolves_to_its_entry() {
    let kb = rdperr::Kb::embedded();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for client in kb.clients() {
        for s in &client.strings {
            let Some(id) = &s.entry else { continue };
            // A lone symbol is a code name (the code tables read it), and "HTTP status:
            // <value>" says too little to be found on its own.
            if !s.findable() || rdperr::codes::is_symbolic(&s.text) {
                continue;
            }
            let pasted = s.text.replace("<value>", "7");
            let found = kb.lookup(&pasted);
            checked += 1;
            let ids: Vec<&str> = found.answers().map(|a| a.0).collect();
            // Two entries may share a string word for word; then the string's entry must be
            // among the equally likely answers. A consequence ("Unable to connect to RDP
            // server") gives way to any cause the same words suggest, so it need only be
            // among the first three.
            // A consequence's entry is a generic one, which the confidence model rightly ranks
            // low beside any cause: it must be among the first three candidates, sure or not.
            let all = kb.lookup_with(&pasted, 0.0);
            let tied: Vec<&str> = if s.role == rdperr::Role::Consequence {
                all.matches.iter().take(3).map(|m| m.id.as_str()).collect()
            } else {
                found.tied().map(|a| a.0).collect()
            };
            if !tied.contains(&id.as_str()) {
                wrong.push(format!(
                    "{} {}:{}: {:?} -> {:?}, expected {id}",
                    client.client,
                    s.file,
                    s.line,
                    s.text,
                    ids.iter().take(3).collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(checked > 300, "only {checked} mapped strings");
    assert!(
        wrong.is_empty(),
        "{} of {checked} mapped client strings resolve elsewhere:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

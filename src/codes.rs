//! Codes: the tables of every namespace, and finding codes in pasted text.
//!
//! Like err.exe, a number is tried in every namespace and each hit is a labelled
//! interpretation; unlike err.exe, the words around the number decide which interpretation
//! comes first ("Extended error code: 0x7" is an extended disconnect reason, "event 1058" an
//! event ID), and each interpretation points to the KB entries that explain it.

use crate::model::{code_key, CodeTable, Entry, Namespace, Role};
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::LazyLock;

/// One meaning of a code in one namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Interpretation {
    pub namespace: Namespace,
    /// A label for the namespace, for people.
    pub namespace_label: String,
    pub value: i64,
    /// The value as the namespace's tools write it, e.g. `0x204 (516)` or `AADSTS50126`.
    pub display: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub meaning: String,
    /// What a client or the system shows for this code, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Entries that explain this code.
    pub entries: Vec<String>,
    /// True when the words around the code point to this namespace.
    pub supported_by_context: bool,
    /// `consequence` for a generic outcome many causes end in (see the code tables).
    #[serde(default, skip_serializing_if = "Role::is_cause")]
    pub role: Role,
}

/// A code found in the query, with every interpretation, the best supported first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CodeFinding {
    /// The code as written in the query.
    pub text: String,
    pub interpretations: Vec<Interpretation>,
    /// How sure we are that this token is an error code at all (0 to 1).
    pub strength: f32,
    /// The namespaces the words just before the code point to (empty when they name none).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub context: Vec<Namespace>,
}

#[derive(Debug, Clone, Default)]
struct Row {
    name: Option<String>,
    meaning: String,
    message: Option<String>,
    /// Entries in priority order: the table row's own list first, then entries that claim it.
    entries: Vec<usize>,
    value: i64,
    role: Role,
}

/// Every known code, by namespace and 32-bit value, and by symbolic name.
#[derive(Debug, Default)]
pub(crate) struct CodeIndex {
    rows: HashMap<(Namespace, u64), Row>,
    by_value: HashMap<u64, Vec<Namespace>>,
    by_name: HashMap<String, (Namespace, u64)>,
}

impl CodeIndex {
    pub fn build(entries: &[std::sync::Arc<Entry>], tables: &[CodeTable]) -> CodeIndex {
        let ids: HashMap<&str, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.as_str(), i))
            .collect();
        let mut index = CodeIndex::default();
        for table in tables {
            for row in &table.codes {
                let slot = index.slot(table.namespace, row.value);
                if slot.name.is_none() {
                    slot.name = row.name.clone();
                }
                if slot.meaning.is_empty() {
                    slot.meaning = row.meaning.clone();
                }
                if slot.message.is_none() {
                    slot.message = row.message.clone();
                }
                if row.role == Role::Consequence {
                    slot.role = Role::Consequence;
                }
                for &i in row.entries.iter().filter_map(|id| ids.get(id.as_str())) {
                    if !slot.entries.contains(&i) {
                        slot.entries.push(i);
                    }
                }
            }
        }
        for (i, entry) in entries.iter().enumerate() {
            for code in &entry.codes {
                let slot = index.slot(code.namespace, code.value);
                if slot.name.is_none() {
                    slot.name = code.name.clone();
                }
                if slot.meaning.is_empty() {
                    slot.meaning = entry.title.clone();
                }
                if !slot.entries.contains(&i) {
                    slot.entries.push(i);
                }
            }
        }
        for (&(ns, key), row) in &index.rows {
            if let Some(name) = &row.name {
                if is_symbolic(name) {
                    index
                        .by_name
                        .entry(name.to_ascii_uppercase())
                        .or_insert((ns, key));
                }
            }
        }
        for list in index.by_value.values_mut() {
            list.sort();
            list.dedup();
        }
        index
    }

    fn slot(&mut self, ns: Namespace, value: i64) -> &mut Row {
        let key = code_key(value);
        if !ns.named_only() {
            self.by_value.entry(key).or_default().push(ns);
        }
        let row = self.rows.entry((ns, key)).or_default();
        row.value = value;
        row
    }

    fn interpretation(
        &self,
        ns: Namespace,
        key: u64,
        entries: &[std::sync::Arc<Entry>],
        supported: bool,
    ) -> Option<Interpretation> {
        let row = self.rows.get(&(ns, key))?;
        Some(Interpretation {
            namespace: ns,
            namespace_label: ns.label().to_string(),
            value: row.value,
            display: ns.format_value(row.value),
            name: row.name.clone(),
            meaning: row.meaning.clone(),
            message: row.message.clone(),
            entries: row.entries.iter().map(|&i| entries[i].id.clone()).collect(),
            supported_by_context: supported,
            role: row.role,
        })
    }

    /// All interpretations of a bare value, across namespaces, in a stable order.
    pub fn decode_value(
        &self,
        key: u64,
        namespaces: Option<&[Namespace]>,
        entries: &[std::sync::Arc<Entry>],
        hints: &[Namespace],
    ) -> Vec<Interpretation> {
        // Named namespaces are looked up directly: a named-only namespace is not in `by_value`.
        let spaces: &[Namespace] = match namespaces {
            Some(list) => list,
            None => self.by_value.get(&key).map_or(&[], Vec::as_slice),
        };
        let mut out: Vec<Interpretation> = spaces
            .iter()
            .filter_map(|&ns| self.interpretation(ns, key, entries, hints.contains(&ns)))
            .collect();
        out.sort_by_key(|i| (!i.supported_by_context, i.entries.is_empty(), i.namespace));
        out
    }

    /// Finds every code in `text` and interprets it.
    pub fn find(&self, text: &str, entries: &[std::sync::Arc<Entry>]) -> Vec<CodeFinding> {
        let mut findings: Vec<CodeFinding> = Vec::new();
        let word_count = text.split_whitespace().count();
        let mut seen = std::collections::HashSet::new();
        let mut push = |f: CodeFinding| {
            // One finding per written code: "0x204" twice in a log counts once.
            if !f.interpretations.is_empty() && seen.insert(f.text.to_ascii_uppercase()) {
                findings.push(f);
            }
        };

        // A keyboard layout or language id is a value, not a code, wherever the text repeats
        // it: 0x00000409 is en-US, which xrdp and FreeRDP log on every connection.
        let locale_values: std::collections::HashSet<String> = CODE_TOKEN
            .captures_iter(text)
            .filter_map(|cap| cap.name("hex").or(cap.name("barehex")).and(cap.get(0)))
            .filter(|m| {
                let before = context_before(text, m.start());
                LOCALE_FIELD.is_match(&before) && !CODE_WORDS.is_match(&before)
            })
            .map(|m| m.as_str().to_ascii_uppercase())
            .collect();
        for cap in CODE_TOKEN.captures_iter(text) {
            let whole = cap.get(0).expect("group 0");
            let before = context_before(text, whole.start());
            let hints = namespace_hints(&before);
            if let Some(n) = cap.name("aadsts") {
                let Ok(value) = n.as_str().parse::<i64>() else {
                    continue;
                };
                push(CodeFinding {
                    text: whole.as_str().to_string(),
                    interpretations: self.decode_value(
                        code_key(value),
                        Some(&[Namespace::Aadsts]),
                        entries,
                        &[Namespace::Aadsts],
                    ),
                    strength: 1.0,
                    context: vec![Namespace::Aadsts],
                });
            } else if let Some(h) = cap.name("hex").or(cap.name("barehex")) {
                if locale_values.contains(&whole.as_str().to_ascii_uppercase()) {
                    continue;
                }
                let Ok(value) = u64::from_str_radix(h.as_str(), 16) else {
                    continue;
                };
                let mut interpretations = Vec::new();
                // FreeRDP composes (class << 16) | code: class 1 is ERRINFO, class 2 ERRCONNECT.
                let class = value >> 16;
                let low = value & 0xFFFF;
                if (class == 1 || class == 2) && low != 0 {
                    let ns = if class == 1 {
                        Namespace::Errinfo
                    } else {
                        Namespace::Errconnect
                    };
                    interpretations.extend(self.decode_value(low, Some(&[ns]), entries, &[ns]));
                }
                interpretations.extend(self.decode_value(value, None, entries, &hints));
                if hints.contains(&Namespace::NegotiationFailure) {
                    interpretations.extend(self.decode_value(value, Some(&hints), entries, &hints));
                }
                // A one- or two-digit hex value in a longer text is a code only where a word
                // like "code" or "error" says so; logs print flags and types the same way
                // ("keyboard_type:[0x04]").
                let short = h.as_str().trim_start_matches('0').len() <= 2;
                let strength =
                    if short && word_count > 3 && hints.is_empty() && !CODE_WORDS.is_match(&before)
                    {
                        SHORT_HEX_STRENGTH
                    } else {
                        1.0
                    };
                push(CodeFinding {
                    text: whole.as_str().to_string(),
                    interpretations,
                    strength,
                    context: hints.clone(),
                });
            } else if let Some(name) = cap.name("name") {
                let Some(&(ns, key)) = self.by_name.get(&name.as_str().to_ascii_uppercase()) else {
                    continue;
                };
                push(CodeFinding {
                    text: name.as_str().to_string(),
                    interpretations: self.decode_value(key, Some(&[ns]), entries, &[ns]),
                    strength: 1.0,
                    context: vec![ns],
                });
            } else if let Some(d) = cap.name("dec") {
                if !standalone_number(text, d.start(), d.end()) {
                    continue;
                }
                let Ok(value) = d.as_str().parse::<i64>() else {
                    continue;
                };
                // Small numbers in prose ("step 2", "[Errno 2]") are rarely error codes.
                if value.abs() < 100 && word_count > 3 && hints.is_empty() {
                    continue;
                }
                // A number in prose counts only where it reads as a code: a short query, a
                // word like "code" or "error" before it, or a line of its own.
                let code_like = word_count <= 3
                    || !hints.is_empty()
                    || CODE_WORDS.is_match(&before)
                    || alone_on_line(text, d.start(), d.end());
                if !code_like {
                    continue;
                }
                // A negotiation failure code is read only where the text names it so.
                let spaces = if hints.contains(&Namespace::NegotiationFailure) {
                    &hints[..]
                } else {
                    DECIMAL_NAMESPACES
                };
                push(CodeFinding {
                    text: d.as_str().to_string(),
                    interpretations: self.decode_value(
                        code_key(value),
                        Some(spaces),
                        entries,
                        &hints,
                    ),
                    strength: 0.9,
                    context: hints.clone(),
                });
            }
        }
        findings
    }
}

/// How sure a short hex value ("0x04") with no word like "code" before it is a code at all.
const SHORT_HEX_STRENGTH: f32 = 0.4;

/// Namespaces whose codes people see written in decimal.
const DECIMAL_NAMESPACES: &[Namespace] = &[
    Namespace::DisconnectReason,
    Namespace::ExtendedReason,
    Namespace::Win32,
    Namespace::Event,
    Namespace::Aadsts,
    Namespace::AadloginExit,
    Namespace::Client,
];

static CODE_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?i:\bAADSTS(?P<aadsts>\d{1,9})\b)
        | \b0[xX](?P<hex>[0-9A-Fa-f]{1,8})\b
        | \b(?P<barehex>[89ACDacd][0-9A-Fa-f]{7})\b
        | \b(?P<name>[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+|(?:disconnectReason|exDiscReason)[A-Za-z0-9]+)\b
        | (?P<dec>-?\b\d{1,10}\b)
        ",
    )
    .expect("static regex")
});

/// Words before keyboard-layout and language values ("keylayout:[", "keymap file for ",
/// "LCID "); a word like "error" right before the value still makes it a code.
static LOCALE_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(layout|keymap|locale|lcid|langid|language id|code ?page)")
        .expect("static regex")
});

static CODE_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(code|error|err|reason|event|id|status|exit|fail|failed|disconnected|connection)\W*$",
    )
    .expect("static regex")
});

/// A symbolic name worth indexing: upper-case with underscores, or a camelCase API name.
pub fn is_symbolic(name: &str) -> bool {
    name.len() > 4
        && !name.contains(' ')
        && (name.contains('_')
            || name.starts_with("disconnectReason")
            || name.starts_with("exDiscReason"))
}

/// The 40 characters before `at`, lower-cased, for context hints.
fn context_before(text: &str, at: usize) -> String {
    let mut start = at.saturating_sub(40);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    text[start..at].to_lowercase()
}

/// Which namespaces the words just before a code point to.
fn namespace_hints(before: &str) -> Vec<Namespace> {
    let tail = before.trim_end_matches(|c: char| !c.is_alphanumeric());
    let mut hints = Vec::new();
    // MS-RDPBCGR names the RDP_NEG_FAILURE field `failureCode`; clients that print the number
    // print that name, or "failure code"/"with code" after naming the negotiation
    // (kb/clients: rdp-html5 "failureCode = 5", node-rdpjs "NEG_FAILURE(Failure code:5",
    // grdp "NEG_FAILURE with code: 5").
    let about_negotiation = before.contains("negotiat") || before.contains("neg_failure");
    if tail.ends_with("failurecode")
        || ((tail.ends_with("failure code") || tail.ends_with("with code")) && about_negotiation)
    {
        hints.push(Namespace::NegotiationFailure);
    } else if tail.ends_with("extended error code")
        || tail.ends_with("extended reason")
        || tail.ends_with("extended disconnect reason")
    {
        hints.push(Namespace::ExtendedReason);
    } else if tail.ends_with("event id")
        || tail.ends_with("event")
        || tail.ends_with("eventid")
        || tail.ends_with("event code")
    {
        hints.push(Namespace::Event);
    } else if tail.ends_with("ntstatus") || tail.ends_with("status") || tail.ends_with("substatus")
    {
        hints.push(Namespace::Ntstatus);
    } else if tail.ends_with("exit code") {
        hints.extend([Namespace::AadloginExit, Namespace::Win32]);
    } else if tail.ends_with("system error") || tail.ends_with("win32 error") {
        hints.push(Namespace::Win32);
    } else if tail.ends_with("error code")
        || tail.ends_with("disconnect reason")
        || tail.ends_with("disconnected")
        || tail.ends_with("code")
    {
        hints.extend([Namespace::DisconnectReason, Namespace::Client]);
    }
    hints
}

/// A decimal that is part of a time, date, IP address or version is not a code.
fn standalone_number(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let before = start.checked_sub(1).map(|i| bytes[i]);
    let after = bytes.get(end).copied();
    let after2 = bytes.get(end + 1).copied();
    let joins = |b: Option<u8>| matches!(b, Some(b'.' | b':' | b'/' | b'_' | b'\\' | b'@' | b'#'));
    if joins(before) || before.is_some_and(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    if matches!(after, Some(b':' | b'/' | b'_')) || after.is_some_and(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    // "1.2.3" or "10.0.0.1": a dot followed by a digit joins; a sentence's full stop does not.
    !(after == Some(b'.') && after2.is_some_and(|b| b.is_ascii_digit()))
}

fn alone_on_line(text: &str, start: usize, end: usize) -> bool {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    text[line_start..start].trim().is_empty() && text[end..line_end].trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_inside_times_ips_and_versions_are_not_codes() {
        let t = "[20:44:10:263] 10.0.0.1 v1.391.3926.0 port 22.";
        for (s, e) in [(1, 3), (15, 17), (32, 36)] {
            assert!(!standalone_number(t, s, e), "{}", &t[s..e]);
        }
        let port = t.find("22").unwrap();
        assert!(standalone_number(t, port, port + 2));
    }

    #[test]
    fn context_words_pick_the_namespace() {
        assert_eq!(
            namespace_hints("extended error code: "),
            [Namespace::ExtendedReason]
        );
        assert_eq!(namespace_hints("see event "), [Namespace::Event]);
        assert_eq!(
            namespace_hints("error code: "),
            [Namespace::DisconnectReason, Namespace::Client]
        );
        assert!(namespace_hints("connected to port ").is_empty());
        assert_eq!(
            namespace_hints("negotiation failure: failurecode = "),
            [Namespace::NegotiationFailure]
        );
        assert_eq!(
            namespace_hints("rdp negotiation failed, failure code "),
            [Namespace::NegotiationFailure]
        );
        assert_eq!(
            namespace_hints("node_rdp_protocol_x224_neg_failure with code: "),
            [Namespace::NegotiationFailure]
        );
        // Event 4771's "Failure Code" is Kerberos, not RDP negotiation.
        assert_ne!(
            namespace_hints("pre-authentication failed. failure code: "),
            [Namespace::NegotiationFailure]
        );
    }

    #[test]
    fn keyboard_layouts_are_values() {
        for before in ["keylayout:[", "keyboard layout ", "using keymap ", "lcid="] {
            assert!(LOCALE_FIELD.is_match(before), "{before}");
        }
        assert!(!LOCALE_FIELD.is_match("error code "));
    }

    #[test]
    fn token_regex_finds_each_kind() {
        let t = "AADSTS50126 0x204 C000006D ERRCONNECT_LOGON_FAILURE 516";
        let kinds: Vec<&str> = CODE_TOKEN
            .captures_iter(t)
            .map(|c| {
                ["aadsts", "hex", "barehex", "name", "dec"]
                    .into_iter()
                    .find(|k| c.name(k).is_some())
                    .unwrap()
            })
            .collect();
        assert_eq!(kinds, ["aadsts", "hex", "barehex", "name", "dec"]);
    }
}

//! Turning results into text for people and JSON for programs, and commands the user can paste.
//!
//! All text that came from outside (the query, a team's own KB) passes through [`sanitize`], so
//! terminal control sequences never reach the terminal raw.

use crate::model::{CommandKind, Entry, Shell, Step, PLACEHOLDERS};
use crate::{Kb, Lookup, Match, Reason};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The version of the JSON documents `rdperr --json` prints. 2: `suggestions` and `scope`
/// beside `matches`, and `confidence` is a calibrated probability.
pub const SCHEMA_VERSION: u32 = 2;

/// Replaces control characters (ESC, BEL, C1 controls ...) except newline and tab with U+FFFD.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// The shell a command is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandShell {
    PowerShell,
    Bash,
    Cmd,
}

/// A command with its placeholders filled.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FilledCommand {
    /// The command as the KB writes it, with `{placeholders}`.
    pub template: String,
    /// The command with the user's values, or example values where none was given.
    pub command: String,
    /// Placeholders that show an example value rather than the user's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
}

/// Quotes `value` as one argument for `shell`, or `None` when no quoting is safe (cmd.exe cannot
/// quote `%` or `"` reliably).
pub fn quote(value: &str, shell: CommandShell) -> Option<String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-@:/\\+=,".contains(c);
    if !value.is_empty()
        && value.chars().all(plain)
        && !(shell == CommandShell::Bash && value.contains('\\'))
    {
        return Some(value.to_string());
    }
    if value.chars().any(|c| c.is_control()) {
        return None;
    }
    match shell {
        // PowerShell treats the typographic single quotes as quotes too; double every one.
        CommandShell::PowerShell => {
            let mut out = String::from("'");
            for c in value.chars() {
                if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
                    out.push(c);
                }
                out.push(c);
            }
            out.push('\'');
            Some(out)
        }
        CommandShell::Bash => Some(format!("'{}'", value.replace('\'', r"'\''"))),
        CommandShell::Cmd => {
            if value.chars().any(|c| "\"%!^&|<>".contains(c)) {
                None
            } else {
                Some(format!("\"{value}\""))
            }
        }
    }
}

/// Fills `{placeholders}` from `values`; unknown or unsafe values fall back to the example value.
pub fn fill(
    template: &str,
    shell: CommandShell,
    values: &BTreeMap<String, String>,
) -> FilledCommand {
    let mut command = String::with_capacity(template.len());
    let mut examples = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        let name = &rest[open + 1..close];
        let Some(example) = PLACEHOLDERS
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
        else {
            // Not a placeholder (PowerShell braces, "{current}" in bcdedit): copy it through.
            command.push_str(&rest[..=close]);
            rest = &rest[close + 1..];
            continue;
        };
        command.push_str(&rest[..open]);
        let before = command.chars().last();
        let after = rest[close + 1..].chars().next();
        let standalone = before.is_none_or(char::is_whitespace)
            && after.is_none_or(|c| c.is_whitespace() || c == ';' || c == ')');
        let given = values.get(name).and_then(|v| {
            let q = quote(v, shell)?;
            // Inside a larger word only a value that needs no quoting is safe.
            (standalone || q == *v).then_some(q)
        });
        match given {
            Some(v) => command.push_str(&v),
            None => {
                command.push_str(example);
                if !examples.iter().any(|e| e == name) {
                    examples.push(name.to_string());
                }
            }
        }
        rest = &rest[close + 1..];
    }
    command.push_str(rest);
    FilledCommand {
        template: template.to_string(),
        command,
        examples,
    }
}

/// Options for text output.
#[derive(Debug, Clone, Default)]
pub struct TextOptions {
    pub color: bool,
    /// How many matches to show in all (1 = only the best; alternatives are listed briefly).
    pub limit: usize,
    /// Values for command placeholders.
    pub values: BTreeMap<String, String>,
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, sgr: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
    fn heading(&self, t: &str) -> String {
        self.paint("1;4", t)
    }
    fn code(&self, t: &str) -> String {
        self.paint("36", t)
    }
    fn warn(&self, t: &str) -> String {
        self.paint("33", t)
    }
}

/// Text for a lookup, for a person at a terminal.
pub fn lookup_text(kb: &Kb, lookup: &Lookup, opts: &TextOptions) -> String {
    let p = Painter { color: opts.color };
    let mut out = String::new();
    let Some(best) = lookup.matches.first() else {
        if lookup.suggestions.is_empty() {
            let _ = writeln!(out, "{}", no_match_text(kb, lookup));
        } else {
            suggestions_text(&mut out, &p, lookup);
        }
        return out;
    };
    // Codes first, as err.exe lists them: every interpretation, the supported one first.
    if !lookup.codes.is_empty() {
        let _ = writeln!(out, "{}", p.heading("Codes"));
        codes_text(&mut out, &p, &lookup.codes);
        let _ = writeln!(out);
    }
    if lookup.ambiguous {
        let tied: Vec<_> = lookup.tied().take(opts.limit.max(6)).collect();
        let _ = writeln!(
            out,
            "{}",
            p.warn(&format!(
                "This text fits {} errors about equally. Tell them apart:",
                tied.len()
            ))
        );
        for (id, confidence, title, hint) in &tied {
            let _ = writeln!(
                out,
                "  {} {}  {}",
                p.bold(&sanitize(title)),
                p.dim(&format!("[{id}]")),
                p.dim(&format!("confidence {confidence:.2}"))
            );
            if let Some(hint) = hint {
                let _ = writeln!(out, "{}", indent(&wrap(&sanitize(hint), 74), "      "));
            }
        }
        let _ = writeln!(
            out,
            "\nShowing the first; `rdperr show ID` shows another.\n"
        );
    }
    entry_text(&mut out, &p, best, lookup, opts);
    let others: Vec<&Match> = lookup
        .matches
        .iter()
        .skip(1)
        .take(opts.limit.saturating_sub(1))
        .collect();
    if !others.is_empty() || !lookup.suggestions.is_empty() {
        let _ = writeln!(out, "\n{}", p.heading("Also possible"));
        for m in others {
            let _ = writeln!(
                out,
                "  {:.2}  {}  {}",
                m.confidence,
                p.bold(&sanitize(&m.entry.title)),
                p.dim(&format!("[{}]", m.id))
            );
        }
        for s in &lookup.suggestions {
            let _ = writeln!(
                out,
                "  {:.2}  {}  {}",
                s.confidence,
                sanitize(&s.title),
                p.dim(&format!("[{}] (less sure)", s.id))
            );
        }
    }
    out
}

/// For a text about Remote Desktop that no entry fits surely: the closest entries, each with
/// what tells it apart and the question that decides.
fn suggestions_text(out: &mut String, p: &Painter, lookup: &Lookup) {
    let _ = writeln!(
        out,
        "{}",
        p.warn("Not sure which error this is. The closest ones, and how to decide:")
    );
    for s in &lookup.suggestions {
        let _ = writeln!(
            out,
            "\n  {}  {}  {}",
            p.bold(&sanitize(&s.title)),
            p.dim(&format!("[{}]", s.id)),
            p.dim(&format!("confidence {:.2}", s.confidence))
        );
        if let Some(line) = &s.line {
            let _ = writeln!(
                out,
                "{}",
                indent(
                    &wrap(&format!("line {}: {}", line.line, sanitize(&line.text)), 72),
                    "      "
                )
            );
        }
        if let Some(q) = &s.question {
            let _ = writeln!(out, "{}", indent(&wrap(&sanitize(q), 72), "      "));
        } else if let Some(h) = &s.hint {
            let _ = writeln!(out, "{}", indent(&wrap(&sanitize(h), 72), "      "));
        }
    }
    let _ = writeln!(
        out,
        "\n`rdperr show ID` shows an entry in full; pasting more of the message or log helps."
    );
}

/// What the KB covers, for a query that matched nothing, and the other field the query names
/// if that is why.
pub fn no_match_text(kb: &Kb, lookup: &Lookup) -> String {
    let why = match &lookup.other_field {
        Some(field) => format!(
            " The text seems to be about {} (it names \"{}\"), not Remote Desktop.",
            crate::normalize::field_of(field),
            sanitize(field)
        ),
        None => String::new(),
    };
    format!(
        "No match.{why} rdperr explains Remote Desktop (mstsc, Windows App, web client, FreeRDP) and Microsoft Entra VM sign-in errors: {} entries and their codes; `rdperr list` shows them.",
        kb.entries().len()
    )
}

fn codes_text(out: &mut String, p: &Painter, codes: &[crate::CodeFinding]) {
    for f in codes {
        let n = f.interpretations.len();
        let _ = writeln!(
            out,
            "  {}: {} interpretation{}",
            p.code(&sanitize(&f.text)),
            n,
            if n == 1 { "" } else { "s" }
        );
        for i in &f.interpretations {
            let name = i
                .name
                .as_deref()
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            let entries = if i.entries.is_empty() {
                String::new()
            } else {
                format!(" -> {}", i.entries.join(", "))
            };
            let line = format!(
                "{} {}{}: {}",
                i.namespace_label,
                i.display,
                name,
                sanitize(&i.meaning)
            );
            let _ = writeln!(out, "{}{}", hanging("    - ", &line), p.dim(&entries));
        }
    }
}

fn entry_text(out: &mut String, p: &Painter, m: &Match, lookup: &Lookup, opts: &TextOptions) {
    let e = &m.entry;
    let _ = writeln!(
        out,
        "{}  {}",
        p.bold(&sanitize(&e.title)),
        p.dim(&format!("[{}]", e.id))
    );
    let reasons: Vec<String> = m.reasons.iter().map(reason_text).collect();
    let _ = writeln!(
        out,
        "{}",
        p.dim(&format!(
            "{} · confidence {:.2}{}",
            e.category,
            m.confidence,
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" · {}", reasons.join("; "))
            }
        ))
    );
    // In a pasted log, the line that decided, and the consequences it outranked.
    if let Some(line) = &m.line {
        let _ = writeln!(
            out,
            "{}",
            p.dim(&format!(
                "decided by line {}: {}",
                line.line,
                sanitize(line.text.trim())
            ))
        );
    }
    let mut values = opts.values.clone();
    for (k, v) in &lookup.captures {
        values.entry(k.clone()).or_insert_with(|| v.clone());
    }
    body_text(out, p, e, &values);
}

/// The body of an entry: summary, causes, steps, related, sources.
fn body_text(out: &mut String, p: &Painter, e: &Entry, values: &BTreeMap<String, String>) {
    let _ = writeln!(out, "\n{}", wrap(&sanitize(&e.summary), 78));
    let _ = writeln!(out, "\n{}", p.heading("Causes"));
    for (i, c) in e.causes.iter().enumerate() {
        let _ = writeln!(out, "{}", hanging(&format!("{:>3}. ", i + 1), &sanitize(c)));
    }
    let _ = writeln!(out, "\n{}", p.heading("Fix steps, least disruptive first"));
    let mut examples_used = Vec::new();
    for (i, s) in e.steps.iter().enumerate() {
        let title = if s.disruptive {
            format!("{} {}", p.bold(&sanitize(&s.title)), p.warn("[disruptive]"))
        } else {
            p.bold(&sanitize(&s.title))
        };
        let _ = writeln!(out, "{:>3}. {title}", i + 1);
        let _ = writeln!(
            out,
            "{}",
            indent(&wrap(&sanitize(&s.explanation), 73), "     ")
        );
        if let Some(d) = &s.disruption {
            let _ = writeln!(
                out,
                "{}",
                indent(&wrap(&format!("Disruption: {}", sanitize(d)), 73), "     ")
            );
        }
        if let Some(portal) = &s.portal {
            let _ = writeln!(
                out,
                "{}",
                indent(&wrap(&format!("Portal: {}", sanitize(portal)), 73), "     ")
            );
        }
        if let Some(ui) = &s.ui {
            let _ = writeln!(
                out,
                "{}",
                indent(&wrap(&format!("Where: {}", sanitize(ui)), 73), "     ")
            );
        }
        for (label, filled) in step_commands(s, values) {
            examples_used.extend(filled.examples.iter().cloned());
            let _ = writeln!(out, "     {label}:");
            let _ = writeln!(
                out,
                "{}",
                indent(&p.code(&sanitize(&filled.command)), "       ")
            );
        }
    }
    examples_used.sort();
    examples_used.dedup();
    if !examples_used.is_empty() {
        let flags: Vec<String> = examples_used
            .iter()
            .map(|n| match n.as_str() {
                "resource_group" => "--resource-group".to_string(),
                other => format!("--{}", other.replace('_', "-")),
            })
            .collect();
        let _ = writeln!(
            out,
            "\n{}",
            p.dim(&wrap(
                &format!(
                    "Commands show example names ({}); pass {} to use yours.",
                    examples_used
                        .iter()
                        .map(|n| PLACEHOLDERS
                            .iter()
                            .find(|(k, _)| k == n)
                            .map_or("", |(_, v)| *v))
                        .collect::<Vec<_>>()
                        .join(", "),
                    flags.join(", ")
                ),
                78
            ))
        );
    }
    if !e.related.is_empty() {
        let _ = writeln!(out, "\n{} {}", p.heading("Related"), e.related.join(", "));
    }
    let _ = writeln!(out, "\n{}", p.heading("Sources"));
    for s in &e.sources {
        let _ = writeln!(out, "  {}", sanitize(s));
    }
}

/// The shell a kind of command is written for.
fn shell_of(kind: CommandKind) -> CommandShell {
    match kind {
        CommandKind::Powershell | CommandKind::InGuest(Shell::Powershell, _) => {
            CommandShell::PowerShell
        }
        CommandKind::AzureCli => CommandShell::Bash,
        CommandKind::InGuest(Shell::Cmd, _) => CommandShell::Cmd,
    }
}

/// The command variants of a step, labelled and filled.
pub fn step_commands(s: &Step, values: &BTreeMap<String, String>) -> Vec<(String, FilledCommand)> {
    s.commands()
        .map(|(kind, t)| (kind.label(), fill(t, shell_of(kind), values)))
        .collect()
}

/// The full text of one entry, for `rdperr show`.
pub fn entry_page(e: &Entry, color: bool, values: &BTreeMap<String, String>) -> String {
    let p = Painter { color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  {}",
        p.bold(&sanitize(&e.title)),
        p.dim(&format!("[{}]", e.id))
    );
    let _ = writeln!(out, "{}", p.dim(e.category.as_str()));
    if !e.messages.is_empty() {
        let _ = writeln!(out, "\n{}", p.heading("Messages"));
        for m in &e.messages {
            let _ = writeln!(out, "{}", hanging("  - ", &sanitize(m)));
        }
    }
    if !e.localized.is_empty() {
        let _ = writeln!(out, "\n{}", p.heading("In other languages"));
        for l in &e.localized {
            let line = format!("{}: {}", l.lang, l.text);
            let _ = writeln!(out, "{}", hanging("  - ", &sanitize(&line)));
        }
    }
    if !e.codes.is_empty() {
        let _ = writeln!(out, "\n{}", p.heading("Codes"));
        for c in &e.codes {
            let name = c
                .name
                .as_deref()
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {}{}",
                c.namespace.label(),
                c.namespace.format_value(c.value),
                name
            );
        }
    }
    for (heading, text) in [
        ("Telling it apart", &e.distinguish),
        ("The question that decides", &e.question),
    ] {
        if let Some(t) = text {
            let _ = writeln!(out, "\n{}\n{}", p.heading(heading), wrap(&sanitize(t), 78));
        }
    }
    body_text(&mut out, &p, e, values);
    out
}

/// The JSON document for a lookup: `{"schema_version", "query", "matches": [...], ...}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LookupDocument<'a> {
    pub schema_version: u32,
    #[serde(flatten)]
    pub lookup: &'a Lookup,
    /// Every step command of every match, filled with the user's values, by match id.
    pub commands: BTreeMap<String, Vec<Vec<StepCommand>>>,
}

/// One filled command of one step.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StepCommand {
    pub kind: String,
    #[serde(flatten)]
    pub filled: FilledCommand,
}

/// Builds the JSON document for a lookup.
pub fn lookup_json(lookup: &Lookup, values: &BTreeMap<String, String>) -> serde_json::Value {
    let mut all = values.clone();
    for (k, v) in &lookup.captures {
        all.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let commands = lookup
        .matches
        .iter()
        .map(|m| (m.id.clone(), entry_commands(&m.entry, &all)))
        .collect();
    serde_json::to_value(LookupDocument {
        schema_version: SCHEMA_VERSION,
        lookup,
        commands,
    })
    .unwrap_or(serde_json::Value::Null)
}

/// The filled commands of every step of an entry, step by step.
pub fn entry_commands(e: &Entry, values: &BTreeMap<String, String>) -> Vec<Vec<StepCommand>> {
    e.steps
        .iter()
        .map(|s| {
            s.commands()
                .map(|(kind, t)| StepCommand {
                    kind: kind.key().to_string(),
                    filled: fill(t, shell_of(kind), values),
                })
                .collect()
        })
        .collect()
}

fn reason_text(r: &Reason) -> String {
    match r {
        Reason::Code {
            code,
            namespace,
            name,
            ..
        } => format!(
            "code {} ({}{})",
            sanitize(code),
            namespace.label(),
            name.as_deref().map(|n| format!(" {n}")).unwrap_or_default()
        ),
        Reason::Phrase {
            client: Some(client),
            ..
        } => format!("exact message ({} prints it)", sanitize(client)),
        Reason::Phrase {
            lang: Some(lang), ..
        } => format!("exact message in {}", sanitize(lang)),
        Reason::Phrase { .. } => "exact message".to_string(),
        Reason::Terms {
            matched,
            typos,
            lang,
            ..
        } => {
            let mut s = format!("words: {}", matched.join(" "));
            if let Some(lang) = lang {
                let _ = write!(s, " (of its {} wording)", sanitize(lang));
            }
            if !typos.is_empty() {
                let t: Vec<String> = typos
                    .iter()
                    .map(|t| format!("{}→{}", sanitize(&t.typed), t.read_as))
                    .collect();
                let _ = write!(s, " (typos: {})", t.join(", "));
            }
            s
        }
        Reason::Fragment { fragment, .. } => {
            format!("part of its message: \"{}\"", sanitize(fragment))
        }
        Reason::Pattern { .. } => "pattern".to_string(),
        Reason::Consequence { line, .. } => format!("line {line} is a consequence"),
    }
}

/// Greedy word wrap at `width` columns.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for (n, para) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut col = 0;
        for word in para.split_whitespace() {
            let len = word.chars().count();
            if col > 0 && col + 1 + len > width {
                out.push('\n');
                col = 0;
            } else if col > 0 {
                out.push(' ');
                col += 1;
            }
            out.push_str(word);
            col += len;
        }
    }
    out
}

fn indent(text: &str, pad: &str) -> String {
    text.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn hanging(first: &str, text: &str) -> String {
    let pad = " ".repeat(first.chars().count());
    let wrapped = wrap(text, 78usize.saturating_sub(pad.len()));
    let mut lines = wrapped.lines();
    let mut out = format!("{first}{}", lines.next().unwrap_or(""));
    for l in lines {
        out.push('\n');
        out.push_str(&pad);
        out.push_str(l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn unfilled_placeholders_show_examples() {
        let f = fill(
            "Restart-AzVM -ResourceGroupName {resource_group} -Name {vm}",
            CommandShell::PowerShell,
            &BTreeMap::new(),
        );
        assert_eq!(
            f.command,
            "Restart-AzVM -ResourceGroupName myResourceGroup -Name myVM"
        );
        assert_eq!(f.examples, ["resource_group", "vm"]);
    }

    #[test]
    fn hostile_values_stay_one_argument() {
        let v = values(&[
            ("vm", "x'; Remove-Item C:\\ -Recurse; '"),
            ("resource_group", "$(rm -rf /)"),
        ]);
        let ps = fill(
            "Restart-AzVM -ResourceGroupName {resource_group} -Name {vm}",
            CommandShell::PowerShell,
            &v,
        );
        assert_eq!(ps.command, "Restart-AzVM -ResourceGroupName '$(rm -rf /)' -Name 'x''; Remove-Item C:\\ -Recurse; '''");
        let sh = fill(
            "az vm restart -g {resource_group} -n {vm}",
            CommandShell::Bash,
            &v,
        );
        assert_eq!(
            sh.command,
            "az vm restart -g '$(rm -rf /)' -n 'x'\\''; Remove-Item C:\\ -Recurse; '\\'''"
        );
        // cmd.exe cannot quote these safely: the example value is kept.
        let cmd = fill(
            "mstsc /v:{computer}",
            CommandShell::Cmd,
            &values(&[("computer", "a&calc")]),
        );
        assert_eq!(cmd.command, "mstsc /v:myComputer");
        assert_eq!(cmd.examples, ["computer"]);
    }

    #[test]
    fn plain_values_fill_inside_words() {
        let cmd = fill(
            "mstsc /v:{computer}",
            CommandShell::Cmd,
            &values(&[("computer", "web01.contoso.com")]),
        );
        assert_eq!(cmd.command, "mstsc /v:web01.contoso.com");
        // bcdedit's {current} is not a placeholder.
        let b = fill(
            "bcdedit /deletevalue {current} safeboot",
            CommandShell::Cmd,
            &BTreeMap::new(),
        );
        assert_eq!(b.command, "bcdedit /deletevalue {current} safeboot");
    }

    #[test]
    fn control_characters_are_neutralised() {
        assert_eq!(sanitize("a\x1b[31mb\x07c\nd"), "a\u{FFFD}[31mb\u{FFFD}c\nd");
    }
}

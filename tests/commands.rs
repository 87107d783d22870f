//! Every command an admin copies from the KB is checked against the real tools' references:
//! each PowerShell cmdlet and `az` command must be in the committed reference tables under
//! `scripts/check-commands/reference/` (built by `scripts/check-commands/harvest.py` from
//! `az ... --help` and the cmdlets' help Markdown), each parameter must be one the tool knows,
//! commands must not stop at a prompt (Run Command has no console), and every registry value
//! written with `reg add` must be one Windows reads (a committed allowlist with sources).
//!
//! Offline: the tables are committed, so this runs in `cargo test` on a fresh clone.

use rdperr::model::{CommandKind, RunsOn, Shell, PLACEHOLDERS};
use rdperr::Kb;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

const REF: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scripts/check-commands/reference"
);

#[derive(Deserialize)]
struct CmdletTable {
    #[serde(default)]
    cmdlet: Vec<Cmdlet>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Cmdlet {
    name: String,
    repo: String,
    path: String,
    commit: String,
    parameters: Vec<String>,
    #[serde(default)]
    aliases: BTreeMap<String, Vec<String>>,
    /// Without -Force (or -Confirm:$false) the cmdlet asks for confirmation.
    #[serde(default)]
    force_prompts: bool,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct AzTable {
    az_version: String,
    #[serde(default)]
    command: Vec<AzCommand>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct AzCommand {
    name: String,
    parameters: Vec<String>,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize)]
struct RegTable {
    value: Vec<RegValue>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct RegValue {
    key: String,
    name: String,
    source: String,
}

fn load<T: for<'de> Deserialize<'de>>(file: &str) -> T {
    let path = Path::new(REF).join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// PowerShell's common parameters and their aliases (about_CommonParameters), plus the risk
/// mitigation parameters every ShouldProcess cmdlet takes.
const COMMON: &[&str] = &[
    "Debug",
    "db",
    "ErrorAction",
    "ea",
    "ErrorVariable",
    "ev",
    "InformationAction",
    "infa",
    "InformationVariable",
    "iv",
    "OutBuffer",
    "ob",
    "OutVariable",
    "ov",
    "PipelineVariable",
    "pv",
    "ProgressAction",
    "proga",
    "Verbose",
    "vb",
    "WarningAction",
    "wa",
    "WarningVariable",
    "wv",
];

/// PowerShell's built-in aliases the KB uses (Get-Alias on Windows PowerShell 5.1).
const ALIASES: &[(&str, &str)] = &[
    ("gwmi", "Get-WmiObject"),
    ("select", "Select-Object"),
    ("sort", "Sort-Object"),
    ("where", "Where-Object"),
    ("gci", "Get-ChildItem"),
    ("md", "New-Item"),
];

struct Reference {
    cmdlets: HashMap<String, Cmdlet>,
    az: HashMap<String, AzCommand>,
    reg: BTreeSet<(String, String)>,
}

fn reference() -> Reference {
    let mut cmdlets = HashMap::new();
    for file in ["cmdlets.toml", "cmdlets-manual.toml"] {
        for c in load::<CmdletTable>(file).cmdlet {
            cmdlets.insert(c.name.to_ascii_lowercase(), c);
        }
    }
    let mut az = HashMap::new();
    for file in ["az.toml", "az-manual.toml"] {
        for c in load::<AzTable>(file).command {
            az.insert(c.name.clone(), c);
        }
    }
    let reg = load::<RegTable>("reg-values.toml")
        .value
        .into_iter()
        .map(|v| (normalize_key(&v.key), v.name.to_ascii_lowercase()))
        .collect();
    Reference { cmdlets, az, reg }
}

/// A registry key as Windows sees it on a running system: HKEY_LOCAL_MACHINE is HKLM, an
/// offline hive loaded as BROKENSYSTEM / BROKENSOFTWARE stands for SYSTEM / SOFTWARE, and
/// ControlSet001/002 for CurrentControlSet.
fn normalize_key(key: &str) -> String {
    let k = key
        .trim_matches('"')
        .trim_end_matches('\\')
        .to_ascii_lowercase();
    let k = k.replace("hkey_local_machine\\", "hklm\\");
    let k = k
        .replace("hklm\\brokensystem\\", "hklm\\system\\")
        .replace("hklm\\brokensoftware\\", "hklm\\software\\");
    k.replace("\\controlset001\\", "\\currentcontrolset\\")
        .replace("\\controlset002\\", "\\currentcontrolset\\")
}

#[derive(Default)]
struct Report {
    findings: Vec<String>,
    checked: BTreeMap<&'static str, usize>,
    params: usize,
    not_checked: BTreeMap<String, usize>,
}

struct Ctx<'a> {
    id: &'a str,
    step: usize,
    kind: CommandKind,
    command: &'a str,
}

impl Report {
    fn find(&mut self, ctx: &Ctx, what: String) {
        let mut s = String::new();
        let _ = write!(
            s,
            "{} step {} [{}]: {what}\n    in: {}",
            ctx.id,
            ctx.step,
            ctx.kind.label(),
            ctx.command.lines().collect::<Vec<_>>().join(" / ")
        );
        self.findings.push(s);
    }
}

// ------------------------------------------------------------------------------------------
// PowerShell

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    /// A string literal, quotes kept (a native program's argument).
    Str(String),
    Var,
    /// `;`, `|`, `&&`, `||`, newline: ends a statement.
    End,
    /// `(`, `$(`, `@(`, `{`: a new statement starts inside.
    Open,
    /// `@{`: a hashtable; keys and values are expressions.
    OpenHash,
    Close,
}

fn ps_tokens(text: &str) -> Vec<Tok> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        match ch {
            '`' if c.get(i + 1) == Some(&'\n') => i += 2, // line continuation
            '`' if c.get(i + 1) == Some(&'\r') => i += 3,
            ' ' | '\t' | '\r' => i += 1,
            '\n' | ';' => {
                out.push(Tok::End);
                i += 1;
            }
            '|' | '&' => {
                out.push(Tok::End);
                i += if c.get(i + 1) == Some(&ch) { 2 } else { 1 };
            }
            '#' => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '(' | '{' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' | '}' => {
                out.push(Tok::Close);
                i += 1;
            }
            '$' if c.get(i + 1) == Some(&'(') => {
                out.push(Tok::Open);
                i += 2;
            }
            '@' if c.get(i + 1) == Some(&'(') => {
                out.push(Tok::Open);
                i += 2;
            }
            '@' if c.get(i + 1) == Some(&'{') => {
                out.push(Tok::OpenHash);
                i += 2;
            }
            '\'' => {
                let start = i;
                i += 1;
                while i < c.len() {
                    if c[i] == '\'' {
                        if c.get(i + 1) == Some(&'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i = (i + 1).min(c.len());
                out.push(Tok::Str(c[start..i].iter().collect()));
            }
            '"' => {
                let start = i;
                i += 1;
                while i < c.len() && c[i] != '"' {
                    if c[i] == '`' {
                        i += 1;
                    }
                    i += 1;
                }
                i = (i + 1).min(c.len());
                out.push(Tok::Str(c[start..i].iter().collect()));
            }
            '$' => {
                i += 1;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == ':') {
                    i += 1;
                }
                out.push(Tok::Var);
            }
            _ => {
                let start = i;
                while i < c.len() && !" \t\r\n;|&(){}'\"".contains(c[i]) {
                    // `-Name:$false`, `x:\path`: a `$` inside a word belongs to it
                    i += 1;
                }
                out.push(Tok::Word(c[start..i].iter().collect()));
            }
        }
    }
    out
}

/// One command invocation found in PowerShell text: the command name and its arguments (words
/// only; nested groups are walked separately).
#[derive(Debug)]
struct PsCall {
    name: String,
    args: Vec<String>,
}

fn ps_calls(text: &str) -> Vec<PsCall> {
    #[derive(PartialEq, Clone, Copy)]
    enum Mode {
        Start,
        Command(usize),
        Expr,
        Hash,
    }
    let mut calls: Vec<PsCall> = Vec::new();
    // one mode per open group; index 0 is the top level
    let mut stack: Vec<Mode> = vec![Mode::Start];
    // a hashtable's statements are expressions
    let mut kinds: Vec<bool> = vec![false];
    for tok in ps_tokens(text) {
        let top = stack.len() - 1;
        match tok {
            Tok::End => stack[top] = if kinds[top] { Mode::Hash } else { Mode::Start },
            Tok::Open => {
                stack.push(Mode::Start);
                kinds.push(false);
            }
            Tok::OpenHash => {
                stack.push(Mode::Hash);
                kinds.push(true);
            }
            Tok::Close => {
                if stack.len() > 1 {
                    stack.pop();
                    kinds.pop();
                }
                // `(Get-Date).Ticks` as an argument: the outer command goes on
            }
            Tok::Str(text) => match stack[top] {
                Mode::Start => stack[top] = Mode::Expr,
                // a native program's quoted argument (`reg add "HKLM\..."`)
                Mode::Command(n) => calls[n].args.push(text),
                _ => {}
            },
            Tok::Var => {
                if stack[top] == Mode::Start {
                    stack[top] = Mode::Expr;
                }
            }
            Tok::Word(w) => match stack[top] {
                Mode::Start => {
                    if w.starts_with('[')
                        || w.starts_with('.') && !w.starts_with(".\\")
                        || w.parse::<f64>().is_ok()
                    {
                        stack[top] = Mode::Expr;
                    } else {
                        calls.push(PsCall {
                            name: w,
                            args: Vec::new(),
                        });
                        stack[top] = Mode::Command(calls.len() - 1);
                    }
                }
                Mode::Command(n) => calls[n].args.push(w),
                Mode::Expr | Mode::Hash => {
                    // `$x = Get-Credential`: a pipeline starts after an assignment
                    if w.ends_with('=') && !w.starts_with('-') && stack[top] == Mode::Expr {
                        stack[top] = Mode::Start;
                    }
                }
            },
        }
    }
    calls
}

fn is_cmdlet_name(name: &str) -> bool {
    let mut parts = name.splitn(2, '-');
    let (Some(verb), Some(noun)) = (parts.next(), parts.next()) else {
        return false;
    };
    !verb.is_empty()
        && verb.chars().all(|c| c.is_ascii_alphabetic())
        && !noun.is_empty()
        && noun.chars().all(|c| c.is_ascii_alphanumeric())
}

fn check_cmdlet(r: &Reference, rep: &mut Report, ctx: &Ctx, call: &PsCall, name: &str) {
    let Some(c) = r.cmdlets.get(&name.to_ascii_lowercase()) else {
        rep.find(
            ctx,
            format!("unknown cmdlet {name} (not in the reference tables)"),
        );
        return;
    };
    *rep.checked.entry("cmdlet").or_default() += 1;
    let mut names: Vec<String> = c.parameters.clone();
    for a in c.aliases.values() {
        names.extend(a.iter().cloned());
    }
    names.extend(COMMON.iter().map(|s| s.to_string()));
    names.extend(
        ["WhatIf", "wi", "Confirm", "cf"]
            .iter()
            .map(|s| s.to_string()),
    );
    let mut force = false;
    for a in &call.args {
        let Some(p) = a.strip_prefix('-') else {
            continue;
        };
        if p.is_empty() || !p.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
            continue; // a negative number
        }
        let (p, value) = match p.split_once(':') {
            Some((p, v)) => (p, Some(v)),
            None => (p, None),
        };
        rep.params += 1;
        let exact: Vec<&String> = names.iter().filter(|n| n.eq_ignore_ascii_case(p)).collect();
        let resolved = if let Some(n) = exact.first() {
            Some((*n).clone())
        } else {
            let pre: BTreeSet<String> = c
                .parameters
                .iter()
                .chain(
                    COMMON
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .iter(),
                )
                .filter(|n| n.to_ascii_lowercase().starts_with(&p.to_ascii_lowercase()))
                .cloned()
                .collect();
            if pre.len() == 1 {
                pre.into_iter().next()
            } else {
                rep.find(
                    ctx,
                    if pre.is_empty() {
                        format!(
                            "{} has no parameter -{p} (help: {}/{})",
                            c.name, c.repo, c.path
                        )
                    } else {
                        format!("{}: -{p} is ambiguous ({pre:?})", c.name)
                    },
                );
                None
            }
        };
        if let Some(n) = resolved {
            if n.eq_ignore_ascii_case("Force")
                || n.eq_ignore_ascii_case("Confirm")
                    && value.is_some_and(|v| v.eq_ignore_ascii_case("$false"))
            {
                force = true;
            }
        }
    }
    if c.force_prompts && !force {
        rep.find(
            ctx,
            format!(
                "{} asks for confirmation without -Force or -Confirm:$false",
                c.name
            ),
        );
    }
}

fn check_powershell(r: &Reference, rep: &mut Report, ctx: &Ctx, text: &str) {
    for call in ps_calls(text) {
        let lower = call.name.to_ascii_lowercase();
        if let Some(name) = call.name.strip_prefix(PH) {
            rep.find(
                ctx,
                format!(
                    "{{{}}} stands where PowerShell runs a command: a filled-in value is \
                     unquoted, so it would run as a command there",
                    name.trim_end_matches('_')
                ),
            );
            continue;
        }
        if let Some((_, full)) = ALIASES.iter().find(|(a, _)| *a == lower) {
            check_cmdlet(r, rep, ctx, &call, full);
        } else if is_cmdlet_name(&call.name) {
            check_cmdlet(r, rep, ctx, &call, &call.name);
        } else {
            let mut words = vec![call.name.clone()];
            words.extend(call.args.iter().cloned());
            check_native(r, rep, ctx, &words);
        }
    }
}

// ------------------------------------------------------------------------------------------
// cmd.exe and native programs

/// Splits a cmd.exe line into commands (at `|` and `&`) and words: double quotes group and are
/// kept; a redirection's target (`> file`) is dropped.
fn cmd_words(line: &str) -> Vec<Vec<String>> {
    let mut cmds: Vec<Vec<String>> = vec![Vec::new()];
    let mut cur = String::new();
    let mut quoted = false;
    let mut redirect = false;
    let flush = |cur: &mut String, cmds: &mut Vec<Vec<String>>, redirect: &mut bool| {
        if !cur.is_empty() {
            let word = std::mem::take(cur);
            if !std::mem::take(redirect) {
                cmds.last_mut().unwrap().push(word);
            }
        }
    };
    for ch in line.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                cur.push(ch);
            }
            ' ' | '\t' if !quoted => flush(&mut cur, &mut cmds, &mut redirect),
            '|' | '&' if !quoted => {
                flush(&mut cur, &mut cmds, &mut redirect);
                cmds.push(Vec::new());
            }
            '>' if !quoted => {
                flush(&mut cur, &mut cmds, &mut redirect);
                redirect = true;
            }
            _ => cur.push(ch),
        }
    }
    flush(&mut cur, &mut cmds, &mut redirect);
    cmds.retain(|c| !c.is_empty());
    cmds
}

fn check_native(r: &Reference, rep: &mut Report, ctx: &Ctx, words: &[String]) {
    let prog = words[0].trim_matches('"').to_ascii_lowercase();
    let prog = prog.strip_suffix(".exe").unwrap_or(&prog).to_string();
    let has = |flag: &str| words.iter().any(|w| w.eq_ignore_ascii_case(flag));
    match prog.as_str() {
        "reg" => {
            *rep.checked.entry("reg").or_default() += 1;
            let sub = words
                .get(1)
                .map(|s| s.to_ascii_lowercase())
                .unwrap_or_default();
            match sub.as_str() {
                // (reg import never asks)
                "add" | "delete" | "copy" | "restore" if !has("/f") => {
                    rep.find(ctx, format!("reg {sub} without /f asks before writing"));
                }
                "export" | "save" if !has("/y") => {
                    rep.find(ctx, format!("reg {sub} without /y asks before overwriting"));
                }
                _ => {}
            }
            if sub == "add" {
                let key = words.get(2).cloned().unwrap_or_default();
                let name = words
                    .iter()
                    .position(|w| w.eq_ignore_ascii_case("/v"))
                    .and_then(|i| words.get(i + 1))
                    .map(|v| v.trim_matches('"').to_ascii_lowercase());
                if let Some(name) = name {
                    if !r.reg.contains(&(normalize_key(&key), name.clone())) {
                        rep.find(
                            ctx,
                            format!(
                                "reg add writes {key}\\{name}, which is not in reg-values.toml"
                            ),
                        );
                    }
                }
            }
        }
        "procmon" | "procmon64" | "psexec" | "psexec64" | "handle" | "autoruns" | "autorunsc"
        | "sigcheck" => {
            *rep.checked.entry("sysinternals").or_default() += 1;
            if ctx.kind != CommandKind::InGuest(Shell::Cmd, RunsOn::Client)
                && ctx.kind != CommandKind::InGuest(Shell::Powershell, RunsOn::Client)
                && !has("/accepteula")
                && !has("-accepteula")
            {
                rep.find(
                    ctx,
                    format!("{prog} on the VM without /accepteula shows the EULA dialog"),
                );
            }
        }
        "az" => check_az(r, rep, ctx, words),
        _ => *rep.not_checked.entry(prog).or_default() += 1,
    }
}

// ------------------------------------------------------------------------------------------
// Azure CLI (bash)

/// Shell words of a bash line, with `$( ... )` substitutions returned as their own commands.
fn bash_commands(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut stack: Vec<Vec<Vec<String>>> = vec![vec![Vec::new()]];
    let mut cur = String::new();
    let c: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut quote: Option<char> = None;
    fn flush(cur: &mut String, stack: &mut [Vec<Vec<String>>]) {
        if !cur.is_empty() {
            stack
                .last_mut()
                .unwrap()
                .last_mut()
                .unwrap()
                .push(std::mem::take(cur));
        }
    }
    while i < c.len() {
        let ch = c[i];
        match (quote, ch) {
            (Some(q), _) if ch == q => quote = None,
            (Some('"'), '$') if c.get(i + 1) == Some(&'(') => {
                flush(&mut cur, &mut stack);
                stack.push(vec![Vec::new()]);
                quote = None;
                i += 1;
            }
            (Some(_), _) => cur.push(ch),
            (None, '\'' | '"') => quote = Some(ch),
            (None, '$') if c.get(i + 1) == Some(&'(') => {
                cur.push_str("$SUB");
                flush(&mut cur, &mut stack);
                stack.push(vec![Vec::new()]);
                i += 1;
            }
            (None, ')') if stack.len() > 1 => {
                flush(&mut cur, &mut stack);
                out.extend(stack.pop().unwrap());
            }
            (None, ' ' | '\t') => flush(&mut cur, &mut stack),
            (None, '\n' | ';' | '|' | '&') => {
                flush(&mut cur, &mut stack);
                stack.last_mut().unwrap().push(Vec::new());
            }
            (None, '\\') if c.get(i + 1) == Some(&'\n') => i += 1,
            _ => cur.push(ch),
        }
        i += 1;
    }
    flush(&mut cur, &mut stack);
    while let Some(s) = stack.pop() {
        out.extend(s);
    }
    out.retain(|c| !c.is_empty());
    out
}

fn check_az(r: &Reference, rep: &mut Report, ctx: &Ctx, words: &[String]) {
    let sub: Vec<&str> = words[1..]
        .iter()
        .take_while(|w| !w.starts_with('-'))
        .map(|s| s.as_str())
        .collect();
    let Some((n, cmd)) = (1..=sub.len())
        .rev()
        .find_map(|n| r.az.get(&sub[..n].join(" ")).map(|c| (n, c)))
    else {
        rep.find(ctx, format!("unknown az command: az {}", sub.join(" ")));
        return;
    };
    if n != sub.len() {
        rep.find(
            ctx,
            format!(
                "az {}: unexpected positional words {:?}",
                cmd.name,
                &sub[n..]
            ),
        );
    }
    *rep.checked.entry("az").or_default() += 1;
    for w in &words[1 + sub.len()..] {
        if !w.starts_with('-') || w.parse::<f64>().is_ok() || w == "-" {
            continue;
        }
        let p = w.split_once('=').map_or(w.as_str(), |(p, _)| p);
        rep.params += 1;
        if !cmd.parameters.iter().any(|k| k == p) {
            rep.find(ctx, format!("az {} has no parameter {p}", cmd.name));
        }
    }
}

fn check_bash(r: &Reference, rep: &mut Report, ctx: &Ctx, text: &str) {
    for mut words in bash_commands(text) {
        // `vm=$(...)`: an assignment; its substitution was split out already
        while words.first().is_some_and(|w| {
            w.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
        }) {
            words.remove(0);
        }
        if words.is_empty() {
            continue;
        }
        if words[0] == "az" {
            check_az(r, rep, ctx, &words);
        } else {
            *rep.not_checked.entry(words[0].clone()).or_default() += 1;
        }
    }
}

// ------------------------------------------------------------------------------------------

/// The command with every `{placeholder}` replaced by a plain value, as the renderer does for a
/// value without special characters (`myVM`): in PowerShell a bare word `__ph_vm__`, so that
/// `{vm}` is not read as a script block and a placeholder where PowerShell would run it as a
/// command (`({user} -replace ...)`) shows up as a call; elsewhere the placeholder's name.
fn fill(text: &str, powershell: bool) -> String {
    let mut out = text.to_string();
    for (name, _) in PLACEHOLDERS {
        let value = if powershell {
            format!("{PH}{name}__")
        } else {
            name.to_string()
        };
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    out
}

const PH: &str = "__ph_";

fn run() -> Report {
    let r = reference();
    let mut rep = Report::default();
    for entry in Kb::embedded().entries() {
        for (n, step) in entry.steps.iter().enumerate() {
            for (kind, text) in step.commands() {
                let ctx = Ctx {
                    id: &entry.id,
                    step: n + 1,
                    kind,
                    command: text,
                };
                *rep.checked.entry(kind.key()).or_default() += 1;
                let powershell = matches!(
                    kind,
                    CommandKind::Powershell | CommandKind::InGuest(Shell::Powershell, _)
                );
                let filled = fill(text, powershell);
                let text = filled.as_str();
                match kind {
                    CommandKind::AzureCli => check_bash(&r, &mut rep, &ctx, text),
                    CommandKind::Powershell | CommandKind::InGuest(Shell::Powershell, _) => {
                        check_powershell(&r, &mut rep, &ctx, text)
                    }
                    CommandKind::InGuest(Shell::Cmd, _) => {
                        for line in text.lines() {
                            for words in cmd_words(line) {
                                check_native(&r, &mut rep, &ctx, &words);
                            }
                        }
                    }
                }
            }
        }
    }
    rep
}

#[test]
fn every_kb_command_is_known_to_its_tool() {
    let rep = run();
    eprintln!(
        "checked: {:?}; parameters: {}; not checked (programs without a reference): {:?}",
        rep.checked, rep.params, rep.not_checked
    );
    assert!(
        rep.findings.is_empty(),
        "{} finding(s):\n{}",
        rep.findings.len(),
        rep.findings.join("\n")
    );
}

#[test]
fn the_tokenizer_finds_nested_commands_and_parameters() {
    let calls = ps_calls(
        "$x = Get-Credential; Get-WinEvent -FilterHashtable @{LogName='Security'; StartTime=(Get-Date).AddDays(-1)} | Select -Property Count, @{Name=\"P\";Expression={(Get-Process -PID ($_.Name)).Name}} `\n -First 1",
    );
    let names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Get-Credential",
            "Get-WinEvent",
            "Get-Date",
            "Select",
            "Get-Process"
        ]
    );
    assert_eq!(calls[3].args, ["-Property", "Count,", "-First", "1"]);
    let calls = ps_calls("Unlock-ADAccount -Identity ('CONTOSO\\u' -replace '^.*\\\\')");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].args, ["-Identity"]);
    let calls = ps_calls(&fill(
        "reg add \"HKLM\\X\" /v Y /f; Restart-AzVM -Name {vm}",
        true,
    ));
    assert_eq!(calls[0].args, ["add", "\"HKLM\\X\"", "/v", "Y", "/f"]);
    assert_eq!(calls[1].args, ["-Name", "__ph_vm__"]);
    let cmds = bash_commands(
        "vm=$(az vm show -g rg --query id -o tsv); az role assignment create --scope \"$vm\"",
    );
    assert!(cmds.iter().any(|c| c[..2] == ["az", "vm"]));
    assert!(cmds
        .iter()
        .any(|c| c.get(3).map(String::as_str) == Some("create")));
}

#[test]
fn the_checker_reports_wrong_commands() {
    let r = reference();
    let mut rep = Report::default();
    let bad: &[(CommandKind, &str)] = &[
        // unknown parameter, unknown cmdlet, prompt without -Force
        (CommandKind::Powershell, "Restart-AzVM -ResourceGroupName {resource_group} -VMNameX {vm}"),
        (CommandKind::Powershell, "Restart-AzVMs -Name {vm}"),
        (CommandKind::Powershell, "Remove-AzVMExtension -ResourceGroupName {resource_group} -VMName {vm} -Name x"),
        // a placeholder at the start of ( ) runs as a command once filled in
        (
            CommandKind::Powershell,
            "Unlock-ADAccount -Identity ({user} -replace 'x')",
        ),
        // unknown az parameter and command
        (CommandKind::AzureCli, "az vm restart --resource-group {resource_group} --vm {vm}"),
        (CommandKind::AzureCli, "az vm reboot -g {resource_group} -n {vm}"),
        // reg add without /f, a value Windows does not read, procmon without /accepteula
        (
            CommandKind::InGuest(Shell::Cmd, RunsOn::Vm),
            "reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\" /v fDenyTSConnection /t REG_DWORD /d 0",
        ),
        (CommandKind::InGuest(Shell::Cmd, RunsOn::Vm), "procmon /Quiet"),
    ];
    for (kind, text) in bad {
        let ctx = Ctx {
            id: "test",
            step: 1,
            kind: *kind,
            command: text,
        };
        let filled = fill(
            text,
            !matches!(
                kind,
                CommandKind::AzureCli | CommandKind::InGuest(Shell::Cmd, _)
            ),
        );
        match kind {
            CommandKind::AzureCli => check_bash(&r, &mut rep, &ctx, &filled),
            CommandKind::InGuest(Shell::Cmd, _) => {
                for words in cmd_words(&filled) {
                    check_native(&r, &mut rep, &ctx, &words);
                }
            }
            _ => check_powershell(&r, &mut rep, &ctx, &filled),
        }
    }
    let all = rep.findings.join("\n");
    for expected in [
        "Restart-AzVM has no parameter -VMNameX",
        "unknown cmdlet Restart-AzVMs",
        "Remove-AzVMExtension asks for confirmation",
        "az vm restart has no parameter --vm",
        "unknown az command: az vm reboot",
        "reg add without /f",
        "fdenytsconnection, which is not in reg-values.toml",
        "procmon on the VM without /accepteula",
        "{user} stands where PowerShell runs a command",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
}

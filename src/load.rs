//! Loading the KB: the embedded files, `--kb` folders, parsing and validation.
//!
//! Every problem is reported with its file, line and column, and loading goes on after the first
//! problem so that one run lists them all (like a compiler, not like a fail-fast parser).

use crate::error::{Diagnostic, Error, Severity};
use crate::model::{ClientStrings, CodeTable, Entry, PLACEHOLDERS};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

/// A KB file's path (as shown in diagnostics) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// Entries and code tables that parsed and validated, each with the file it came from.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub entries: Vec<(Entry, String)>,
    pub tables: Vec<(CodeTable, String)>,
    /// The clients' harvested strings (`clients/<client>.toml`).
    pub clients: Vec<(ClientStrings, String)>,
    pub warnings: Vec<Diagnostic>,
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_kb.rs"));
}

/// The KB files compiled into the library.
pub(crate) fn embedded_files() -> Vec<SourceFile> {
    embedded::EMBEDDED_FILES
        .iter()
        .map(|(path, text)| SourceFile {
            path: (*path).to_string(),
            text: (*text).to_string(),
        })
        .collect()
}

/// Reads every `*.toml` below `dir` (sorted, so the order never depends on the file system).
pub fn read_dir(dir: &Path) -> Result<Vec<SourceFile>, Error> {
    let mut paths = Vec::new();
    collect_toml(dir, &mut paths)?;
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            Ok(SourceFile {
                path: path.display().to_string(),
                // Invalid UTF-8 becomes U+FFFD, which the TOML parser then reports with a position.
                text: String::from_utf8_lossy(&bytes).into_owned(),
            })
        })
        .collect()
}

fn collect_toml(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    for item in std::fs::read_dir(dir).map_err(io)? {
        let path = item.map_err(io)?.path();
        if path.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// What a KB file holds, by the folder it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    /// Under `codes/`: a code table.
    CodeTable,
    /// Under `clients/`: a client's harvested strings.
    Client,
    /// Anywhere else: an entry.
    Entry,
}

fn file_kind(path: &str) -> FileKind {
    match Path::new(path)
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
    {
        Some("codes") => FileKind::CodeTable,
        Some("clients") => FileKind::Client,
        _ => FileKind::Entry,
    }
}

/// Parses and validates a set of files as one KB. Errors stop the load; warnings are kept.
///
/// With `lint`, the warnings (weak spots that still load) are computed too; a plain lookup does
/// not pay for them.
pub(crate) fn load(files: &[SourceFile], lint: bool) -> Result<Loaded, Error> {
    let mut loaded = Loaded::default();
    let mut problems = Vec::new();
    for file in files {
        let path = file.path.clone();
        let parsed = match file_kind(&file.path) {
            FileKind::CodeTable => {
                toml::from_str(&file.text).map(|t| loaded.tables.push((t, path)))
            }
            FileKind::Client => toml::from_str(&file.text).map(|c| loaded.clients.push((c, path))),
            FileKind::Entry => toml::from_str(&file.text).map(|e| loaded.entries.push((e, path))),
        };
        if let Err(e) = parsed {
            problems.push(toml_problem(file, &e));
        }
    }
    let texts: HashMap<&str, &str> = files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect();
    let mut all = validate(&loaded, &texts, lint);
    problems.append(&mut all);
    let (errors, warnings): (Vec<_>, Vec<_>) = problems
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(Error::Kb(errors));
    }
    loaded.warnings = warnings;
    Ok(loaded)
}

fn toml_problem(file: &SourceFile, e: &toml::de::Error) -> Diagnostic {
    let offset = e.span().map(|s| s.start);
    let mut d = diagnostic(
        Severity::Error,
        "KB001",
        e.message().trim().to_string(),
        &file.path,
        &file.text,
        offset,
    );
    if d.message.starts_with("unknown variant") && d.message.contains("category") {
        d.help = Some("the categories are listed in kb/README.md".into());
    }
    d
}

/// Builds a diagnostic at a byte offset of `text` (or for the whole file when `None`).
pub(crate) fn diagnostic(
    severity: Severity,
    code: &'static str,
    message: String,
    file: &str,
    text: &str,
    offset: Option<usize>,
) -> Diagnostic {
    let (line, column, source_line) = match offset {
        Some(offset) => {
            let offset = offset.min(text.len());
            let before = &text[..floor_char_boundary(text, offset)];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = text[line_start..floor_char_boundary(text, offset)]
                .chars()
                .count()
                + 1;
            let src = text[line_start..].lines().next().unwrap_or("").to_string();
            (line, column, Some(src))
        }
        None => (0, 0, None),
    };
    Diagnostic {
        severity,
        code,
        message,
        file: file.to_string(),
        line,
        column,
        source_line,
        help: None,
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The byte offset of a value in the file, to point a diagnostic at it: the first occurrence of
/// `needle` after the line that starts with `key`, or of `key` itself.
fn locate(text: &str, key: &str, needle: &str) -> Option<usize> {
    let key_at = text
        .match_indices(key)
        .find(|(i, _)| *i == 0 || text.as_bytes()[i - 1] == b'\n')
        .map(|(i, _)| i);
    let from = key_at.unwrap_or(0);
    if !needle.is_empty() {
        if let Some(i) = text[from..].find(needle) {
            return Some(from + i);
        }
        if let Some(i) = text.find(needle) {
            return Some(i);
        }
    }
    key_at
}

static ID_SHAPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").expect("static regex"));
/// A BCP 47 tag as the KB uses them: language, then optional script or region subtags.
static LANG_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$").expect("static regex"));
static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([A-Za-z_][A-Za-z0-9_]*)\}").expect("static regex"));

/// Brace words that Windows tools take literally (bcdedit's `{current}`, `{default}` ...).
pub(crate) fn is_literal_braces(name: &str) -> bool {
    const LITERAL: &[&str] = &[
        "current",
        "default",
        "bootmgr",
        "fwbootmgr",
        "memdiag",
        "ntldr",
        "badmemory",
        "globalsettings",
        "dbgsettings",
        "emssettings",
        "bootloadersettings",
        "hypervisorsettings",
        "resumeloadersettings",
        "ramdiskoptions",
    ];
    LITERAL.contains(&name.to_ascii_lowercase().as_str())
}

fn validate(loaded: &Loaded, texts: &HashMap<&str, &str>, lint: bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let text_of = |file: &str| texts.get(file).copied().unwrap_or("");
    let mut first_file: HashMap<&str, &str> = HashMap::new();
    let ids: HashSet<&str> = loaded.entries.iter().map(|(e, _)| e.id.as_str()).collect();
    let known_placeholders: HashSet<&str> = PLACEHOLDERS.iter().map(|(k, _)| *k).collect();

    for (entry, file) in &loaded.entries {
        let text = text_of(file);
        let at = |key: &str, needle: &str| locate(text, key, needle);
        let mut error = |code, message: String, offset, help: Option<String>| {
            let mut d = diagnostic(Severity::Error, code, message, file, text, offset);
            d.help = help;
            out.push(d);
        };

        if let Some(other) = first_file.insert(&entry.id, file) {
            error(
                "KB003",
                format!("duplicate id `{}`: already defined in {other}", entry.id),
                at("id", &entry.id),
                Some("ids are unique across the embedded KB and every --kb folder".into()),
            );
        }
        if !ID_SHAPE.is_match(&entry.id) {
            error(
                "KB004",
                format!(
                    "id `{}` is not kebab-case (a-z, 0-9 and single dashes)",
                    entry.id
                ),
                at("id", &entry.id),
                None,
            );
        }
        let stem = Path::new(file).file_stem().and_then(|s| s.to_str());
        if stem.is_some_and(|stem| stem != entry.id) {
            error(
                "KB004",
                format!("file name does not match id `{}`", entry.id),
                at("id", &entry.id),
                Some(format!("rename the file to {}.toml", entry.id)),
            );
        }
        for (field, empty) in [
            ("title", entry.title.trim().is_empty()),
            ("summary", entry.summary.trim().is_empty()),
            ("causes", entry.causes.is_empty()),
            ("steps", entry.steps.is_empty()),
            ("sources", entry.sources.is_empty()),
        ] {
            if empty {
                error(
                    "KB007",
                    format!("entry `{}` has no {field}", entry.id),
                    at(field, "").or(at("id", "")),
                    Some(format!("every entry needs at least one of `{field}`")),
                );
            }
        }
        for localized in &entry.localized {
            if !LANG_TAG.is_match(&localized.lang) {
                error(
                    "KB010",
                    format!("`{}` is not a language tag", localized.lang),
                    at("lang", &localized.lang),
                    Some("use a BCP 47 tag such as de-DE, fr-FR or zh-CN".into()),
                );
            }
            if localized.text.trim().is_empty() {
                error(
                    "KB007",
                    format!("a localized wording of `{}` is empty", entry.id),
                    at("text", ""),
                    None,
                );
            }
        }
        for pattern in &entry.patterns {
            if let Err(e) = Regex::new(pattern) {
                let detail = e.to_string();
                let last = detail.lines().last().unwrap_or("").trim();
                let last = last.strip_prefix("error: ").unwrap_or(last).to_string();
                error(
                    "KB005",
                    format!("pattern does not compile: {last}"),
                    at("patterns", pattern),
                    Some("patterns use the syntax of the Rust `regex` crate".into()),
                );
            }
        }
        for related in &entry.related {
            if !ids.contains(related.as_str()) {
                error(
                    "KB006",
                    format!("related id `{related}` does not exist"),
                    at("related", &format!("\"{related}\"")),
                    None,
                );
            }
        }
        for (i, step) in entry.steps.iter().enumerate() {
            for (kind, command) in step.commands() {
                let kind = kind.key();
                for cap in PLACEHOLDER.captures_iter(command) {
                    let name = &cap[1];
                    if !known_placeholders.contains(name) && !is_literal_braces(name) {
                        error(
                            "KB009",
                            format!(
                                "step {} ({kind}) uses unknown placeholder `{{{name}}}`",
                                i + 1
                            ),
                            at(kind, &format!("{{{name}}}")),
                            Some("the placeholders are listed in kb/README.md".into()),
                        );
                    }
                }
            }
        }
        if lint {
            warn_entry(entry, file, text, &mut out);
        }
    }

    for (table, file) in &loaded.tables {
        let text = text_of(file);
        for row in &table.codes {
            for id in &row.entries {
                if !ids.contains(id.as_str()) {
                    out.push(diagnostic(
                        Severity::Error,
                        "KB008",
                        format!(
                            "code {} points to entry `{id}`, which does not exist",
                            table.namespace.format_value(row.value)
                        ),
                        file,
                        text,
                        locate(text, "entries", &format!("\"{id}\"")),
                    ));
                }
            }
        }
    }
    for (client, file) in &loaded.clients {
        validate_client(client, file, text_of(file), &ids, &mut out);
    }
    if lint {
        warn_shared_messages(loaded, texts, &mut out);
    }
    out
}

/// A client's strings: each names one existing entry, a missing slug or the reason it is
/// ignored, and was read in a version the file records at a full commit.
fn validate_client(
    client: &ClientStrings,
    file: &str,
    text: &str,
    ids: &HashSet<&str>,
    out: &mut Vec<Diagnostic>,
) {
    let mut error = |message: String, offset, help: &str| {
        let mut d = diagnostic(Severity::Error, "KB011", message, file, text, offset);
        d.help = Some(help.to_string());
        out.push(d);
    };
    if !client.repository.starts_with("https://") {
        error(
            format!("repository `{}` is not an https URL", client.repository),
            locate(text, "repository", ""),
            "give the public repository the strings were read from",
        );
    }
    for v in &client.versions {
        if v.commit.len() != 40 || !v.commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            error(
                format!(
                    "version `{}`: commit `{}` is not 40 hex digits",
                    v.label, v.commit
                ),
                locate(text, "commit", &v.commit),
                "record the full commit the strings were read at",
            );
        }
    }
    for s in &client.strings {
        // Found only when a problem is reported: searching the file for every string would
        // cost more than loading it.
        let at = || locate(text, "text", &s.text);
        let given = [s.entry.is_some(), s.missing.is_some(), s.ignored.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            error(
                format!(
                    "string `{}` needs exactly one of entry, missing, ignored",
                    s.text
                ),
                at(),
                "a harvested string is a wording of one entry, a missing entry, or ignored",
            );
        }
        if let Some(id) = &s.entry {
            if !ids.contains(id.as_str()) {
                error(
                    format!(
                        "string `{}` points to entry `{id}`, which does not exist",
                        s.text
                    ),
                    at(),
                    "use an entry id from `rdperr list`, or `missing = \"slug\"`",
                );
            }
        }
        if s.text.trim().is_empty() {
            error(
                "a string's text is empty".into(),
                at(),
                "harvest the text as printed",
            );
        }
        if !client.versions.iter().any(|v| v.label == s.version) {
            error(
                format!(
                    "string `{}`: version `{}` is not a [[version]] label",
                    s.text, s.version
                ),
                at(),
                "every string names the [[version]] it was read in",
            );
        }
    }
}

/// Warnings: things that load fine but make the KB weaker.
fn warn_entry(entry: &Entry, file: &str, text: &str, out: &mut Vec<Diagnostic>) {
    let mut warn = |code, message: String, offset, help: &str| {
        let mut d = diagnostic(Severity::Warning, code, message, file, text, offset);
        d.help = Some(help.to_string());
        out.push(d);
    };
    if entry.examples.len() < 2 {
        warn(
            "KB101",
            format!("entry `{}` has fewer than two golden examples", entry.id),
            locate(text, "examples", "").or(locate(text, "id", "")),
            "add `examples`: queries that must resolve to this entry first",
        );
    }
    let localized_sources = entry.localized.iter().map(|l| &l.source);
    for source in entry.sources.iter().chain(localized_sources) {
        if !source.starts_with("https://") {
            warn(
                "KB103",
                format!("source `{source}` is not an https URL"),
                locate(text, "sources", source),
                "cite public https URLs",
            );
        }
    }
    for (i, step) in entry.steps.iter().enumerate() {
        if step.portal.is_none() && step.ui.is_none() && step.commands().next().is_none() {
            warn(
                "KB104",
                format!(
                    "step {} has no command, no portal action and no UI path",
                    i + 1
                ),
                locate(text, "title", &step.title),
                "give the step a `portal` or `ui` path, or a command where one is documented",
            );
        }
    }
}

fn warn_shared_messages(loaded: &Loaded, texts: &HashMap<&str, &str>, out: &mut Vec<Diagnostic>) {
    let mut owners: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (entry, _)) in loaded.entries.iter().enumerate() {
        let mut seen = HashSet::new();
        for message in &entry.messages {
            let key = crate::normalize::normalize(message);
            if seen.insert(key.clone()) {
                owners.entry(key).or_default().push(i);
            }
        }
    }
    let mut reported = HashSet::new();
    for (message, list) in owners.iter().filter(|(_, l)| l.len() > 1) {
        for &i in list {
            let (entry, file) = &loaded.entries[i];
            if entry.distinguish.is_none() && reported.insert(i) {
                let text = texts.get(file.as_str()).copied().unwrap_or("");
                let others: Vec<&str> = list
                    .iter()
                    .filter(|&&j| j != i)
                    .map(|&j| loaded.entries[j].0.id.as_str())
                    .collect();
                let mut d = diagnostic(
                    Severity::Warning,
                    "KB102",
                    format!(
                        "entry `{}` shares the message \"{message}\" with {} but has no `distinguish` hint",
                        entry.id,
                        others.join(", ")
                    ),
                    file,
                    text,
                    locate(text, "messages", ""),
                );
                d.help = Some("say how a user tells the entries apart".into());
                out.push(d);
            }
        }
    }
}

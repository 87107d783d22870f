//! The `rdperr` command: argument parsing, reading the query, printing, exit codes.
//! Everything else lives in the library.

#[cfg(feature = "mcp")]
mod mcp;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use rdperr::render::{self, TextOptions};
use rdperr::{Kb, Severity};
use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Explain Remote Desktop and Microsoft Entra sign-in errors: which error it is, why it
/// happens, and the fix steps in order, least disruptive first.
#[derive(Parser, Debug)]
#[command(
    name = "rdperr",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  rdperr \"Your credentials did not work\"\n  rdperr 0x204\n  rdperr AADSTS50126 --json\n  xclip -o | rdperr\n\nExit status: 0 a match, 1 no sure match (suggestions may be shown), 2 usage or KB error."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// The error message, log line or code. Words are joined; with none (or `-`), stdin is read.
    #[arg(value_name = "QUERY")]
    query: Vec<String>,

    /// Print one JSON object instead of text.
    #[arg(long, global = true)]
    json: bool,

    /// Show up to N matches (the best one in full, the rest as a list).
    #[arg(short = 'n', long = "matches", value_name = "N", default_value_t = 1)]
    matches: usize,

    /// Report matches down to this confidence (0 to 1) instead of the default threshold.
    #[arg(long, value_name = "X", value_parser = confidence)]
    min_confidence: Option<f32>,

    /// Load more KB entries from DIR, on top of the embedded KB (repeatable).
    #[arg(long = "kb", value_name = "DIR", global = true)]
    kb: Vec<PathBuf>,

    /// When to use colour.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true, value_name = "WHEN")]
    color: Color,

    #[command(flatten)]
    values: Values,
}

/// Values for the placeholders in fix-step commands.
#[derive(clap::Args, Debug, Default)]
struct Values {
    /// Your Azure resource group, filled into commands.
    #[arg(short = 'g', long, value_name = "NAME", global = true)]
    resource_group: Option<String>,
    /// Your VM name, filled into commands.
    #[arg(long, value_name = "NAME", global = true)]
    vm: Option<String>,
    /// Your Azure region, filled into commands.
    #[arg(long, value_name = "REGION", global = true)]
    location: Option<String>,
    /// The user name, filled into commands.
    #[arg(long, value_name = "NAME", global = true)]
    user: Option<String>,
}

impl Values {
    fn map(&self) -> BTreeMap<String, String> {
        [
            ("resource_group", &self.resource_group),
            ("vm", &self.vm),
            ("location", &self.location),
            ("user", &self.user),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_string(), v.clone())))
        .collect()
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show one entry in full.
    Show {
        /// The entry id, e.g. rdp-credentials-rejected.
        id: String,
        /// Output format (`--json` is the same as `--format json`).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List every entry.
    List,
    /// Validate the embedded KB and any --kb folders, and run every entry's golden examples.
    Check {
        /// Treat warnings as errors.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Measure the matcher on a query corpus (`[[query]]` with `text` and `expect`).
    ///
    /// A corpus whose queries carry a `split` (the real-world corpus in tests/realworld/) is
    /// reported per half, the test half first: tune on the tune half, report the test half.
    Eval {
        /// Corpus files or folders of them, e.g. ../shared/eval/dev.toml or tests/realworld.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Only this half of a split corpus.
        #[arg(long, value_enum)]
        split: Option<rdperr::eval::Split>,
        /// Exit with status 1 when top-1 accuracy is below this fraction (0 to 1).
        #[arg(long, value_name = "X")]
        min_top1: Option<f64>,
    },
    /// Write the docs site (an mdBook project) generated from the KB.
    Docs {
        /// The folder to write; `mdbook build DIR` then builds the site.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Print the whole KB and its code tables as one JSON document.
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
    },
    /// Ask an RDP server what a client asks before sign-in (name, TCP, security protocols, TLS,
    /// certificate), and name the error from its answers.
    ///
    /// Each step is timed and reported; the first that fails decides the verdict and its KB
    /// entry. Nothing is sent beyond what a client sends before credentials. Exit status: 0 no
    /// check failed (warnings allowed), 1 a check failed, 2 usage error.
    Probe {
        /// HOST, HOST:PORT or [IPV6]:PORT; the port is 3389 unless given.
        #[arg(value_name = "HOST[:PORT]")]
        target: rdperr::probe::Target,
        /// Seconds to wait for each network operation (the name lookup, each connect, each
        /// answer, the TLS handshake).
        #[arg(long, value_name = "S", default_value_t = 5.0, value_parser = timeout_seconds)]
        timeout: f64,
    },
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// Serve the KB to chatbot hosts over the Model Context Protocol (stdio). It waits for a
    /// client's `initialize`; started by hand it just waits.
    #[cfg(feature = "mcp")]
    Mcp,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum ExportFormat {
    Json,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            // Broken pipes (`rdperr ... | head`) are not errors.
            if let Some(io) = e.downcast_ref::<io::Error>() {
                if io.kind() == io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            let _ = writeln!(io::stderr(), "rdperr: {}", render::sanitize(&e.to_string()));
            ExitCode::from(2)
        }
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn run(cli: &Cli) -> Result<ExitCode> {
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let lint = matches!(cli.command, Some(Command::Check { .. }));
    let kb = match load_kb(&cli.kb, lint) {
        Ok(kb) => kb,
        Err(e) => {
            let _ = writeln!(io::stderr(), "{}", render::sanitize(&e));
            let _ = writeln!(io::stderr(), "rdperr: the KB did not load");
            return Ok(ExitCode::from(2));
        }
    };
    let mut out = io::stdout().lock();
    match &cli.command {
        Some(Command::Show { id, format }) => {
            let format = if cli.json { Format::Json } else { *format };
            show(&kb, id, format, &cli.values.map(), color, &mut out)
        }
        Some(Command::Docs { out: dir }) => docs(&kb, dir, &mut out),
        Some(Command::Export {
            format: ExportFormat::Json,
        }) => {
            serde_json::to_writer_pretty(&mut out, &rdperr::docs::export(&kb))?;
            writeln!(out)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Completions { shell }) => {
            clap_complete::generate(*shell, &mut Cli::command(), "rdperr", &mut out);
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "mcp")]
        Some(Command::Mcp) => {
            drop(out);
            mcp::serve(kb)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            clap_mangen::Man::new(Cli::command()).render(&mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::List) => list(&kb, cli.json, &mut out),
        Some(Command::Probe { target, timeout }) => {
            probe(&kb, target, *timeout, cli, color, &mut out)
        }
        Some(Command::Check { deny_warnings }) => check(&kb, *deny_warnings, &mut out),
        Some(Command::Eval {
            paths,
            split,
            min_top1,
        }) => eval(&kb, paths, *split, *min_top1, cli.json, &mut out),
        None => lookup(&kb, cli, color, &mut out),
    }
}

fn confidence(text: &str) -> std::result::Result<f32, String> {
    match text.parse::<f32>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err("expected a number from 0 to 1".to_string()),
    }
}

fn timeout_seconds(text: &str) -> std::result::Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 600.0 => Ok(x),
        _ => Err("expected a number of seconds above 0, at most 600".to_string()),
    }
}

fn probe(
    kb: &Kb,
    target: &rdperr::probe::Target,
    timeout: f64,
    cli: &Cli,
    color: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let opts = rdperr::ProbeOptions {
        timeout: std::time::Duration::from_secs_f64(timeout),
    };
    let report = rdperr::probe::probe_with(kb, target, &opts);
    if cli.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        let text = rdperr::probe::report_text(&report, color, &cli.values.map());
        write!(out, "{text}")?;
    }
    Ok(ExitCode::from(report.exit_code()))
}

fn load_kb(dirs: &[PathBuf], lint: bool) -> std::result::Result<Kb, String> {
    if dirs.is_empty() && !lint {
        return Kb::try_embedded().cloned().map_err(|e| e.to_string());
    }
    dirs.iter()
        .fold(Kb::builder().embedded().lint(lint), |b, d| b.dir(d))
        .build()
        .map_err(|e| e.to_string())
}

fn read_query(cli: &Cli) -> Result<Option<String>> {
    let joined = cli.query.join(" ");
    let text = if joined == "-" || (cli.query.is_empty() && !io::stdin().is_terminal()) {
        let mut bytes = Vec::new();
        io::stdin().read_to_end(&mut bytes)?;
        // Invalid UTF-8 is replaced, not rejected: a pasted log gets an answer either way.
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        joined
    };
    Ok((!text.trim().is_empty()).then_some(text))
}

fn lookup(kb: &Kb, cli: &Cli, color: bool, out: &mut impl Write) -> Result<ExitCode> {
    let Some(query) = read_query(cli)? else {
        let _ = writeln!(
            io::stderr(),
            "rdperr: no query given. Pass the error text, e.g. rdperr \"Your credentials did not work\", or pipe it on stdin. See rdperr --help."
        );
        return Ok(ExitCode::from(2));
    };
    let found = kb.lookup_with(
        &query,
        cli.min_confidence.unwrap_or_else(rdperr::min_confidence),
    );
    if found.truncated {
        let _ = writeln!(
            io::stderr(),
            "rdperr: the input is longer than {} bytes; only the first {} bytes were searched",
            rdperr::MAX_QUERY_BYTES,
            rdperr::MAX_QUERY_BYTES
        );
    }
    let values = cli.values.map();
    if cli.json {
        let mut doc = render::lookup_json(&found, &values);
        if let Some(obj) = doc.as_object_mut() {
            obj.truncate_matches(cli.matches);
        }
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    } else {
        let opts = TextOptions {
            color,
            limit: cli.matches.max(1),
            values,
        };
        write!(out, "{}", render::lookup_text(kb, &found, &opts))?;
    }
    Ok(if found.matches.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--json` keeps `-n` matches (at least one), like the text output.
trait TruncateMatches {
    fn truncate_matches(&mut self, n: usize);
}

impl TruncateMatches for serde_json::Map<String, serde_json::Value> {
    fn truncate_matches(&mut self, n: usize) {
        if let Some(serde_json::Value::Array(list)) = self.get_mut("matches") {
            list.truncate(n.max(1));
        }
    }
}

fn docs(kb: &Kb, dir: &std::path::Path, out: &mut impl Write) -> Result<ExitCode> {
    let files = rdperr::docs::generate(kb);
    for file in &files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &file.text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    writeln!(
        out,
        "wrote {} files to {}; build the site with: mdbook build {}",
        files.len(),
        dir.display(),
        dir.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn show(
    kb: &Kb,
    id: &str,
    format: Format,
    values: &BTreeMap<String, String>,
    color: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let Some(entry) = kb.get(id) else {
        let mut near: Vec<(f64, &str)> = kb
            .entries()
            .iter()
            .map(|e| (strsim::jaro_winkler(id, &e.id), e.id.as_str()))
            .collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0));
        let hint = near
            .first()
            .filter(|(s, _)| *s > 0.8)
            .map(|(_, id)| format!(" (did you mean `{id}`?)"))
            .unwrap_or_default();
        let _ = writeln!(
            io::stderr(),
            "rdperr: no entry with id `{}`{hint}; `rdperr list` shows the ids",
            render::sanitize(id)
        );
        return Ok(ExitCode::from(2));
    };
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(
                &mut *out,
                &serde_json::json!({
                    "schema_version": render::SCHEMA_VERSION,
                    "entry": entry,
                    "commands": render::entry_commands(entry, values),
                }),
            )?;
            writeln!(out)?;
        }
        Format::Markdown => write!(out, "{}", rdperr::docs::entry_markdown(kb, entry))?,
        Format::Text => write!(out, "{}", render::entry_page(entry, color, values))?,
    }
    Ok(ExitCode::SUCCESS)
}

fn list(kb: &Kb, json: bool, out: &mut impl Write) -> Result<ExitCode> {
    if json {
        let rows: Vec<_> = kb
            .entries()
            .iter()
            .map(|e| serde_json::json!({"id": e.id, "category": e.category, "title": e.title}))
            .collect();
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({"schema_version": render::SCHEMA_VERSION, "entries": rows}),
        )?;
        writeln!(out)?;
    } else {
        let width = kb.entries().iter().map(|e| e.id.len()).max().unwrap_or(0);
        for e in kb.entries() {
            writeln!(
                out,
                "{:width$}  {:18}  {}",
                e.id,
                e.category.as_str(),
                render::sanitize(&e.title)
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(kb: &Kb, deny_warnings: bool, out: &mut impl Write) -> Result<ExitCode> {
    // Diagnostics go to stderr, as a compiler's do; the summary goes to stdout.
    let mut err = io::stderr().lock();
    let mut errors = 0;
    let mut warnings = 0;
    for d in kb.warnings() {
        writeln!(err, "{}\n", render::sanitize(&d.to_string()))?;
        warnings += 1;
    }
    for e in kb.entries() {
        for example in &e.examples {
            let found = kb.lookup(example);
            let top = found.matches.first().map(|m| m.id.as_str());
            if top != Some(e.id.as_str()) {
                errors += 1;
                let origin = kb.origin(&e.id).unwrap_or("?");
                writeln!(
                    err,
                    "error[KB201]: golden example of `{}` resolves to {}\n  --> {origin}\n  = example: {}\n",
                    e.id,
                    top.map_or("no match".to_string(), |t| format!("`{t}`")),
                    render::sanitize(example)
                )?;
            }
        }
    }
    let severity = if errors > 0 || (deny_warnings && warnings > 0) {
        Severity::Error
    } else {
        Severity::Warning
    };
    writeln!(
        out,
        "checked {} entries and {} code tables: {errors} error(s), {warnings} warning(s)",
        kb.entries().len(),
        kb.tables().len()
    )?;
    Ok(if severity == Severity::Error {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn eval(
    kb: &Kb,
    paths: &[PathBuf],
    only: Option<rdperr::eval::Split>,
    min_top1: Option<f64>,
    json: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let mut cases = Vec::new();
    for file in corpus_files(paths)? {
        match rdperr::eval::parse(&file.path, &file.text) {
            Ok(mut more) => cases.append(&mut more),
            Err(e) => {
                let _ = writeln!(io::stderr(), "{}", render::sanitize(&e.to_string()));
                return Ok(ExitCode::from(2));
            }
        }
    }
    let unknown = rdperr::eval::unknown_labels(kb, &cases);
    if !unknown.is_empty() {
        let _ = writeln!(
            io::stderr(),
            "error: labels that name no entry: {}",
            render::sanitize(&unknown.join(", "))
        );
        return Ok(ExitCode::from(2));
    }
    // One report per half, the test half first; a corpus with no split is one group.
    let mut groups: Vec<(Option<rdperr::eval::Split>, Vec<rdperr::eval::Case>)> = Vec::new();
    for half in [
        Some(rdperr::eval::Split::Test),
        Some(rdperr::eval::Split::Tune),
        None,
    ] {
        if only.is_some_and(|o| half != Some(o)) {
            continue;
        }
        let part: Vec<_> = cases.iter().filter(|c| c.split == half).cloned().collect();
        if !part.is_empty() {
            groups.push((half, part));
        }
    }
    let mut below = false;
    let mut docs = Vec::new();
    for (half, part) in &groups {
        let report = rdperr::eval::run(kb, part);
        below |= min_top1.is_some_and(|min| report.positive.top1_rate() < min);
        if json {
            let mut doc = serde_json::to_value(&report)?;
            if let Some(obj) = doc.as_object_mut() {
                obj.insert("split".into(), half.map(|h| h.as_str()).into());
                obj.insert("top1".into(), report.positive.top1_rate().into());
                obj.insert("top3".into(), report.positive.top3_rate().into());
                obj.insert("mrr".into(), report.positive.mrr().into());
                obj.insert("none_accuracy".into(), report.none_rate().into());
            }
            docs.push(doc);
        } else {
            if groups.len() > 1 || half.is_some() {
                let name = half.map_or("queries with no split", |h| h.as_str());
                writeln!(out, "== {name} ({} queries)", part.len())?;
            }
            write!(out, "{}", rdperr::eval::report_text(&report))?;
            if groups.len() > 1 {
                writeln!(out)?;
            }
        }
    }
    if json {
        let doc = serde_json::json!({
            "schema_version": render::SCHEMA_VERSION,
            "groups": docs,
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    }
    Ok(if below {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The corpus files named, with their text: files as given, folders as every `*.toml` below
/// them, sorted (read the way `--kb` folders are).
fn corpus_files(paths: &[PathBuf]) -> Result<Vec<rdperr::load::SourceFile>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(rdperr::load::read_dir(path)?);
        } else {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            files.push(rdperr::load::SourceFile {
                path: path.display().to_string(),
                text,
            });
        }
    }
    Ok(files)
}

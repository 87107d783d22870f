//! rdperr: explain Remote Desktop and Microsoft Entra sign-in errors.
//!
//! A pasted message, log line or bare code goes in; ranked KB entries come out, each with a
//! confidence, the reasons it matched, and the entry itself (causes and ordered fix steps).
//!
//! ```
//! let kb = rdperr::Kb::embedded();
//! let found = kb.lookup("Your credentials did not work");
//! assert_eq!(found.matches[0].id, "rdp-credentials-rejected");
//! ```
//!
//! The modules follow the data: [`load`] reads the KB, [`normalize`] and `query` read the
//! query once (its words, quoted and retold parts, the field it names), [`codes`], `phrases`
//! and `search` find candidates, [`rank`] scores and orders them, and [`render`] turns the
//! result into text or JSON. The library never prints and never exits.

pub mod codes;
pub mod confidence;
pub mod docs;
pub mod error;
pub mod eval;
pub mod load;
pub mod logs;
pub mod model;
pub mod normalize;
mod phrases;
pub mod probe;
mod query;
pub mod rank;
pub mod render;
pub mod schema;
mod search;

pub use codes::{CodeFinding, Interpretation};
pub use error::{Diagnostic, Error, Severity};
pub use model::{
    Category, ClientString, ClientStrings, CodeRow, CodeTable, Entry, EntryCode, Namespace, Role,
    Step,
};
pub use probe::{probe, ProbeOptions, ProbeReport};
pub use rank::Reason;

use codes::CodeIndex;
use load::SourceFile;
use phrases::PhraseFinder;
use query::Query;
use rank::{combine, score_entry, Prepared, QueryTerms, TextScore};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// Combined evidence (not the calibrated confidence) at which a piece says something: a cause
/// this sure outranks the generic consequences beside it, a consequence this sure is kept as a
/// reason, and a quote whose best wording reads this well is a message the KB knows.
const CAUSE_MIN_EVIDENCE: f32 = 0.45;
/// What a text that names another field (SSH, SQL Server, RustDesk ...) and nothing of ours
/// keeps of its confidence: even a verbatim Windows message falls below the threshold of a match.
const FOREIGN_FACTOR: f32 = 0.4;
/// The evidence an entry's regular expression gives when it matches.
const PATTERN_EVIDENCE: f32 = 0.85;
/// What a query keeps of its confidence when it quotes a message the KB knows nothing like.
const UNKNOWN_QUOTE_FACTOR: f32 = 0.6;
/// Answers whose confidence is at least this share of the best one's are shown as equally
/// likely. Confidences are probabilities that share one text's mass, so "about equal" is a
/// ratio: two causes of one message at 0.40 and 0.30 are a toss-up, 0.90 and 0.05 are not.
/// Not fitted: it decides what is shown side by side, not what is right.
pub const AMBIGUITY_RATIO: f32 = 0.7;
/// In a log paste, what the paste read as one text keeps of its confidence: the lines scored
/// alone are the sharper evidence, the whole is the fallback when no line says enough.
const WHOLE_PASTE_WEIGHT: f32 = 0.85;
/// What a piece whose evidence is only a generic consequence ("transport failed", "connection
/// closed") keeps of its confidence when another piece of the same paste names a cause.
const CONSEQUENCE_FACTOR: f32 = 0.5;
/// A cause outranks a consequence beside it when its confidence is at least this share of the
/// consequence's: a word or two that happen to fit some entry do not push aside a client's
/// exact "Unable to connect", a dialog's own wording quoted in the same paste does.
const CAUSE_SHARE: f32 = 0.6;
/// Lines of one log scored on their own, the most telling first (errors before debug chatter).
const MAX_SCORED_LINES: usize = 200;
/// Consequence lines kept as reasons of the cause that outranked them.
const MAX_CONSEQUENCE_REASONS: usize = 3;

/// Where one piece of evidence names a cause with some confidence, pieces whose evidence is
/// only a generic consequence ("transport failed", "connection closed") count less.
fn demote_consequences(mut pieces: Vec<Scored>, in_log: bool) -> Vec<Scored> {
    let best_cause = best_cause(&pieces, in_log);
    for p in pieces.iter_mut() {
        if outranked(p, best_cause) {
            p.confidence *= CONSEQUENCE_FACTOR;
            p.order *= CONSEQUENCE_FACTOR;
            p.evidence.outranked = true;
        }
    }
    pieces
}

/// The confidence of the surest piece that names a cause. In a log, only a code, a pattern,
/// or one of an entry's own wordings (a dialog's message, a client's string) names one: words
/// that fit one of our keywords ("security protocol negotiation" in a log line) do not push
/// aside what the client printed. In a story, people's own words are the evidence.
fn best_cause(pieces: &[Scored], in_log: bool) -> f32 {
    pieces
        .iter()
        .filter(|p| p.role == Role::Cause && (p.named || !in_log))
        .map(|p| p.confidence)
        .fold(0.0, f32::max)
}

/// True when `p` is a consequence and a cause beside it is sure enough to outrank it.
fn outranked(p: &Scored, best_cause: f32) -> bool {
    p.role == Role::Consequence
        && best_cause >= CAUSE_MIN_EVIDENCE
        && best_cause >= CAUSE_SHARE * p.confidence
}

/// What a log line at `level` keeps of its confidence: an error says what failed; debug
/// chatter mentions much that did not. A line with no level (syslog) counts as a warning.
fn level_weight(level: Option<logs::Level>) -> f32 {
    match level {
        Some(logs::Level::Error) => 1.0,
        Some(logs::Level::Warn) | None => 0.9,
        Some(logs::Level::Info) => 0.8,
        Some(logs::Level::Debug | logs::Level::Trace) => 0.7,
    }
}

/// A text of at most this many words around a code it names is a question about that code.
const BARE_CODE_WORDS: usize = 3;

/// Input beyond this many bytes is not searched; the result says it was cut.
pub const MAX_QUERY_BYTES: usize = 16 << 20;

/// The knowledge base with its matcher. Cheap to share: `Send + Sync`, and `Clone` copies a
/// pointer.
#[derive(Clone, Debug)]
pub struct Kb {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    entries: Vec<Arc<Entry>>,
    origins: Vec<String>,
    by_id: HashMap<String, usize>,
    tables: Vec<CodeTable>,
    clients: Vec<ClientStrings>,
    codes: CodeIndex,
    warnings: Vec<Diagnostic>,
    /// Built on the first free-text lookup: a bare code never pays for the index.
    text: OnceLock<TextEngine>,
}

#[derive(Debug)]
struct TextEngine {
    prepared: Prepared,
    phrases: PhraseFinder,
    index: Option<search::TextIndex>,
}

/// The text evidence for one candidate entry.
struct CandidateText {
    entry: usize,
    /// The best of the whole query, its quoted parts and its retold parts.
    text: TextScore,
    /// How well the best quoted part alone reads as one of the entry's wordings.
    quoted: f32,
}

impl TextEngine {
    /// Entries worth scoring: those the index proposes for the query's words, and those whose
    /// wordings or patterns the query contains.
    fn candidates(&self, query: &Query, exact: &phrases::ExactHits) -> HashSet<usize> {
        let mut candidates: HashSet<usize> = HashSet::new();
        if !query.terms.is_empty() {
            if let Some(index) = &self.index {
                let known = |stem: &str| self.prepared.idf.contains_key(stem);
                candidates.extend(index.candidates(&query.tokens, known));
            }
        }
        candidates.extend(exact.phrases.keys());
        candidates.extend(exact.patterns.keys());
        candidates
    }

    /// Per entry: the best fragment of the query (a quoted part, a short query) found inside
    /// one of its wordings.
    fn fragment_evidence(
        &self,
        query: &Query,
        candidates: &HashSet<usize>,
    ) -> HashMap<usize, (f32, Reason, Role)> {
        let mut scores: HashMap<usize, (f32, Reason, Role)> = HashMap::new();
        for fragment in query.fragments() {
            for (e, p, share) in self
                .phrases
                .containing(fragment, candidates, &self.prepared)
            {
                let phrase = &self.prepared.phrases[e][p];
                let score = rank::fragment_score(fragment, share, phrase.kind, &self.prepared);
                if scores.get(&e).is_none_or(|(s, _, _)| score > *s) {
                    let reason = Reason::Fragment {
                        fragment: fragment.clone(),
                        phrase: phrase.text.clone(),
                    };
                    scores.insert(e, (score, reason, phrase.role));
                }
            }
        }
        scores
    }

    /// Scores each candidate's wordings against the whole query, and against each quoted and
    /// retold part on its own.
    fn text_evidence(
        &self,
        query: &Query,
        exact: &phrases::ExactHits,
        candidates: HashSet<usize>,
    ) -> Vec<CandidateText> {
        let empty = HashSet::new();
        candidates
            .into_iter()
            .map(|i| {
                let exact_here = exact.phrases.get(&i).unwrap_or(&empty);
                let score = |t: &QueryTerms| score_entry(i, &self.prepared, t, exact_here);
                let best_of = |parts: &[QueryTerms]| {
                    parts
                        .iter()
                        .map(score)
                        .max_by(|a, b| a.score.total_cmp(&b.score))
                };
                let best_quoted = best_of(&query.quoted);
                let quoted = best_quoted.as_ref().map_or(0.0, |q| q.wording);
                let text = [best_quoted, best_of(&query.retold)]
                    .into_iter()
                    .flatten()
                    .fold(score(&query.terms), |best, part| {
                        if part.score > best.score {
                            part
                        } else {
                            best
                        }
                    });
                CandidateText {
                    entry: i,
                    text,
                    quoted,
                }
            })
            .collect()
    }
}

/// A confidence as JSON: three decimals, not the binary expansion of an f32 (0.802, not
/// 0.8019999861717224).
fn confidence_json<S: serde::Serializer>(c: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((f64::from(*c) * 1000.0).round() / 1000.0)
}

/// One ranked answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Match {
    pub id: String,
    /// 0 to 1: the calibrated probability that this is the right answer.
    #[serde(serialize_with = "confidence_json")]
    pub confidence: f32,
    pub reasons: Vec<Reason>,
    /// In a pasted log, the line whose evidence decided this match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<LineRef>,
    pub entry: Arc<Entry>,
}

/// A line of the query, by number (1-based) and text.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct LineRef {
    pub line: usize,
    /// The line as pasted (its first 200 characters).
    pub text: String,
}

impl LineRef {
    fn new(line: usize, text: &str) -> LineRef {
        let first = text.lines().next().unwrap_or("");
        let end = first
            .char_indices()
            .nth(200)
            .map_or(first.len(), |(i, _)| i);
        LineRef {
            line,
            text: first[..end].to_string(),
        }
    }
}

/// One scored entry for one piece of text, before the pieces of a paste are weighed.
struct Scored {
    entry: usize,
    confidence: f32,
    /// Sort key: the confidence, with text scores above 1 ordering entries that tie.
    order: f32,
    reasons: Vec<Reason>,
    role: Role,
    /// The evidence names the error: a code, a pattern or one of the entry's own wordings.
    named: bool,
    line: Option<LineRef>,
    /// The evidence as the confidence model reads it.
    evidence: confidence::Evidence,
}

impl Scored {
    /// Weighs a piece of a paste (a line by its level, the paste as a whole): its evidence and
    /// the features the confidence model reads from it alike.
    fn weigh(&mut self, weight: f32) {
        self.confidence *= weight;
        self.order *= weight;
        self.evidence.text *= weight;
        self.evidence.code *= weight;
    }
}

/// What scoring one text found.
struct TextResult {
    scored: Vec<Scored>,
    codes: Vec<CodeFinding>,
    captures: BTreeMap<String, String>,
    other_field: Option<&'static str>,
    signals: confidence::TextSignals,
}

/// The code evidence for one entry.
struct CodeEvidence {
    score: f32,
    reasons: Vec<Reason>,
    /// `Consequence` when every code behind it is a generic consequence.
    role: Role,
}

/// Everything a lookup found.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Lookup {
    pub query: String,
    /// Answers the matcher stands behind (confidence at or above the fitted threshold), best
    /// first; empty when none is sure.
    pub matches: Vec<Match>,
    /// For a text about Remote Desktop where no entry (or too few) is sure: the closest
    /// entries, each with what tells it apart and the question that decides. Up to three
    /// answers in all, with `matches`.
    pub suggestions: Vec<Suggestion>,
    /// Whether the text is about Remote Desktop at all.
    pub scope: Scope,
    /// True when the first two answers (matches, then suggestions) are about equally likely
    /// ([`AMBIGUITY_RATIO`]): one message, several causes.
    pub ambiguous: bool,
    /// Codes found in the query, each with every interpretation.
    pub codes: Vec<CodeFinding>,
    /// Names captured from the message (computer, user, domain), used to fill commands.
    pub captures: BTreeMap<String, String>,
    /// True when the query was longer than [`MAX_QUERY_BYTES`] and only its start was searched.
    pub truncated: bool,
    /// The product or field the text names instead of Remote Desktop ("sql server", "ssh"):
    /// why a text that quotes a Windows message may still get no match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_field: Option<String>,
}

impl Lookup {
    /// The answers shown, in order: the matches, then the suggestions, as (id, confidence,
    /// entry title, hint).
    pub fn answers(&self) -> impl Iterator<Item = (&str, f32, &str, Option<&str>)> {
        self.matches
            .iter()
            .map(|m| {
                (
                    m.id.as_str(),
                    m.confidence,
                    m.entry.title.as_str(),
                    m.entry.distinguish.as_deref(),
                )
            })
            .chain(self.suggestions.iter().map(|s| {
                (
                    s.id.as_str(),
                    s.confidence,
                    s.title.as_str(),
                    s.hint.as_deref(),
                )
            }))
    }

    /// The answers about as likely as the first ([`AMBIGUITY_RATIO`]).
    pub fn tied(&self) -> impl Iterator<Item = (&str, f32, &str, Option<&str>)> {
        let best = self.answers().next().map_or(0.0, |a| a.1);
        self.answers()
            .take_while(move |a| a.1 >= AMBIGUITY_RATIO * best)
    }
}

/// Matches and suggestions shown for one text, at most.
pub const MAX_ANSWERS: usize = 3;

/// An entry offered when the matcher is not sure: the closest one, with what would decide.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Suggestion {
    pub id: String,
    pub title: String,
    /// 0 to 1, below the threshold of a match.
    #[serde(serialize_with = "confidence_json")]
    pub confidence: f32,
    /// How to tell this entry from the others that fit (its `distinguish`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The question or check that decides for it (its `question`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    pub reasons: Vec<Reason>,
    /// In a pasted log, the line whose evidence suggested it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<LineRef>,
}

/// What a text is about, decided before which entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Remote Desktop or Entra sign-in to a machine: matches, or suggestions.
    RemoteDesktop,
    /// Another field, named in the text (`other_field`): no answer.
    OtherField,
    /// Nothing in it names Remote Desktop and no entry fits it surely.
    Unknown,
}

/// The confidence at or above which an entry is a match: fitted with the confidence model on
/// the tune half of the real-world corpus (`src/confidence.toml`).
pub fn min_confidence() -> f32 {
    confidence::model().threshold
}

/// Builds a KB from the embedded files and/or folders.
#[derive(Debug, Default)]
pub struct KbBuilder {
    embedded: bool,
    lint: bool,
    files: Vec<SourceFile>,
    errors: Vec<Error>,
}

impl KbBuilder {
    /// Includes the KB compiled into the library.
    pub fn embedded(mut self) -> Self {
        self.embedded = true;
        self
    }

    /// Also computes the warnings of `rdperr check` (see [`Kb::warnings`]).
    pub fn lint(mut self, lint: bool) -> Self {
        self.lint = lint;
        self
    }

    /// Adds every `*.toml` below `dir` (entries, and code tables under a `codes` folder).
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        match load::read_dir(dir.as_ref()) {
            Ok(mut files) => self.files.append(&mut files),
            Err(e) => self.errors.push(e),
        }
        self
    }

    /// Adds one file's text, as if read from `path`.
    pub fn file(mut self, path: impl Into<String>, text: impl Into<String>) -> Self {
        self.files.push(SourceFile {
            path: path.into(),
            text: text.into(),
        });
        self
    }

    pub fn build(self) -> Result<Kb, Error> {
        if let Some(e) = self.errors.into_iter().next() {
            return Err(e);
        }
        let mut files = if self.embedded {
            load::embedded_files()
        } else {
            Vec::new()
        };
        files.extend(self.files);
        let loaded = load::load(&files, self.lint)?;
        Ok(Kb::from_loaded(loaded))
    }
}

impl Kb {
    /// The KB compiled into the library, loaded once per process and shared.
    ///
    /// ```
    /// let kb = rdperr::Kb::embedded();
    /// assert!(kb.entries().len() > 70);
    /// // Cheap to call again: the same KB.
    /// assert!(std::ptr::eq(kb, rdperr::Kb::embedded()));
    /// ```
    ///
    /// The embedded KB is validated by the test suite (`tests/kb.rs`), so this cannot fail in a
    /// released build; [`Kb::try_embedded`] is the variant that returns the error instead.
    pub fn embedded() -> &'static Kb {
        Kb::try_embedded().expect("the embedded KB is validated by the test suite")
    }

    /// The embedded KB, or the problems that stop it from loading.
    pub fn try_embedded() -> Result<&'static Kb, &'static Error> {
        static KB: OnceLock<Result<Kb, Error>> = OnceLock::new();
        KB.get_or_init(|| Kb::builder().embedded().build()).as_ref()
    }

    pub fn builder() -> KbBuilder {
        KbBuilder::default()
    }

    /// The embedded KB plus the entries in `dirs`. An id defined twice is an error naming both
    /// files.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("rdperr-doctest-kb");
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("rdp-team-vpn.toml"), r#"
    /// id = "rdp-team-vpn"
    /// title = "Contoso VPN tunnel down"
    /// category = "network"
    /// summary = "Our site-to-site tunnel dropped."
    /// messages = ["Contoso tunnel health check failed"]
    /// causes = ["The tunnel gateway restarted."]
    /// sources = ["https://example.com/runbook"]
    /// [[steps]]
    /// title = "Reset the tunnel"
    /// explanation = "Brings it back."
    /// portal = "Virtual network gateway > Connections > Reset"
    /// "#).unwrap();
    /// let kb = rdperr::Kb::from_dirs(&[&dir]).unwrap();
    /// assert_eq!(kb.lookup("Contoso tunnel health check failed").matches[0].id, "rdp-team-vpn");
    /// ```
    pub fn from_dirs<P: AsRef<Path>>(dirs: &[P]) -> Result<Kb, Error> {
        dirs.iter()
            .fold(Kb::builder().embedded(), |b, d| b.dir(d))
            .build()
    }

    fn from_loaded(loaded: load::Loaded) -> Kb {
        let mut entries = Vec::new();
        let mut origins = Vec::new();
        for (entry, origin) in loaded.entries {
            entries.push(Arc::new(entry));
            origins.push(origin);
        }
        let by_id = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        let tables: Vec<CodeTable> = loaded.tables.into_iter().map(|(t, _)| t).collect();
        let codes = CodeIndex::build(&entries, &tables);
        let clients = loaded.clients.into_iter().map(|(c, _)| c).collect();
        Kb {
            inner: Arc::new(Inner {
                entries,
                origins,
                by_id,
                tables,
                clients,
                codes,
                warnings: loaded.warnings,
                text: OnceLock::new(),
            }),
        }
    }

    /// All entries, in file order.
    pub fn entries(&self) -> &[Arc<Entry>] {
        &self.inner.entries
    }

    /// The entry with this id.
    ///
    /// ```
    /// let kb = rdperr::Kb::embedded();
    /// let entry = kb.get("rdp-lsa-unreachable").unwrap();
    /// assert_eq!(entry.anchor.as_deref(), Some("rdpauth"));
    /// ```
    pub fn get(&self, id: &str) -> Option<&Arc<Entry>> {
        self.inner.by_id.get(id).map(|&i| &self.inner.entries[i])
    }

    /// The file an entry was loaded from (`kb/rdp/<id>.toml` for embedded entries).
    pub fn origin(&self, id: &str) -> Option<&str> {
        self.inner
            .by_id
            .get(id)
            .map(|&i| self.inner.origins[i].as_str())
    }

    /// The code tables.
    pub fn tables(&self) -> &[CodeTable] {
        &self.inner.tables
    }

    /// The strings each client prints, harvested from its source (`kb/clients/`).
    pub fn clients(&self) -> &[ClientStrings] {
        &self.inner.clients
    }

    /// Per entry, the client strings that are its wordings.
    fn client_wordings(&self) -> Vec<Vec<rank::ClientWording>> {
        let mut out = vec![Vec::new(); self.inner.entries.len()];
        for client in &self.inner.clients {
            for s in &client.strings {
                let Some(&i) = s.entry.as_ref().and_then(|id| self.inner.by_id.get(id)) else {
                    continue;
                };
                // A lone symbol (ERRINFO_LICENSE_NO_LICENSE) is a code name, found by the code
                // tables; as words it would match inside a longer one.
                if codes::is_symbolic(&s.text) {
                    continue;
                }
                out[i].push(rank::ClientWording {
                    text: s.text.clone(),
                    client: client.client.clone(),
                    role: s.role,
                });
            }
        }
        out
    }

    /// Warnings found while loading (the KB loaded; these make it weaker). Empty unless the KB
    /// was built with [`KbBuilder::lint`].
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.inner.warnings
    }

    /// Every interpretation of the codes in `text` (`0x204`, `516`, `AADSTS50126`,
    /// `ERRCONNECT_LOGON_FAILURE`, `event 1058` ...), like err.exe but pointing to entries.
    ///
    /// ```
    /// use rdperr::Namespace;
    /// let kb = rdperr::Kb::embedded();
    /// let found = kb.decode("Error code: 0x904 Extended error code: 0x7");
    /// assert_eq!(found[0].interpretations[0].namespace, Namespace::DisconnectReason);
    /// assert_eq!(found[1].interpretations[0].namespace, Namespace::ExtendedReason);
    /// // A bare number is tried in every namespace.
    /// assert!(kb.decode("0x4")[0].interpretations.len() >= 3);
    /// ```
    pub fn decode(&self, text: &str) -> Vec<CodeFinding> {
        let folded = normalize::fold_chars(cut(text).0);
        self.inner.codes.find(&folded, &self.inner.entries)
    }

    fn text_engine(&self) -> &TextEngine {
        self.inner.text.get_or_init(|| {
            let prepared = Prepared::build(&self.inner.entries, &self.client_wordings());
            let wordings: Vec<Vec<phrases::Wording<'_>>> = prepared
                .phrases
                .iter()
                .map(|list| {
                    list.iter()
                        .map(|p| phrases::Wording {
                            text: &p.text,
                            whole: p.kind == rank::PhraseKind::Client,
                        })
                        .collect()
                })
                .collect();
            let phrases = PhraseFinder::build(&self.inner.entries, &wordings);
            // Without the index, candidates still come from phrases and codes; an index that
            // fails to build in RAM is not worth failing the lookup for.
            let index = search::TextIndex::build(&self.inner.entries, &prepared).ok();
            TextEngine {
                prepared,
                phrases,
                index,
            }
        })
    }

    /// Finds the entries that explain `text`, best first.
    ///
    /// ```
    /// let kb = rdperr::Kb::embedded();
    /// let found = kb.lookup("crendentials did not wrok");
    /// let best = &found.matches[0];
    /// assert_eq!(best.id, "rdp-credentials-rejected");
    /// assert!(best.confidence > 0.0 && best.confidence <= 1.0);
    /// // Out-of-field text gets an honest empty answer.
    /// assert!(kb.lookup("printer is out of paper").matches.is_empty());
    /// ```
    pub fn lookup(&self, text: &str) -> Lookup {
        self.lookup_with(text, min_confidence())
    }

    /// Like [`Kb::lookup`], keeping every entry whose confidence reaches `min_confidence`
    /// (a chatbot may want weaker candidates to ask a follow-up question about).
    ///
    /// A paste with log lines in it is read as a log ([`logs`]): each log line and each block
    /// of other text is scored on its own as well as the paste as a whole, a line counts by
    /// its level, and where one line names a cause and another only a generic consequence
    /// ("transport failed"), the cause decides. Each match says which line decided it.
    pub fn lookup_with(&self, text: &str, min_confidence: f32) -> Lookup {
        let (text, truncated) = cut(text);
        let (whole, candidates) = self.weighed_candidates(text);
        let model = confidence::model();
        let features: Vec<confidence::Features> = candidates.iter().map(|(_, f)| *f).collect();
        let mut ranked: Vec<(f32, Scored)> = model
            .probabilities(&features)
            .into_iter()
            .zip(candidates.into_iter().map(|(s, _)| s))
            .collect();
        // Most probable first; equal probabilities keep the order of the evidence.
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        let rounded = |p: f32| (p * 1000.0).round() / 1000.0;
        let matches: Vec<Match> = ranked
            .iter()
            .filter(|(p, _)| *p >= min_confidence && *p > 0.0)
            .map(|(p, s)| Match {
                id: self.inner.entries[s.entry].id.clone(),
                confidence: rounded(*p),
                reasons: s.reasons.clone(),
                line: s.line.clone(),
                entry: Arc::clone(&self.inner.entries[s.entry]),
            })
            .collect();
        let signals = whole.signals;
        // About Remote Desktop: the text says so, one of the entries' own wordings or patterns
        // is in it (the rule the fit uses too), or an entry fits surely.
        let scope = if signals.other_field {
            Scope::OtherField
        } else if signals.names_ours || confidence::in_scope(&features) || !matches.is_empty() {
            Scope::RemoteDesktop
        } else {
            Scope::Unknown
        };
        // Below the threshold, the next candidates that reach the floor are offered with what
        // tells them apart, up to three answers in all, for a text about Remote Desktop only.
        let suggestions: Vec<Suggestion> = if scope == Scope::RemoteDesktop {
            ranked
                .iter()
                .skip(matches.len())
                .take(MAX_ANSWERS.saturating_sub(matches.len()))
                .filter(|(p, _)| *p >= model.suggestion_floor && *p < min_confidence)
                .map(|(p, s)| {
                    let entry = &self.inner.entries[s.entry];
                    Suggestion {
                        id: entry.id.clone(),
                        title: entry.title.clone(),
                        confidence: rounded(*p),
                        hint: entry.distinguish.clone(),
                        question: entry.question.clone(),
                        reasons: s.reasons.clone(),
                        line: s.line.clone(),
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut lookup = Lookup {
            query: text.to_string(),
            matches,
            suggestions,
            scope,
            ambiguous: false,
            codes: whole.codes,
            captures: whole.captures,
            truncated,
            other_field: whole.other_field.map(str::to_string),
        };
        let ambiguous = lookup.tied().nth(1).is_some();
        lookup.ambiguous = ambiguous;
        lookup
    }

    /// The candidates the confidence model weighs for `text`, best evidence first, each with
    /// its features: what `scripts/fit-confidence` fits the model on.
    pub fn candidate_features(&self, text: &str) -> Vec<(String, confidence::Features)> {
        let (text, _) = cut(text);
        self.weighed_candidates(text)
            .1
            .into_iter()
            .map(|(s, f)| (self.inner.entries[s.entry].id.clone(), f))
            .collect()
    }

    /// Scores a text (a log paste line by line as well as whole) and returns what the whole
    /// text found, with the first [`confidence::CANDIDATES`] entries by evidence and their
    /// features.
    fn weighed_candidates(&self, text: &str) -> (TextResult, Vec<(Scored, confidence::Features)>) {
        let window = &text[..floor_boundary(text, WORD_WINDOW)];
        let segments = logs::segments(window);
        let log = logs::has_log_lines(&segments);
        let (mut whole, scored) = if log {
            // A log as a whole is what its lines say, without their prefixes and stack frames
            // (read from the segments already cut; beyond the word window, as pasted);
            // addresses and paths are values (a lab on 127.0.0.1 is not a loopback error).
            let mut said = logs::messages(&segments);
            said.push_str(&text[window.len()..]);
            let mut whole = self.score_text(&logs::without_values(&said));
            let scored = self.weigh_segments(std::mem::take(&mut whole.scored), &segments);
            (whole, scored)
        } else {
            let mut whole = self.score_text(text);
            let scored = demote_consequences(std::mem::take(&mut whole.scored), false);
            (whole, scored)
        };
        whole.signals.log = log;
        // Scope first: a text that names another field and nothing of ours ("SQL Server
        // ERRORLOG: ...") gets no candidates, whatever Windows message it quotes.
        if whole.signals.other_field {
            return (whole, Vec::new());
        }
        let mut scored: Vec<Scored> = scored.into_iter().filter(|s| s.confidence > 0.0).collect();
        scored.sort_by(|a, b| {
            b.order.total_cmp(&a.order).then_with(|| {
                self.inner.entries[a.entry]
                    .id
                    .cmp(&self.inner.entries[b.entry].id)
            })
        });
        scored.truncate(confidence::CANDIDATES);
        // The first line of the paste that names a cause, among the candidates' deciding lines.
        let cause_line = |s: &Scored| {
            (s.role == Role::Cause && s.named)
                .then(|| s.line.as_ref().map(|l| l.line))
                .flatten()
        };
        let earliest = scored.iter().filter_map(cause_line).min();
        for s in scored.iter_mut() {
            s.evidence.combined = s.confidence;
            s.evidence.earliest = earliest.is_some() && cause_line(s) == earliest;
        }
        let evidence: Vec<confidence::Evidence> = scored.iter().map(|s| s.evidence).collect();
        let features = confidence::Features::of(&evidence, whole.signals);
        (whole, scored.into_iter().zip(features).collect())
    }

    /// Weighs a log paste: every log line and block of prose is scored alone, beside the
    /// paste as a whole (`whole`). Per entry the strongest piece counts, a line by its level;
    /// a piece whose evidence is only a generic consequence counts less when another piece
    /// names a cause.
    fn weigh_segments(&self, whole: Vec<Scored>, segments: &[logs::Segment<'_>]) -> Vec<Scored> {
        let mut pieces: Vec<Scored> = whole
            .into_iter()
            .map(|mut s| {
                s.weigh(WHOLE_PASTE_WEIGHT);
                s
            })
            .collect();
        let mut seen: HashSet<&str> = HashSet::new();
        // Each distinct line once (logs repeat themselves), with the weight of its level.
        let mut lines: Vec<(&logs::Segment<'_>, f32)> = segments
            .iter()
            .filter_map(|seg| match seg {
                // A stack trace's frames are addresses, not evidence.
                logs::Segment::Log(l) if logs::is_stack_frame(l.message) => None,
                logs::Segment::Log(l) => {
                    seen.insert(l.message).then(|| (seg, level_weight(l.level)))
                }
                logs::Segment::Prose { text, .. } => seen.insert(text).then_some((seg, 1.0)),
            })
            .collect();
        // The most telling lines first: a long debug log is cut, not its errors.
        lines.sort_by(|a, b| b.1.total_cmp(&a.1));
        lines.truncate(MAX_SCORED_LINES);
        for (seg, weight) in lines {
            // A line below WARN is the program telling what it does ("creating directory
            // ...", "Loading Dynamic Virtual Channel rdpgfx"): it is evidence when it is a
            // string, code or pattern the KB knows, not for the ordinary words in it.
            let chatter = matches!(seg, logs::Segment::Log(l) if l.level.is_some_and(|v| v < logs::Level::Warn));
            let (text, line) = match seg {
                logs::Segment::Log(l) => (
                    logs::without_values(l.message),
                    LineRef::new(l.number, l.raw),
                ),
                logs::Segment::Prose { first, text } => (
                    std::borrow::Cow::Borrowed(*text),
                    LineRef::new(*first, text),
                ),
            };
            for mut s in self.score_text(&text).scored {
                if chatter && !s.named {
                    continue;
                }
                s.weigh(weight);
                s.line = Some(line.clone());
                pieces.push(s);
            }
        }
        let best_cause = best_cause(&pieces, true);
        let mut consequences: Vec<(f32, LineRef)> = pieces
            .iter()
            .filter(|p| outranked(p, best_cause) && p.confidence >= CAUSE_MIN_EVIDENCE)
            .filter_map(|p| Some((p.confidence, p.line.clone()?)))
            .collect();
        let mut best: HashMap<usize, Scored> = HashMap::new();
        for p in demote_consequences(pieces, true) {
            if best.get(&p.entry).is_none_or(|b| p.order > b.order) {
                best.insert(p.entry, p);
            }
        }
        let mut out: Vec<Scored> = best.into_values().collect();
        // The consequences stay in the answer as reasons of the cause that outranked them.
        consequences.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut shown = HashSet::new();
        consequences.retain(|(_, line)| shown.insert(line.line));
        if let Some(top) = out.iter_mut().max_by(|a, b| a.order.total_cmp(&b.order)) {
            if top.role == Role::Cause {
                // Its own deciding line is not a consequence of itself.
                let own = top.line.as_ref().map(|l| l.line);
                consequences.retain(|(_, line)| Some(line.line) != own);
                for (_, line) in consequences.into_iter().take(MAX_CONSEQUENCE_REASONS) {
                    top.reasons.push(Reason::Consequence {
                        line: line.line,
                        text: line.text,
                    });
                }
            }
        }
        out
    }

    /// Scores one text (a whole query, or one piece of a paste): every candidate entry with
    /// its confidence, reasons and whether its evidence names a cause or a consequence.
    fn score_text(&self, text: &str) -> TextResult {
        let engine = self.text_engine();
        let query = Query::read(text, &engine.prepared);
        let codes = self.inner.codes.find(&query.folded, &self.inner.entries);
        let exact = engine.phrases.find(&query.folded, &query.normalized);
        let mut candidates = engine.candidates(&query, &exact);
        let fragment_scores = engine.fragment_evidence(&query, &candidates);
        let code_scores = self.code_evidence(&codes);
        candidates.extend(code_scores.keys());
        let text_scores = engine.text_evidence(&query, &exact, candidates);

        // People quote the message they saw. When they quote one in words the KB knows, and
        // none of its wordings reads like it ("ID not found"), the words around it are likely
        // about another product. A quote in another language says nothing either way.
        let unknown_quote = query.quotes_are_english(&engine.prepared)
            && codes.is_empty()
            && exact.phrases.is_empty()
            && exact.patterns.is_empty()
            && fragment_scores.is_empty()
            && text_scores.iter().all(|t| t.quoted < CAUSE_MIN_EVIDENCE);
        // A text that names another product and nothing of ours is that product's error, even
        // when it quotes a Windows message word for word ("SQL Server ERRORLOG: The Local
        // Security Authority cannot be contacted").
        let scope = if query.other_field.is_some() {
            FOREIGN_FACTOR
        } else if unknown_quote {
            UNKNOWN_QUOTE_FACTOR
        } else {
            1.0
        };

        let scored = text_scores
            .into_iter()
            .filter_map(
                |CandidateText {
                     entry: i, mut text, ..
                 }| {
                    if let Some((f, reason, role)) = fragment_scores.get(&i) {
                        if *f > text.score {
                            text.score = *f;
                            text.reason = Some(reason.clone());
                            text.role = *role;
                            text.wording_matched = true;
                        }
                    }
                    let mut reasons = Vec::new();
                    let mut evidence = vec![text.score];
                    // The role of the strongest piece of evidence is the role of the answer.
                    let (mut strongest, mut role) = (text.score, text.role);
                    if let Some(code) = code_scores.get(&i) {
                        evidence.push(code.score);
                        reasons.extend(code.reasons.iter().cloned());
                        if code.score > strongest {
                            (strongest, role) = (code.score, code.role);
                        }
                    }
                    if let Some(pattern) = exact.patterns.get(&i) {
                        evidence.push(PATTERN_EVIDENCE);
                        reasons.push(Reason::Pattern {
                            pattern: pattern.clone(),
                        });
                        if PATTERN_EVIDENCE > strongest {
                            role = Role::Cause;
                        }
                    }
                    if let Some(r) = text.reason {
                        if text.score >= 0.2 {
                            reasons.push(r);
                        }
                    }
                    let confidence = combine(&evidence) * scope;
                    // Text scores above 1 (a title that is the message, a query that says more
                    // about one sibling) order entries whose confidence is the same.
                    let order = confidence + 0.05 * (text.score - 1.0).max(0.0);
                    let named = text.wording_matched
                        || reasons
                            .iter()
                            .any(|r| matches!(r, Reason::Code { .. } | Reason::Pattern { .. }));
                    let evidence = confidence::Evidence {
                        combined: 0.0,
                        text: text.score.min(1.0),
                        code: code_scores.get(&i).map_or(0.0, |c| c.score),
                        pattern: exact.patterns.contains_key(&i),
                        wording: text.wording_matched && text.score >= 0.5,
                        localized: text.localized && text.score >= 0.5,
                        consequence: role == Role::Consequence,
                        outranked: false,
                        earliest: false,
                    };
                    (confidence > 0.0).then_some(Scored {
                        entry: i,
                        confidence,
                        order,
                        reasons,
                        role,
                        named,
                        line: None,
                        evidence,
                    })
                },
            )
            .collect();
        // A bare code from our tables is a question about it ("516", "0x904").
        let names_ours = normalize::names_ours(&query.normalized)
            || (!codes.is_empty() && query.terms.content_len() <= BARE_CODE_WORDS);
        TextResult {
            scored,
            codes,
            captures: exact.captures,
            other_field: query.other_field,
            signals: confidence::TextSignals {
                other_field: query.other_field.is_some(),
                unknown_quote,
                known_share: query.terms.known_share(&engine.prepared),
                names_ours,
                log: false,
            },
        }
    }

    /// Per entry: the code evidence and the codes behind it.
    ///
    /// Each code found counts once per entry (its best interpretation for that entry); codes
    /// found separately combine. A code that points to many entries says less about each, the
    /// first entry of a code's table row is its main explanation, and a code whose context
    /// names a namespace it is not in ("error code: 0x4" from a client we have no table for)
    /// is weaker.
    fn code_evidence(&self, codes: &[CodeFinding]) -> HashMap<usize, CodeEvidence> {
        let mut out: HashMap<usize, CodeEvidence> = HashMap::new();
        for finding in codes {
            // The first entry of each interpretation is its main explanation; several main
            // explanations (0x4 means different things in different namespaces) share the
            // weight, and the other entries of a row get less.
            let primaries: HashSet<&str> = finding
                .interpretations
                .iter()
                .filter_map(|i| i.entries.first().map(String::as_str))
                .collect();
            let spread = 1.0 / (1.0 + 0.2 * primaries.len().saturating_sub(1) as f32);
            let any_supported = finding
                .interpretations
                .iter()
                .any(|i| i.supported_by_context);
            let mut best: HashMap<usize, (f32, Reason, Role)> = HashMap::new();
            let mut agreeing: HashMap<usize, usize> = HashMap::new();
            for interp in &finding.interpretations {
                let fit = if interp.supported_by_context {
                    1.0
                } else if any_supported {
                    0.6
                } else if !finding.context.is_empty() {
                    // "exit code: 50" is not event 50.
                    0.35
                } else {
                    0.9
                };
                for (rank, id) in interp.entries.iter().enumerate() {
                    let Some(&i) = self.inner.by_id.get(id) else {
                        continue;
                    };
                    let primary = if rank == 0 { 1.0 } else { 0.7 };
                    let score = 0.9 * finding.strength * fit * spread * primary;
                    *agreeing.entry(i).or_default() += 1;
                    if best.get(&i).is_none_or(|(s, _, _)| score > *s) {
                        let reason = Reason::Code {
                            code: finding.text.clone(),
                            namespace: interp.namespace,
                            display: interp.display.clone(),
                            name: interp.name.clone(),
                        };
                        best.insert(i, (score, reason, interp.role));
                    }
                }
            }
            for (i, (score, reason, role)) in best {
                // Several namespaces agreeing on one entry make it the likelier reading.
                let votes = agreeing.get(&i).copied().unwrap_or(1);
                let score = (score * (1.0 + 0.1 * (votes - 1) as f32)).min(0.95);
                let slot = out.entry(i).or_insert(CodeEvidence {
                    score: 0.0,
                    reasons: Vec::new(),
                    role: Role::Consequence,
                });
                slot.score = combine(&[slot.score, score]);
                slot.reasons.push(reason);
                // Any code that names a cause makes the code evidence a cause.
                if role == Role::Cause {
                    slot.role = Role::Cause;
                }
            }
        }
        out
    }
}

// A `Kb` is shared across threads by chatbot hosts.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Kb>();
};

/// Word-by-word (typo-tolerant) scoring looks at this many bytes of the input at most; exact
/// wordings and codes are found anywhere up to [`MAX_QUERY_BYTES`].
pub const WORD_WINDOW: usize = 256 << 10;

/// Cuts a query at [`MAX_QUERY_BYTES`], on a character boundary.
fn cut(text: &str) -> (&str, bool) {
    if text.len() <= MAX_QUERY_BYTES {
        return (text, false);
    }
    (&text[..floor_boundary(text, MAX_QUERY_BYTES)], true)
}

/// The largest character boundary at or below `at`.
pub(crate) fn floor_boundary(text: &str, at: usize) -> usize {
    let mut end = at.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// The README's Rust examples, compiled and run as doctests so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

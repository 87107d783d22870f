//! Measuring the matcher on a query corpus: top-1, top-3, mean reciprocal rank, and how often
//! out-of-scope queries are correctly answered with "no match", overall and per kind of text.
//!
//! The corpus format is that of `../shared/eval/dev.toml`: `[[query]]` tables with `text` and
//! `expect` (acceptable ids, best first; `["none"]` means no match is the right answer;
//! `["missing:<slug>"]` names a real error the KB has no entry for yet). The real-world corpus
//! (`tests/realworld/`) adds `kind`, `lang`, `source` and `split`.
//!
//! # The split
//! A corpus that is tuned on cannot also be reported. Each real-world query belongs to one
//! source thread, and each thread to one half, `tune` or `test`, by a hash of the thread's
//! address ([`split_for`]): every text of one thread lands in the same half, and the half of a
//! thread never changes. The half is written in the file beside each query, and a test checks
//! that what is written is what the rule gives, so the split cannot drift.

use crate::load::diagnostic;
use crate::{Error, Kb, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
struct Corpus {
    #[serde(default)]
    query: Vec<Case>,
}

/// One query and the ids that answer it.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
pub struct Case {
    pub text: String,
    pub expect: Vec<String>,
    /// What sort of text it is: `dialog`, `client-log`, `server-log`, `code`, `localized`,
    /// `retold`, `negative`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// ISO 639-1 language of the text (`en`, `de`, `zh-TW` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The public page the text was taken from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The half of the corpus this query belongs to (see [`split_for`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<Split>,
}

/// The two halves of the real-world corpus.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, schemars::JsonSchema,
)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Matcher changes may be tried and tuned against these.
    Tune,
    /// Only ever reported.
    Test,
}

impl Split {
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Tune => "tune",
            Split::Test => "test",
        }
    }
}

/// The thread a source address belongs to: the address without its fragment
/// (`#issuecomment-…`), query string and trailing slash, lower-cased, `http:` read as `https:`.
pub fn thread_of(source: &str) -> String {
    let s = source.trim();
    let s = s.split('#').next().unwrap_or(s);
    let s = s.split('?').next().unwrap_or(s);
    let s = s.trim_end_matches('/').to_ascii_lowercase();
    match s.strip_prefix("http://") {
        Some(rest) => format!("https://{rest}"),
        None => s,
    }
}

/// The half a thread belongs to: the lowest bit of the 64-bit FNV-1a hash of [`thread_of`].
/// Fixed before any matcher change, and never to be changed: it is what keeps the test half
/// unseen. `scripts/split-corpus.py` writes the same value into the corpus files.
pub fn split_for(source: &str) -> Split {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in thread_of(source).bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    if hash & 1 == 0 {
        Split::Tune
    } else {
        Split::Test
    }
}

impl Case {
    /// True when the right answer is "no match".
    pub fn expects_none(&self) -> bool {
        self.expect.iter().any(|e| e == "none")
    }

    /// The entry the KB lacks for this real error (`missing:<slug>`), if that is the label.
    pub fn missing(&self) -> Option<&str> {
        self.expect.iter().find_map(|e| e.strip_prefix("missing:"))
    }

    /// The group this query is reported in: its kind, and for text in another language the
    /// language too (`localized:de`). Queries with no kind are grouped by their answer.
    pub fn group(&self) -> String {
        match (self.kind.as_deref(), self.lang.as_deref()) {
            (Some("localized"), Some(lang)) => format!("localized:{lang}"),
            (Some(kind), _) => kind.to_string(),
            (None, _) if self.expects_none() => "negative".to_string(),
            (None, _) => "(no kind)".to_string(),
        }
    }
}

/// Parses a corpus file; errors name the file, line and column.
pub fn parse(path: &str, text: &str) -> Result<Vec<Case>, Error> {
    toml::from_str::<Corpus>(text)
        .map(|c| c.query)
        .map_err(|e| {
            Error::Kb(vec![diagnostic(
                Severity::Error,
                "EV001",
                e.message().trim().to_string(),
                path,
                text,
                e.span().map(|s| s.start),
            )])
        })
}

/// A query the matcher got wrong.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Miss {
    pub text: String,
    pub expect: Vec<String>,
    /// What came back, best first (at most three).
    pub got: Vec<String>,
    /// The group of the query (its kind).
    pub group: String,
}

/// Counts for one group of queries.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Tally {
    pub queries: usize,
    pub top1: usize,
    pub top3: usize,
    pub reciprocal_rank_sum: f64,
}

impl Tally {
    pub fn top1_rate(&self) -> f64 {
        ratio(self.top1, self.queries)
    }
    pub fn top3_rate(&self) -> f64 {
        ratio(self.top3, self.queries)
    }
    pub fn mrr(&self) -> f64 {
        if self.queries == 0 {
            0.0
        } else {
            self.reciprocal_rank_sum / self.queries as f64
        }
    }

    /// Counts one query: `rank` is the position of the first acceptable answer.
    fn add(&mut self, rank: Option<usize>) {
        self.queries += 1;
        if let Some(r) = rank {
            self.reciprocal_rank_sum += 1.0 / (r + 1) as f64;
            if r == 0 {
                self.top1 += 1;
            }
            if r < 3 {
                self.top3 += 1;
            }
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The result of a run.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// Queries that have an answer in the KB.
    pub positive: Tally,
    /// Positive queries by the category of their expected entry.
    pub by_category: BTreeMap<String, Tally>,
    /// Every query by its group ([`Case::group`]); for a query whose answer is "no match",
    /// top-1 and top-3 count a correct "no match".
    pub by_kind: BTreeMap<String, Tally>,
    /// Queries whose right answer is "no match".
    pub none_queries: usize,
    pub none_correct: usize,
    /// Real errors the KB has no entry for yet: slug -> number of queries. Not scored.
    pub missing: BTreeMap<String, usize>,
    pub misses: Vec<Miss>,
    /// Texts whose right answer is "no match" that got suggestions anyway.
    pub none_with_suggestions: usize,
    /// Positive texts answered only by suggestions (no match the matcher stands behind).
    pub suggested_only: usize,
    /// The first answer shown for each scored text (a match, else a suggestion), by its
    /// confidence: how often it was right.
    pub reliability: Vec<crate::confidence::Bucket>,
    /// Expected calibration error of those answers: the count-weighted mean gap between
    /// confidence and accuracy over the buckets of `reliability`.
    pub calibration_error: f64,
}

impl Report {
    pub fn none_rate(&self) -> f64 {
        ratio(self.none_correct, self.none_queries)
    }
}

/// Runs every case through the matcher.
pub fn run(kb: &Kb, cases: &[Case]) -> Report {
    let mut report = Report::default();
    let mut answers: Vec<(f32, bool)> = Vec::new();
    for case in cases {
        if let Some(slug) = case.missing() {
            *report.missing.entry(slug.to_string()).or_default() += 1;
            continue;
        }
        let found = kb.lookup(&case.text);
        // Matches first, then suggestions: suggestions count for top-3, never for top-1.
        let matched = found.matches.len();
        let got: Vec<String> = found
            .matches
            .iter()
            .map(|m| m.id.clone())
            .chain(found.suggestions.iter().map(|s| s.id.clone()))
            .collect();
        let first = found
            .matches
            .first()
            .map(|m| (m.confidence, m.id.as_str()))
            .or(found
                .suggestions
                .first()
                .map(|s| (s.confidence, s.id.as_str())));
        if let Some((confidence, id)) = first {
            answers.push((confidence, case.expect.iter().any(|e| e == id)));
        }
        let group = case.group();
        if case.expects_none() {
            report.none_queries += 1;
            if !found.suggestions.is_empty() {
                report.none_with_suggestions += 1;
            }
            let right = matched == 0;
            report
                .by_kind
                .entry(group.clone())
                .or_default()
                .add(right.then_some(0));
            if right {
                report.none_correct += 1;
            } else {
                report.misses.push(miss(case, &got, group));
            }
            continue;
        }
        let mut rank = got.iter().position(|id| case.expect.contains(id));
        if matched == 0 {
            if rank.is_some() {
                report.suggested_only += 1;
            }
            // A suggestion is never a first answer.
            rank = rank.map(|r| r.max(1));
        }
        let category = case
            .expect
            .first()
            .and_then(|id| kb.get(id))
            .map_or("(unknown entry)".to_string(), |e| e.category.to_string());
        report.positive.add(rank);
        report.by_category.entry(category).or_default().add(rank);
        report.by_kind.entry(group.clone()).or_default().add(rank);
        if rank != Some(0) {
            report.misses.push(miss(case, &got, group));
        }
    }
    (report.reliability, report.calibration_error) = crate::confidence::reliability(&answers);
    report
}

/// The fitting samples of `cases` for the confidence model: each text's candidates with their
/// features, and whether each is a right answer. Texts labelled `missing:` are left out.
pub fn samples(kb: &Kb, cases: &[Case]) -> Vec<crate::confidence::Sample> {
    cases
        .iter()
        .filter(|c| c.missing().is_none())
        .map(|c| crate::confidence::Sample {
            candidates: kb
                .candidate_features(&c.text)
                .into_iter()
                .map(|(id, f)| (f, c.expect.contains(&id)))
                .collect(),
            expects_none: c.expects_none(),
        })
        .collect()
}

/// Reads every corpus file below `dir` (the real-world corpus) and keeps the queries of `half`.
pub fn read_half(dir: &std::path::Path, half: Split) -> Result<Vec<Case>, Error> {
    let mut cases = Vec::new();
    for file in crate::load::read_dir(dir)? {
        cases.extend(
            parse(&file.path, &file.text)?
                .into_iter()
                .filter(|c| c.split == Some(half)),
        );
    }
    Ok(cases)
}

/// Fits the confidence model on the tune half of the real-world corpus in `dir` (what
/// `scripts/fit-confidence` runs and `tests/confidence.rs` checks).
pub fn fit_confidence(kb: &Kb, dir: &std::path::Path) -> Result<crate::confidence::Model, Error> {
    let tune = samples(kb, &read_half(dir, Split::Tune)?);
    let mut cases = Vec::new();
    // The entries' golden examples too: what each entry must answer is part of the KB, and
    // without them the tune half alone says little about a bare code or a short dialog.
    for entry in kb.entries() {
        for example in &entry.examples {
            cases.push(Case {
                text: example.clone(),
                expect: vec![entry.id.clone()],
                kind: None,
                lang: None,
                source: None,
                split: None,
            });
        }
    }
    let examples = samples(kb, &cases);
    Ok(crate::confidence::fit(
        &tune,
        &examples,
        "the tune half of tests/realworld and the entries' golden examples",
    ))
}

/// The labels of `cases` that name no entry of `kb` (and are neither `none` nor `missing:`):
/// a typo in a label would otherwise count as a miss forever.
pub fn unknown_labels<'a>(kb: &Kb, cases: &'a [Case]) -> Vec<&'a str> {
    cases
        .iter()
        .flat_map(|c| &c.expect)
        .map(String::as_str)
        .filter(|e| *e != "none" && !e.starts_with("missing:") && kb.get(e).is_none())
        .collect()
}

fn miss(case: &Case, got: &[String], group: String) -> Miss {
    Miss {
        text: case.text.clone(),
        expect: case.expect.clone(),
        got: got.iter().take(3).cloned().collect(),
        group,
    }
}

/// The report as a table for people.
pub fn report_text(report: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let p = &report.positive;
    let _ = writeln!(
        out,
        "positive queries: {}   top-1 {:.1}%   top-3 {:.1}%   MRR {:.3}",
        p.queries,
        100.0 * p.top1_rate(),
        100.0 * p.top3_rate(),
        p.mrr()
    );
    let _ = writeln!(
        out,
        "no-match queries: {}   answered with no match {:.1}%",
        report.none_queries,
        100.0 * report.none_rate()
    );
    let _ = writeln!(
        out,
        "suggestions:      {} positive texts answered by suggestions only; {} no-match texts got suggestions",
        report.suggested_only, report.none_with_suggestions
    );
    let _ = writeln!(
        out,
        "calibration:      expected calibration error {:.3} over the first answer of each text",
        report.calibration_error
    );
    if !report.missing.is_empty() {
        let n: usize = report.missing.values().sum();
        let _ = writeln!(
            out,
            "no entry yet:     {n} (not scored): {}",
            report
                .missing
                .iter()
                .map(|(slug, n)| format!("{slug} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let table = |out: &mut String, title: &str, rows: &BTreeMap<String, Tally>| {
        let _ = writeln!(
            out,
            "\n{:<20} {:>7} {:>7} {:>7} {:>7}",
            title, "queries", "top-1", "top-3", "MRR"
        );
        for (name, t) in rows {
            let _ = writeln!(
                out,
                "{:<20} {:>7} {:>6.0}% {:>6.0}% {:>7.3}",
                name,
                t.queries,
                100.0 * t.top1_rate(),
                100.0 * t.top3_rate(),
                t.mrr()
            );
        }
    };
    if report.by_kind.keys().any(|k| k != "(no kind)") {
        table(&mut out, "kind", &report.by_kind);
    }
    table(&mut out, "category", &report.by_category);
    let _ = writeln!(
        out,
        "\n{:<20} {:>7} {:>10} {:>9}",
        "confidence", "answers", "mean conf", "right"
    );
    for b in report.reliability.iter().filter(|b| b.count > 0) {
        let _ = writeln!(
            out,
            "{:<20} {:>7} {:>10.2} {:>8.0}%",
            format!("{:.1}-{:.1}", b.from, b.from + 0.1),
            b.count,
            b.confidence,
            100.0 * b.accuracy
        );
    }
    if !report.misses.is_empty() {
        let _ = writeln!(out, "\nmisses ({}):", report.misses.len());
        for m in &report.misses {
            let text: String = crate::render::sanitize(&m.text)
                .replace('\n', " ⏎ ")
                .chars()
                .take(110)
                .collect();
            let got = if m.got.is_empty() {
                "no match".to_string()
            } else {
                m.got.join(", ")
            };
            let _ = writeln!(
                out,
                "  - [{}] {text}\n      expected {}; got {got}",
                m.group,
                m.expect.join(" | ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_is_its_address_without_anchor_or_query() {
        let a = "https://github.com/FreeRDP/FreeRDP/issues/8610#issuecomment-1";
        let b = "http://github.com/freerdp/freerdp/issues/8610/?x=1";
        assert_eq!(thread_of(a), thread_of(b));
        assert_eq!(split_for(a), split_for(b));
    }

    #[test]
    fn the_split_rule_is_fixed() {
        // These values are part of the corpus files; changing the hash would move texts
        // between the halves.
        assert_eq!(
            thread_of("https://example.com/a#b"),
            "https://example.com/a"
        );
        // The same values as scripts/split-corpus.py gives.
        for (source, half) in [
            (
                "https://github.com/FreeRDP/FreeRDP/issues/8610",
                Split::Test,
            ),
            ("https://superuser.com/questions/1", Split::Test),
            ("https://example.com/thread/0", Split::Test),
            ("https://example.com/thread/1", Split::Tune),
        ] {
            assert_eq!(split_for(source), half, "{source}");
        }
        let halves: Vec<Split> = (0..64)
            .map(|i| split_for(&format!("https://example.com/thread/{i}")))
            .collect();
        let tune = halves.iter().filter(|s| **s == Split::Tune).count();
        assert!((20..=44).contains(&tune), "{tune} of 64 in tune");
    }

    #[test]
    fn groups_follow_kind_and_language() {
        let case = |kind: Option<&str>, lang: Option<&str>, expect: &str| Case {
            text: String::new(),
            expect: vec![expect.into()],
            kind: kind.map(Into::into),
            lang: lang.map(Into::into),
            source: None,
            split: None,
        };
        assert_eq!(
            case(Some("localized"), Some("de"), "x").group(),
            "localized:de"
        );
        assert_eq!(
            case(Some("client-log"), Some("en"), "x").group(),
            "client-log"
        );
        assert_eq!(case(None, None, "none").group(), "negative");
        assert_eq!(case(None, None, "missing:x").missing(), Some("x"));
    }
}

//! Measuring the matcher on a query corpus: top-1, top-3, mean reciprocal rank, and how often
//! out-of-scope queries are correctly answered with "no match".
//!
//! The corpus format is that of `../shared/eval/dev.toml`: `[[query]]` tables with `text` and
//! `expect` (acceptable ids, best first; `["none"]` means no match is the right answer). Other
//! fields are ignored.

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
}

impl Case {
    /// True when the right answer is "no match".
    pub fn expects_none(&self) -> bool {
        self.expect.iter().any(|e| e == "none")
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
    /// Queries whose right answer is "no match".
    pub none_queries: usize,
    pub none_correct: usize,
    pub misses: Vec<Miss>,
}

impl Report {
    pub fn none_rate(&self) -> f64 {
        ratio(self.none_correct, self.none_queries)
    }
}

/// Runs every case through the matcher.
pub fn run(kb: &Kb, cases: &[Case]) -> Report {
    let mut report = Report::default();
    for case in cases {
        let found = kb.lookup(&case.text);
        let got: Vec<String> = found.matches.iter().map(|m| m.id.clone()).collect();
        if case.expects_none() {
            report.none_queries += 1;
            if got.is_empty() {
                report.none_correct += 1;
            } else {
                report.misses.push(miss(case, &got));
            }
            continue;
        }
        let rank = got.iter().position(|id| case.expect.contains(id));
        let category = case
            .expect
            .first()
            .and_then(|id| kb.get(id))
            .map_or("(unknown entry)".to_string(), |e| e.category.to_string());
        for tally in [
            &mut report.positive,
            report.by_category.entry(category).or_default(),
        ] {
            tally.queries += 1;
            if let Some(r) = rank {
                tally.reciprocal_rank_sum += 1.0 / (r + 1) as f64;
                if r == 0 {
                    tally.top1 += 1;
                }
                if r < 3 {
                    tally.top3 += 1;
                }
            }
        }
        if rank != Some(0) {
            report.misses.push(miss(case, &got));
        }
    }
    report
}

fn miss(case: &Case, got: &[String]) -> Miss {
    Miss {
        text: case.text.clone(),
        expect: case.expect.clone(),
        got: got.iter().take(3).cloned().collect(),
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
        "\n{:<20} {:>7} {:>7} {:>7} {:>7}",
        "category", "queries", "top-1", "top-3", "MRR"
    );
    for (cat, t) in &report.by_category {
        let _ = writeln!(
            out,
            "{:<20} {:>7} {:>6.0}% {:>6.0}% {:>7.3}",
            cat,
            t.queries,
            100.0 * t.top1_rate(),
            100.0 * t.top3_rate(),
            t.mrr()
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
                "  - {text}\n      expected {}; got {got}",
                m.expect.join(" | ")
            );
        }
    }
    out
}

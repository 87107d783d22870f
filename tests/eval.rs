//! The project's own query corpus (tests/corpus.toml), run through the same code as
//! `rdperr eval`, with floors. A change to the matcher or the KB that lowers accuracy fails here.

use rdperr::eval;

#[test]
fn own_corpus_meets_its_floors() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let cases = eval::parse(path, &text).unwrap();
    assert!(cases.len() >= 60, "corpus has {} queries", cases.len());
    let report = eval::run(rdperr::Kb::embedded(), &cases);
    let summary = eval::report_text(&report);
    assert!(
        report.positive.top1_rate() >= FLOOR_TOP1,
        "top-1 below {FLOOR_TOP1}:\n{summary}"
    );
    assert!(
        report.positive.top3_rate() >= FLOOR_TOP3,
        "top-3 below {FLOOR_TOP3}:\n{summary}"
    );
    assert!(
        report.none_rate() >= FLOOR_NONE,
        "no-match accuracy below {FLOOR_NONE}:\n{summary}"
    );
}

const FLOOR_TOP1: f64 = 0.90;
const FLOOR_TOP3: f64 = 0.95;
const FLOOR_NONE: f64 = 0.85;

#[test]
fn corpus_file_errors_name_the_line() {
    let err = eval::parse("bad.toml", "[[query]]\ntext = 1\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.toml:2:8"), "{err}");
}

/// The real-world corpus (tests/realworld/): every query is well-formed, and its recorded half
/// is the one the split rule gives for its source thread, so the split cannot drift.
#[test]
fn realworld_corpus_is_well_formed_and_its_split_is_the_rule() {
    let kb = rdperr::Kb::embedded();
    let mut texts = std::collections::HashSet::new();
    let mut problems = Vec::new();
    for (name, cases) in realworld_files() {
        for c in &cases {
            let short: String = c.text.chars().take(50).collect();
            let Some(source) = &c.source else {
                problems.push(format!("{name}: no source: {short}"));
                continue;
            };
            if !source.starts_with("https://") && !source.starts_with("http://") {
                problems.push(format!("{name}: source is not a web address: {source}"));
            }
            if c.split != Some(eval::split_for(source)) {
                problems.push(format!(
                    "{name}: split {:?} is not the rule's for {source} (run scripts/split-corpus.py)",
                    c.split
                ));
            }
            match c.kind.as_deref() {
                Some(
                    "dialog" | "client-log" | "server-log" | "code" | "localized" | "retold"
                    | "negative",
                ) => {}
                other => problems.push(format!("{name}: kind {other:?}: {short}")),
            }
            if c.lang.is_none() {
                problems.push(format!("{name}: no lang: {short}"));
            }
            // A negative in another language is reported with its language.
            let negative_kind = matches!(c.kind.as_deref(), Some("negative" | "localized"));
            if (c.kind.as_deref() == Some("negative") && !c.expects_none())
                || (c.expects_none() && !negative_kind)
            {
                problems.push(format!(
                    "{name}: negative kind and [\"none\"] disagree: {short}"
                ));
            }
            if !texts.insert(c.text.trim().to_string()) {
                problems.push(format!("{name}: text twice: {short}"));
            }
        }
        for label in eval::unknown_labels(kb, &cases) {
            problems.push(format!("{name}: label names no entry: {label}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The real-world corpus, each half against the floor it reaches today. These are not the
/// targets (90% and more); they stop a change from losing ground unnoticed. The test half is
/// reported, never tuned on: a change that lowers it is not an improvement.
#[test]
fn realworld_halves_meet_their_floors() {
    let cases: Vec<eval::Case> = realworld_files().into_iter().flat_map(|(_, c)| c).collect();
    let kb = rdperr::Kb::embedded();
    for (half, top1, none) in [
        (eval::Split::Tune, FLOOR_TUNE_TOP1, FLOOR_TUNE_NONE),
        (eval::Split::Test, FLOOR_TEST_TOP1, FLOOR_TEST_NONE),
    ] {
        let part: Vec<_> = cases
            .iter()
            .filter(|c| c.split == Some(half))
            .cloned()
            .collect();
        let report = eval::run(kb, &part);
        let summary = eval::report_text(&report);
        assert!(
            report.positive.top1_rate() >= top1,
            "{} half top-1 below {top1}:\n{summary}",
            half.as_str()
        );
        assert!(
            report.none_rate() >= none,
            "{} half no-match below {none}:\n{summary}",
            half.as_str()
        );
    }
}

// The threshold of a match is fitted for the best overall accuracy on the tune half
// (src/confidence.toml), which answers more texts than the hand-set 0.45 did: top-1 rose and
// no-match fell on both halves when it came in (test half 43.9% -> 52.8% top-1, 76.2% -> 59.5%
// no-match). The floors follow that trade-off; they are not targets.
const FLOOR_TUNE_TOP1: f64 = 0.58;
const FLOOR_TUNE_NONE: f64 = 0.66;
const FLOOR_TEST_TOP1: f64 = 0.50;
const FLOOR_TEST_NONE: f64 = 0.55;

/// Every file of the real-world corpus with its queries, in name order (none when the folder
/// is absent).
fn realworld_files() -> Vec<(String, Vec<eval::Case>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/realworld");
    let Ok(files) = rdperr::load::read_dir(std::path::Path::new(dir)) else {
        return Vec::new();
    };
    files
        .into_iter()
        .map(|f| {
            let cases = eval::parse(&f.path, &f.text).unwrap_or_else(|e| panic!("{e}"));
            (f.path, cases)
        })
        .collect()
}

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

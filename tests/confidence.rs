//! The committed confidence model (`src/confidence.toml`) is what `scripts/fit-confidence`
//! produces from the KB, the matcher and the tune half of the real-world corpus as they are now.
//! After a change that moves the evidence, run `scripts/fit-confidence` (or this test with
//! `RDPERR_UPDATE_CONFIDENCE=1`) and commit the file.

use std::path::Path;

#[test]
fn the_committed_model_is_what_the_fit_produces() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fitted =
        rdperr::eval::fit_confidence(rdperr::Kb::embedded(), &root.join("tests/realworld"))
            .expect("the real-world corpus loads");
    let path = root.join("src/confidence.toml");
    if std::env::var_os("RDPERR_UPDATE_CONFIDENCE").is_some() {
        std::fs::write(&path, fitted.to_toml()).unwrap();
        return;
    }
    let committed: rdperr::confidence::Model =
        toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // Weights are committed to six decimals; allow for the last one.
    let close = |a: f64, b: f64| (a - b).abs() <= 2e-6;
    let same = committed.threshold == fitted.threshold
        && committed.suggestion_floor == fitted.suggestion_floor
        && committed.fitted_on == fitted.fitted_on
        && committed
            .weights
            .iter()
            .all(|(k, v)| fitted.weights.get(k).is_some_and(|w| close(*v, *w)))
        && committed.weights.len() == fitted.weights.len();
    assert!(
        same,
        "src/confidence.toml is not what the fit produces; run scripts/fit-confidence.\nfitted:\n{}",
        fitted.to_toml()
    );
}

/// What the model says is what happens: a verbatim dialog is a sure match, a text from another
/// field gets none, and a calibrated confidence stays within 0 and 1.
#[test]
fn the_model_orders_evidence_sensibly() {
    let kb = rdperr::Kb::embedded();
    let sure = kb.lookup(
        "An authentication error has occurred. The Local Security Authority cannot be contacted",
    );
    assert_eq!(sure.matches[0].id, "rdp-lsa-unreachable");
    assert!(sure.matches[0].confidence >= rdperr::min_confidence());
    let foreign = kb.lookup("ssh: connect to host example port 22: Connection refused");
    assert!(foreign.matches.is_empty());
    assert_eq!(foreign.scope, rdperr::Scope::OtherField);
    let model = rdperr::confidence::model();
    assert!(model.suggestion_floor <= model.threshold);
}

/// The README states the threshold and floor in force.
#[test]
fn the_readme_states_the_committed_threshold() {
    let model = rdperr::confidence::model();
    let readme = include_str!("../README.md");
    let stated = format!(
        "threshold {:.2}, floor {:.2}",
        model.threshold, model.suggestion_floor
    );
    assert!(
        readme.contains(&stated),
        "README.md should say \"{stated}\" (How a query is matched)"
    );
}

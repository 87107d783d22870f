//! Confidence: the evidence the matcher found for a candidate, turned into the probability that
//! the candidate is the right answer.
//!
//! The scorer (`rank`, and the evidence gathering in `lib.rs`) measures; this module decides.
//! Each candidate is described by a few numbers ([`Features`]): how well its wordings read in
//! the text, its codes, its patterns, whether its evidence is only a generic consequence, what
//! the text says about its own field, and how far it stands above the next candidate. A logistic
//! model over those numbers gives the probability. Its weights, the threshold for a match and
//! the floor for a suggestion are not chosen by hand: `scripts/fit-confidence` fits them on the
//! tune half of the real-world corpus and `../shared/eval/dev.toml` ([`fit`]), writes them to
//! `src/confidence.toml`, and `tests/confidence.rs` checks that the committed file is what the
//! fit produces.
//!
//! The fit is plain Newton iterations (iteratively reweighted least squares) with an L2 penalty,
//! in a fixed order over the samples: the same corpus gives the same weights on every machine.

use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The features, in the order of [`Features::values`] and of the weights.
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "bias",
    "evidence",
    "text",
    "code",
    "pattern",
    "wording",
    "localized",
    "consequence",
    "outranked",
    "other_field",
    "unknown_quote",
    "known_share",
    "names_ours",
    "log",
    "lead",
    "first",
    "earliest",
];

/// Candidates whose combined evidence is this close count as level for the `first` feature.
const TIE: f32 = 0.005;

/// Positions in [`FEATURE_NAMES`] that the scope rule reads.
const PATTERN: usize = 4;
const WORDING: usize = 5;
const NAMES_OURS: usize = 12;

/// How many features a candidate has.
pub const FEATURES: usize = 17;

/// Candidates per text the model looks at (and is fitted on): the first ones by evidence.
pub const CANDIDATES: usize = 6;

/// The L2 penalty of the fit: keeps weights small where the tune half has few examples of a
/// feature (a localized wording, a pattern). Not tuned: 1 is the usual default for features
/// that run from 0 to 1.
const L2: f64 = 1.0;
/// Newton steps at most; the fit converges in about ten.
const MAX_ITERATIONS: usize = 100;

/// What the matcher found for one candidate of one text, as numbers from 0 to 1 (`lead` may be
/// negative).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Features {
    pub values: [f32; FEATURES],
}

/// The raw evidence for one candidate, as the matcher gathers it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Evidence {
    /// The combined evidence score (text, codes, patterns) before any calibration.
    pub combined: f32,
    /// The best text score (wordings, keywords, words), capped at 1.
    pub text: f32,
    /// The code evidence.
    pub code: f32,
    /// One of the entry's patterns matched.
    pub pattern: bool,
    /// The best text evidence is one of the entry's own wordings (a dialog's, a client's).
    pub wording: bool,
    /// That wording is in another language.
    pub localized: bool,
    /// The evidence is only a generic consequence ("transport failed").
    pub consequence: bool,
    /// A cause elsewhere in the same paste outranked it.
    pub outranked: bool,
    /// In a log, its deciding line is the first line that names a cause: a client that fails
    /// often tries something else next, and the later errors are what that attempt hit.
    pub earliest: bool,
}

/// What the text as a whole says, the same for every candidate.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TextSignals {
    /// It names another field ("sql server", "ssh") and nothing of ours.
    pub other_field: bool,
    /// It quotes a message in English that no wording reads like.
    pub unknown_quote: bool,
    /// The share of its words the KB knows in English.
    pub known_share: f32,
    /// It names Remote Desktop, a client, a server or Entra sign-in.
    pub names_ours: bool,
    /// It is a pasted log.
    pub log: bool,
}

impl Features {
    /// The features of `candidates` (best evidence first) for one text.
    pub(crate) fn of(candidates: &[Evidence], text: TextSignals) -> Vec<Features> {
        candidates
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let best_other = candidates
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != k)
                    .map(|(_, o)| o.combined)
                    .fold(0.0, f32::max);
                let flag = |b: bool| if b { 1.0 } else { 0.0 };
                Features {
                    values: [
                        1.0,
                        e.combined.clamp(0.0, 1.0),
                        e.text.clamp(0.0, 1.0),
                        e.code.clamp(0.0, 1.0),
                        flag(e.pattern),
                        flag(e.wording),
                        flag(e.localized),
                        flag(e.consequence),
                        flag(e.outranked),
                        flag(text.other_field),
                        flag(text.unknown_quote),
                        text.known_share.clamp(0.0, 1.0),
                        flag(text.names_ours),
                        flag(text.log),
                        (e.combined - best_other).clamp(-1.0, 1.0),
                        // Ahead of every rival, or level with the best: of candidates that
                        // tie, none is first because of the order they were listed in.
                        flag(e.combined >= best_other - TIE) * e.combined.clamp(0.0, 1.0),
                        flag(e.earliest),
                    ],
                }
            })
            .collect()
    }
}

/// The fitted model: weights, and the thresholds chosen with them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// What the model was fitted on, and how many samples.
    pub fitted_on: String,
    /// A candidate at or above this probability is a match.
    pub threshold: f32,
    /// Below the threshold, a candidate at or above this is offered as a suggestion when the
    /// text is about Remote Desktop.
    pub suggestion_floor: f32,
    /// The calibration of the first answer: a probability `p` from the weights is shown as
    /// `1 / (1 + exp(-(scale * logit(p) + shift)))`, fitted on the real texts alone, so that
    /// answers shown at 0.8 are right about 80% of the time on text as people write it.
    pub scale: f64,
    pub shift: f64,
    /// One weight per feature, by name.
    pub weights: std::collections::BTreeMap<String, f64>,
}

/// The committed model (`src/confidence.toml`).
pub fn model() -> &'static Model {
    static MODEL: LazyLock<Model> = LazyLock::new(|| {
        toml::from_str(include_str!("confidence.toml"))
            .expect("src/confidence.toml is checked by tests/confidence.rs")
    });
    &MODEL
}

impl Model {
    fn weight_vector(&self) -> [f64; FEATURES] {
        let mut w = [0.0; FEATURES];
        for (i, name) in FEATURE_NAMES.iter().enumerate() {
            w[i] = self.weights.get(*name).copied().unwrap_or(0.0);
        }
        w
    }

    /// For one text's candidates: the probability that each is the right answer.
    pub fn probabilities(&self, candidates: &[Features]) -> Vec<f32> {
        self.raw_probabilities(candidates)
            .into_iter()
            .map(|p| sigmoid(self.scale * logit(p) + self.shift) as f32)
            .collect()
    }

    /// The probabilities from the weights alone, before calibration.
    fn raw_probabilities(&self, candidates: &[Features]) -> Vec<f64> {
        let w = self.weight_vector();
        let with_unit: Vec<(Features, ())> = candidates.iter().map(|f| (*f, ())).collect();
        choice_probabilities(&w, &with_unit)
    }

    /// The model as TOML, weights rounded to six decimals (what is committed).
    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# Fitted by scripts/fit-confidence (rdperr::confidence::fit); do not edit by hand.\n\
             # tests/confidence.rs checks that this is what the fit produces.\n",
        );
        out.push_str(&format!("fitted_on = {:?}\n", self.fitted_on));
        out.push_str(&format!("threshold = {:.2}\n", self.threshold));
        out.push_str(&format!(
            "suggestion_floor = {:.2}\nscale = {:.6}\nshift = {:.6}\n\n[weights]\n",
            self.suggestion_floor, self.scale, self.shift
        ));
        for name in FEATURE_NAMES {
            let w = self.weights.get(name).copied().unwrap_or(0.0);
            out.push_str(&format!("{name} = {w:.6}\n"));
        }
        out
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The log-odds of `p`, kept finite.
fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// Fits `y ~ sigmoid(a * z + b)` by Newton steps (Platt scaling); starts from the identity.
fn fit_calibration(points: &[(f64, f64)]) -> (f64, f64) {
    let (mut a, mut b) = (1.0f64, 0.0f64);
    for _ in 0..MAX_ITERATIONS {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (z, y) in points {
            let p = sigmoid(a * z + b);
            let d = p * (1.0 - p);
            ga += (p - y) * z;
            gb += p - y;
            haa += d * z * z;
            hab += d * z;
            hbb += d;
        }
        // A small ridge keeps the step finite when every answer is right (or wrong).
        haa += 1e-6;
        hbb += 1e-6;
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-12 {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        a -= da;
        b -= db;
        if da.abs().max(db.abs()) < 1e-10 {
            break;
        }
    }
    (a, b)
}

fn dot(w: &[f64; FEATURES], f: &Features) -> f64 {
    w.iter()
        .zip(f.values.iter())
        .map(|(a, b)| a * f64::from(*b))
        .sum()
}

/// One text of a fitting corpus: its candidates' features and whether each is a right answer.
#[derive(Debug, Clone)]
pub struct Sample {
    pub candidates: Vec<(Features, bool)>,
    /// True when "no match" is the right answer.
    pub expects_none: bool,
}

impl Sample {
    /// True when the text is about Remote Desktop whatever the threshold ([`in_scope`]).
    pub fn in_scope(&self) -> bool {
        let features: Vec<Features> = self.candidates.iter().map(|(f, _)| *f).collect();
        in_scope(&features)
    }
}

/// The scope rule before any threshold, shared by the lookup and the fit: a text is about
/// Remote Desktop when it names Remote Desktop, a client, a server or Entra sign-in (or is a
/// bare code of ours), or one of the entries' own wordings or patterns is in it.
pub(crate) fn in_scope(candidates: &[Features]) -> bool {
    candidates
        .iter()
        .any(|f| f.values[NAMES_OURS] > 0.5 || f.values[WORDING] > 0.5 || f.values[PATTERN] > 0.5)
}

/// Fits the weights by L2-penalised conditional logit (the bias is not penalised) on `real`
/// and `extra` samples together, then picks the threshold and the suggestion floor on `real`
/// alone: the operating points are chosen where texts come as people write them.
///
/// The model is a choice among a text's candidates and "none of them": candidate `i` has the
/// score `w·x_i`, "none" the score 0, and the probability of each is its share of the
/// exponentiated scores. So a candidate's confidence falls when a rival fits as well, and a
/// text whose right answer is not among its candidates (or that has none) teaches "none".
// Matrix arithmetic reads best with indices.
#[allow(clippy::needless_range_loop)]
pub fn fit(real: &[Sample], extra: &[Sample], fitted_on: &str) -> Model {
    let samples: Vec<&Sample> = real.iter().chain(extra).collect();
    let mut w = [0.0f64; FEATURES];
    for _ in 0..MAX_ITERATIONS {
        // Gradient and Hessian of the penalised negative log-likelihood.
        let mut g = [0.0f64; FEATURES];
        let mut h = [[0.0f64; FEATURES]; FEATURES];
        for sample in &samples {
            let xs: Vec<[f64; FEATURES]> = sample
                .candidates
                .iter()
                .map(|(f, _)| f.values.map(f64::from))
                .collect();
            let probabilities = choice_probabilities(&w, &sample.candidates);
            let mut mean = [0.0f64; FEATURES];
            for (x, p) in xs.iter().zip(&probabilities) {
                for i in 0..FEATURES {
                    mean[i] += p * x[i];
                }
            }
            for ((x, p), (_, right)) in xs.iter().zip(&probabilities).zip(&sample.candidates) {
                let y = if *right { 1.0 } else { 0.0 };
                for i in 0..FEATURES {
                    g[i] += (p - y) * x[i];
                    for j in 0..FEATURES {
                        h[i][j] += p * x[i] * x[j];
                    }
                }
            }
            for i in 0..FEATURES {
                for j in 0..FEATURES {
                    h[i][j] -= mean[i] * mean[j];
                }
            }
        }
        for i in 1..FEATURES {
            g[i] += L2 * w[i];
            h[i][i] += L2;
        }
        // A feature no sample ever sets would leave the Hessian singular.
        h[0][0] += 1e-9;
        let step = solve(h, g);
        let mut largest: f64 = 0.0;
        for i in 0..FEATURES {
            w[i] -= step[i];
            largest = largest.max(step[i].abs());
        }
        if largest < 1e-10 {
            break;
        }
    }
    // The weights as committed: the thresholds are chosen with the rounded ones.
    let weights: std::collections::BTreeMap<String, f64> = FEATURE_NAMES
        .iter()
        .zip(w.iter())
        .map(|(n, v)| (n.to_string(), (v * 1e6).round() / 1e6))
        .collect();
    let mut model = Model {
        fitted_on: format!("{fitted_on} ({} texts)", samples.len()),
        threshold: 0.5,
        suggestion_floor: 0.5,
        scale: 1.0,
        shift: 0.0,
        weights,
    };
    // Calibrated on the first answer of each real text: its raw probability against whether
    // it was right.
    let points: Vec<(f64, f64)> = real
        .iter()
        .filter_map(|s| {
            let features: Vec<Features> = s.candidates.iter().map(|(f, _)| *f).collect();
            let raw = model.raw_probabilities(&features);
            let (k, p) = raw
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))?;
            Some((logit(*p), if s.candidates[k].1 { 1.0 } else { 0.0 }))
        })
        .collect();
    let (scale, shift) = fit_calibration(&points);
    model.scale = (scale * 1e6).round() / 1e6;
    model.shift = (shift * 1e6).round() / 1e6;
    model.threshold = best_threshold(&model, real);
    model.suggestion_floor = best_suggestion_floor(&model, real);
    model
}

/// Each candidate's probability of being the answer, against its rivals and "none of them".
fn choice_probabilities<T>(w: &[f64; FEATURES], candidates: &[(Features, T)]) -> Vec<f64> {
    let scores: Vec<f64> = candidates.iter().map(|(f, _)| dot(w, f)).collect();
    // Shifted by the largest score (at least that of "none", 0) so nothing overflows.
    let top = scores.iter().copied().fold(0.0, f64::max);
    let none = (-top).exp();
    let total: f64 = none + scores.iter().map(|s| (s - top).exp()).sum::<f64>();
    scores.iter().map(|s| (s - top).exp() / total).collect()
}

/// The grid the thresholds are chosen on: 0.05, 0.06 ... 0.95.
fn grid() -> impl Iterator<Item = f32> {
    (5..=95).map(|i| i as f32 / 100.0)
}

/// Per sample: the candidates' probabilities, best first, with whether each is right.
fn ranked(model: &Model, sample: &Sample) -> Vec<(f32, bool)> {
    let features: Vec<Features> = sample.candidates.iter().map(|(f, _)| *f).collect();
    let mut out: Vec<(f32, bool)> = model
        .probabilities(&features)
        .into_iter()
        .zip(sample.candidates.iter().map(|(_, right)| *right))
        .collect();
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    out
}

/// The threshold with the best overall accuracy: a text with an answer is right when its first
/// candidate is right and reaches the threshold; a text with none is right when no candidate
/// does. Of equally good thresholds the middle one is taken.
fn best_threshold(model: &Model, samples: &[Sample]) -> f32 {
    let ranked: Vec<(Vec<(f32, bool)>, bool)> = samples
        .iter()
        .map(|s| (ranked(model, s), s.expects_none))
        .collect();
    let score = |t: f32| -> usize {
        ranked
            .iter()
            .filter(|(r, none)| {
                let top = r.first().filter(|(p, _)| *p >= t);
                if *none {
                    top.is_none()
                } else {
                    top.is_some_and(|(_, right)| *right)
                }
            })
            .count()
    };
    middle_of_best(grid().map(|t| (t, score(t))))
}

/// The suggestion floor: below the threshold, the floor that puts the right answer among the
/// first three (matches and suggestions) most often, less the texts with no answer that get a
/// suggestion.
fn best_suggestion_floor(model: &Model, samples: &[Sample]) -> f32 {
    let ranked: Vec<(Vec<(f32, bool)>, bool)> = samples
        .iter()
        .map(|s| {
            let mut r = ranked(model, s);
            // Suggestions are offered only for a text about Remote Desktop: one that names it
            // or has a match.
            let has_match = r.first().is_some_and(|(p, _)| *p >= model.threshold);
            if !(s.in_scope() || has_match) {
                r.retain(|(p, _)| *p >= model.threshold);
            }
            (r, s.expects_none)
        })
        .collect();
    let score = |floor: f32| -> i64 {
        ranked
            .iter()
            .map(|(r, none)| {
                let shown = r.iter().take(3).filter(|(p, _)| *p >= floor);
                if *none {
                    -i64::from(r.first().is_some_and(|(p, _)| *p >= floor))
                } else {
                    i64::from(shown.clone().any(|(_, right)| *right))
                }
            })
            .sum()
    };
    middle_of_best(
        grid()
            .filter(|f| *f <= model.threshold)
            .map(|f| (f, score(f))),
    )
}

/// The middle of the values that reach the best score (the first such run).
fn middle_of_best<S: Ord + Copy>(scores: impl Iterator<Item = (f32, S)>) -> f32 {
    let scores: Vec<(f32, S)> = scores.collect();
    let Some(best) = scores.iter().map(|(_, s)| *s).max() else {
        return 0.5;
    };
    let start = scores.iter().position(|(_, s)| *s == best).unwrap_or(0);
    let len = scores[start..]
        .iter()
        .take_while(|(_, s)| *s == best)
        .count();
    scores[start + (len - 1) / 2].0
}

/// Solves `h x = g` by Gaussian elimination with partial pivoting.
// Matrix arithmetic reads best with indices.
#[allow(clippy::needless_range_loop)]
fn solve(mut h: [[f64; FEATURES]; FEATURES], mut g: [f64; FEATURES]) -> [f64; FEATURES] {
    for col in 0..FEATURES {
        let pivot = (col..FEATURES)
            .max_by(|&a, &b| h[a][col].abs().total_cmp(&h[b][col].abs()))
            .unwrap_or(col);
        h.swap(col, pivot);
        g.swap(col, pivot);
        let d = h[col][col];
        if d.abs() < 1e-300 {
            continue;
        }
        for row in col + 1..FEATURES {
            let factor = h[row][col] / d;
            if factor != 0.0 {
                for k in col..FEATURES {
                    h[row][k] -= factor * h[col][k];
                }
                g[row] -= factor * g[col];
            }
        }
    }
    let mut x = [0.0; FEATURES];
    for row in (0..FEATURES).rev() {
        let mut s = g[row];
        for k in row + 1..FEATURES {
            s -= h[row][k] * x[k];
        }
        x[row] = if h[row][row].abs() < 1e-300 {
            0.0
        } else {
            s / h[row][row]
        };
    }
    x
}

/// One bucket of a reliability table.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Bucket {
    /// The bucket's lower bound (0.0, 0.1 ... 0.9).
    pub from: f32,
    pub count: usize,
    /// Mean confidence of the answers in the bucket.
    pub confidence: f64,
    /// Share of them that were right.
    pub accuracy: f64,
}

/// A reliability table over (confidence, right) pairs in ten buckets, and the expected
/// calibration error: the count-weighted mean gap between confidence and accuracy.
pub fn reliability(answers: &[(f32, bool)]) -> (Vec<Bucket>, f64) {
    let mut buckets: Vec<Bucket> = (0..10)
        .map(|i| Bucket {
            from: i as f32 / 10.0,
            ..Bucket::default()
        })
        .collect();
    for (c, right) in answers {
        let i = ((c * 10.0) as usize).min(9);
        let b = &mut buckets[i];
        b.count += 1;
        b.confidence += f64::from(*c);
        b.accuracy += if *right { 1.0 } else { 0.0 };
    }
    let total = answers.len().max(1) as f64;
    let mut ece = 0.0;
    for b in buckets.iter_mut().filter(|b| b.count > 0) {
        b.confidence /= b.count as f64;
        b.accuracy /= b.count as f64;
        ece += b.count as f64 / total * (b.confidence - b.accuracy).abs();
    }
    (buckets, ece)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(x: f32) -> Features {
        let mut values = [0.0; FEATURES];
        values[0] = 1.0;
        values[1] = x;
        Features { values }
    }

    #[test]
    fn the_fit_learns_that_more_evidence_is_likelier_right() {
        // Evidence above 0.5 is right three times in four, below it once in four.
        let samples: Vec<Sample> = (0..40)
            .map(|i| {
                let x = (i % 10) as f32 / 10.0 + 0.05;
                let right = if x > 0.5 { i % 4 != 0 } else { i % 4 == 0 };
                Sample {
                    candidates: vec![(features(x), right)],
                    expects_none: false,
                }
            })
            .collect();
        let model = fit(&samples, &[], "test");
        assert!(model.weights["evidence"] > 0.5, "{:?}", model.weights);
        assert!(
            model.probabilities(&[features(0.9)])[0] > model.probabilities(&[features(0.1)])[0]
        );
        // Deterministic.
        assert_eq!(model, fit(&samples, &[], "test"));
    }

    #[test]
    fn feature_positions_are_named() {
        assert_eq!(FEATURE_NAMES[NAMES_OURS], "names_ours");
        assert_eq!(FEATURE_NAMES[WORDING], "wording");
        assert_eq!(FEATURE_NAMES[PATTERN], "pattern");
    }

    #[test]
    fn the_model_file_round_trips() {
        let m = model();
        let again: Model = toml::from_str(&m.to_toml()).unwrap();
        assert_eq!(&again, m);
    }

    #[test]
    fn reliability_buckets_and_error() {
        let (buckets, ece) = reliability(&[(0.95, true), (0.95, false), (0.15, false)]);
        assert_eq!(buckets[9].count, 2);
        assert!((buckets[9].accuracy - 0.5).abs() < 1e-9);
        // |0.95-0.5| * 2/3 + |0.15-0| * 1/3
        assert!((ece - (0.45 * 2.0 / 3.0 + 0.15 / 3.0)).abs() < 1e-6);
    }

    #[test]
    fn the_solver_solves() {
        let mut h = [[0.0; FEATURES]; FEATURES];
        let mut g = [0.0; FEATURES];
        for i in 0..FEATURES {
            h[i][i] = 2.0;
            g[i] = i as f64;
        }
        h[0][1] = 1.0;
        let x = solve(h, g);
        assert!((x[1] - 0.5).abs() < 1e-12);
        assert!((2.0 * x[0] + x[1]).abs() < 1e-12);
    }
}

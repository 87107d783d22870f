//! Prints the candidates the confidence model weighs for a text, with their features and
//! probabilities: what to read when an answer looks wrong. `cargo run --example features -- TEXT`
//! (or the text on stdin).

use std::io::Read;

fn main() {
    let mut text = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    if text.is_empty() || text == "-" {
        text.clear();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("features: cannot read stdin: {e}");
            std::process::exit(2);
        }
    }
    let kb = rdperr::Kb::embedded();
    let candidates = kb.candidate_features(&text);
    let features: Vec<_> = candidates.iter().map(|(_, f)| *f).collect();
    let p = rdperr::confidence::model().probabilities(&features);
    for ((id, f), p) in candidates.iter().zip(p) {
        println!("{p:.3} {id}");
        let named: Vec<String> = rdperr::confidence::FEATURE_NAMES
            .iter()
            .zip(f.values)
            .filter(|(_, v)| *v != 0.0)
            .map(|(n, v)| format!("{n}={v:.2}"))
            .collect();
        println!("      {}", named.join(" "));
    }
}

//! Look up the command-line arguments and print the same JSON document as `rdperr --json`.
//!
//! `cargo run --example json -- "The Local Security Authority cannot be contacted"`

use std::collections::BTreeMap;

fn main() {
    let query: Vec<String> = std::env::args().skip(1).collect();
    let kb = rdperr::Kb::embedded();
    let found = kb.lookup(&query.join(" "));
    let doc = rdperr::render::lookup_json(&found, &BTreeMap::new());
    println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
}

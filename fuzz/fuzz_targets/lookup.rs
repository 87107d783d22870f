//! Arbitrary bytes as a query: lookup and decode must never panic, and confidences stay in
//! [0, 1] and ordered.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let kb = rdperr::Kb::embedded();
    let found = kb.lookup(&text);
    for m in &found.matches {
        assert!((0.0..=1.0).contains(&m.confidence));
    }
    for w in found.matches.windows(2) {
        assert!(w[0].confidence >= w[1].confidence);
    }
    let _ = kb.decode(&text);
});

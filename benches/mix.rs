//! `cargo bench --bench mix`: the query mix on one thread, timed per lookup, reported as
//! median and 99th percentile (criterion reports means and medians, not tail latency).

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    // `cargo bench` passes harness flags such as --bench; this harness takes none.
    let kb = rdperr::Kb::embedded();
    let paste = common::long_paste();
    let mut mix: Vec<&str> = common::QUERIES.iter().map(|(_, q)| *q).collect();
    mix.push(&paste);
    let _ = kb.lookup("warm up");
    let rounds = 300;
    let mut times: Vec<Duration> = Vec::with_capacity(rounds * mix.len());
    for _ in 0..rounds {
        for q in &mix {
            let t = Instant::now();
            black_box(kb.lookup(black_box(q)));
            times.push(t.elapsed());
        }
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "mix of {} query kinds, {} lookups on one thread: median {:?}, p99 {:?}, max {:?}",
        mix.len(),
        times.len(),
        pct(0.5),
        pct(0.99),
        times[times.len() - 1]
    );
}

//! `cargo bench --bench lookup`: lookup latency per query kind, KB start-up, and scaling with
//! generated KBs of 100, 1,000 and 10,000 entries.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;

fn lookup_by_kind(c: &mut Criterion) {
    let kb = rdperr::Kb::embedded();
    let _ = kb.lookup("warm up the text engine");
    let mut group = c.benchmark_group("lookup");
    for (kind, query) in common::QUERIES {
        group.bench_with_input(BenchmarkId::from_parameter(kind), query, |b, q| {
            b.iter(|| kb.lookup(black_box(q)))
        });
    }
    let paste = common::long_paste();
    group.bench_function("long_paste_50KB", |b| {
        b.iter(|| kb.lookup(black_box(&paste)))
    });
    group.finish();
}

fn startup(c: &mut Criterion) {
    let mut group = c.benchmark_group("startup");
    group.sample_size(20);
    group.bench_function("load_embedded_kb", |b| {
        b.iter(|| rdperr::Kb::builder().embedded().build().unwrap())
    });
    group.bench_function("load_and_first_lookup", |b| {
        b.iter(|| {
            let kb = rdperr::Kb::builder().embedded().build().unwrap();
            kb.lookup("crendentials did not wrok")
        })
    });
    group.finish();
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling");
    group.sample_size(20);
    for size in [100, 1_000, 10_000] {
        let kb = common::generated_kb(size);
        let _ = kb.lookup("warm up");
        group.bench_with_input(BenchmarkId::new("mistyped_message", size), &kb, |b, kb| {
            b.iter(|| kb.lookup(black_box("crendentials did not wrok")))
        });
        group.bench_with_input(BenchmarkId::new("exact_message", size), &kb, |b, kb| {
            b.iter(|| {
                kb.lookup(black_box(
                    "The Local Security Authority cannot be contacted",
                ))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(3));
    targets = lookup_by_kind, startup, scaling
}
criterion_main!(benches);

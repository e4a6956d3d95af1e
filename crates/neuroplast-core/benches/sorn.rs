#![allow(missing_docs)] // criterion_group! generates undocumented functions
//! Criterion benchmarks of the SORN step at the sizes of the foundation issue.
//! `cargo bench -p neuroplast-core` (throughput is in synapses visited per step).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use neuroplast_core::sorn::{input::Input, Preset, Sorn};

fn sorn_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("sorn_step");
    for (preset, ne) in [(Preset::Delpapa2017, 200), (Preset::SornPackage, 1000)] {
        let mut net = Sorn::new(preset.params(ne), 1).unwrap();
        let mut input = Input::None;
        for _ in 0..2_000 {
            net.step(&mut input);
        }
        let synapses = net.w_ee().nnz() + net.w_ei().nnz() + net.w_ie().nnz();
        g.throughput(Throughput::Elements(synapses as u64));
        g.bench_function(BenchmarkId::new(preset.name(), ne), |b| {
            b.iter(|| net.step(&mut input))
        });
    }
    g.finish();
}

criterion_group!(benches, sorn_step);
criterion_main!(benches);

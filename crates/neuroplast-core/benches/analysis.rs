#![allow(missing_docs)] // criterion_group! generates undocumented functions
//! Criterion benchmarks of the analyses at the sizes of the SORN-science issue:
//! the avalanche report (avalanches + windowed power-law, exponential and truncated fits) of
//! a 3·10⁶-step activity series, and a logistic readout on a counting-task-sized design
//! (4 999 samples × 200 binary features, 10 classes).
//! `cargo bench -p neuroplast-core --bench analysis`

use criterion::{criterion_group, criterion_main, Criterion};
use neuroplast_core::analysis::avalanches::Threshold;
use neuroplast_core::analysis::report::avalanche_report;
use neuroplast_core::readout::{fit_logistic, Design, LogisticOptions};

/// xorshift64: a fixed pseudo-random sequence (no dependency on the engine's streams).
fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

fn avalanche_analysis(c: &mut Criterion) {
    // Activity around 20 of 200 units with correlated excursions of sd ≈ 6 (as a delpapa2017
    // run's), so that θ = 10 is crossed often: ≈ 10⁵ avalanches of many durations and sizes.
    let mut r = xorshift(0x2545_F491_4F6C_DD1D);
    let mut level = 20.0f64;
    let activity: Vec<u32> = (0..3_000_000)
        .map(|_| {
            level += ((r() % 1001) as f64 / 1000.0 - 0.5) * 8.4 + (20.0 - level) * 0.1;
            (level + (r() % 7) as f64 - 3.0).max(0.0) as u32
        })
        .collect();
    let (av, _) = avalanche_report(&activity, Threshold::HalfMean, [6, 60], [10, 1500]).unwrap();
    eprintln!("benchmark series: {} avalanches", av.len());
    c.bench_function("avalanche_report_3e6_steps", |b| {
        b.iter(|| avalanche_report(&activity, Threshold::HalfMean, [6, 60], [10, 1500]).unwrap())
    });
}

fn logistic_readout(c: &mut Criterion) {
    let (n, d, k) = (4_999, 200, 10u32);
    let mut r = xorshift(7);
    let mut data = vec![0.0; n * d];
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let label = (r() % u64::from(k)) as u32;
        // ≈ 10 % active units, a label-specific pool of 10 always on.
        for j in 0..d {
            let pool = j / 20 == label as usize && j % 20 < 10;
            if pool || r() % 10 == 0 {
                data[i * d + j] = 1.0;
            }
        }
        labels.push(label);
    }
    let x = Design::new(n, d, data).unwrap();
    c.bench_function("logistic_readout_4999x200_10_classes", |b| {
        b.iter(|| fit_logistic(&x, &labels, &LogisticOptions::default()).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = avalanche_analysis, logistic_readout
}
criterion_main!(benches);

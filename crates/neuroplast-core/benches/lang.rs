#![allow(missing_docs)] // criterion_group! generates undocumented functions
//! The model language against the built-in kernels:
//! `cargo bench -p neuroplast-core --bench lang`.
//!
//! * `if_cond_exp_4000x100k`: 100 000 steps of 4000 IF_cond_exp neurons with COBA's
//!   parameters (i_offset = 0.2 nA drives them to fire; initial v spread over [−60, −50] mV),
//!   the built-in `IfCondExp::step` against the same model written as equations
//!   (`examples/models/IF_cond_exp.toml`), f64 and f32. The ratio of the medians is the
//!   figure in `docs/model-language.md`.
//! * `prep`: parse + check + plan + lower + build of that model for 4000 neurons.

use std::collections::BTreeMap;

use criterion::{criterion_group, criterion_main, Criterion};
use neuroplast_core::lang::{ModelSource, NeuronExec, NeuronModelDef, Precision};
use neuroplast_core::spiking::neuron::{IfCondExp, IfCondExpParams, NeuronModel};
use rand::{Rng as _, SeedableRng as _};

const N: usize = 4000;
const STEPS: usize = 100_000;

fn source() -> ModelSource {
    let path = format!(
        "{}/../../examples/models/IF_cond_exp.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    #[derive(serde::Deserialize)]
    struct File {
        models: BTreeMap<String, ModelSource>,
    }
    let f: File = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    f.models["IF_cond_exp"].clone()
}

/// COBA's neuron parameters (spiking::benchmarks).
const COBA: [(&str, f64); 11] = [
    ("cm", 0.2),
    ("tau_m", 20.0),
    ("tau_refrac", 5.0),
    ("tau_syn_E", 5.0),
    ("tau_syn_I", 10.0),
    ("e_rev_E", 0.0),
    ("e_rev_I", -80.0),
    ("v_thresh", -50.0),
    ("v_reset", -60.0),
    ("v_rest", -60.0),
    ("i_offset", 0.2),
];

fn initial_v() -> Vec<f64> {
    let mut r = neuroplast_core::rng::Rng::seed_from_u64(3);
    (0..N).map(|_| r.random_range(-60.0..-50.0)).collect()
}

fn builtin() -> IfCondExp {
    let p = IfCondExpParams {
        cm: 0.2,
        tau_m: 20.0,
        tau_refrac: 5.0,
        tau_syn_E: 5.0,
        tau_syn_I: 10.0,
        e_rev_E: 0.0,
        e_rev_I: -80.0,
        v_thresh: -50.0,
        v_reset: -60.0,
        v_rest: -60.0,
        i_offset: 0.2,
        ..Default::default()
    };
    let mut m = IfCondExp::new(&p, N, 0.1).unwrap();
    m.v = initial_v();
    m
}

fn equations(def: &NeuronModelDef, precision: Precision) -> NeuronExec {
    let params: Vec<(&str, &[f64])> = COBA
        .iter()
        .map(|(k, v)| (*k, std::slice::from_ref(v)))
        .collect();
    let rng = neuroplast_core::rng::Rng::seed_from_u64(1);
    let mut e = NeuronExec::with_params(def, N, 0.1, precision, rng, &params).unwrap();
    e.set("v", &initial_v()).unwrap();
    e
}

fn kernels(c: &mut Criterion) {
    let def = NeuronModelDef::from_source("IF_cond_exp", &source()).unwrap();
    let mut g = c.benchmark_group("if_cond_exp_4000x100k");
    g.sample_size(10);
    let mut spikes = Vec::with_capacity(N);
    g.bench_function("builtin_f64", |b| {
        b.iter_batched_ref(
            builtin,
            |m| {
                for _ in 0..STEPS {
                    spikes.clear();
                    m.step(&mut [], &[], &mut spikes);
                }
            },
            criterion::BatchSize::LargeInput,
        )
    });
    for (name, p) in [
        ("equations_f64", Precision::F64),
        ("equations_f32", Precision::F32),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched_ref(
                || equations(&def, p),
                |m| {
                    for _ in 0..STEPS {
                        spikes.clear();
                        m.step(&[], &mut spikes);
                    }
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn prep(c: &mut Criterion) {
    let src = source();
    c.bench_function("prep_if_cond_exp_4000", |b| {
        b.iter(|| {
            let def = NeuronModelDef::from_source("IF_cond_exp", &src).unwrap();
            equations(&def, Precision::F64)
        })
    });
}

criterion_group!(benches, kernels, prep);
criterion_main!(benches);

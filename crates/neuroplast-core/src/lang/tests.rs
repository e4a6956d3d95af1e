//! Tests of the language as a whole that need the crate's internals (checkpoints through
//! CBOR, as the checkpoints write them).

use std::collections::BTreeMap;

use rand::{Rng as _, SeedableRng as _};

use super::*;
use crate::rng::Rng;

pub(super) fn models(text: &str) -> BTreeMap<String, ModelSource> {
    #[derive(serde::Deserialize)]
    struct File {
        models: BTreeMap<String, ModelSource>,
    }
    toml::from_str::<File>(text).unwrap().models
}

pub(super) fn roundtrip<T: serde::Serialize + serde::de::DeserializeOwned>(x: &T) -> T {
    let mut bytes = Vec::new();
    ciborium::into_writer(x, &mut bytes).unwrap();
    ciborium::from_reader(bytes.as_slice()).unwrap()
}

/// The SORF notebook's `homeo_stdp` (`examples/sorf_equations.toml`).
pub(super) fn homeo_source() -> ModelSource {
    models(include_str!("../../../../examples/sorf_equations.toml"))["homeo_stdp"].clone()
}

fn noisy_lif() -> NeuronModelDef {
    let mut src = ModelSource::brian2(
        "dv/dt = (El - v)/tau + sigma*sqrt(2/tau)*xi : volt (unless refractory)\ndge/dt = -ge/taue : volt",
    );
    src.parameters = "El = -55*mV\ntau = 10*ms\ntaue = 5*ms\nsigma = 4*mV".into();
    src.threshold = Some("v > -50*mV".into());
    src.reset = Some("v = -60*mV".into());
    src.refractory = Some("2*ms".into());
    src.init = Some("v = -60*mV + rand()*10*mV".into());
    NeuronModelDef::from_source("noisy", &src).unwrap()
}

fn run(e: &mut NeuronExec, steps: usize, spikes: &mut Vec<(usize, u32)>) {
    let mut s = Vec::new();
    let n = e.len();
    for k in 0..steps {
        s.clear();
        if let Some(mut t) = e.target_mut("ge") {
            t.add(k % n, 1.0);
        }
        e.step(&[], &mut s);
        spikes.extend(s.iter().map(|&i| (k, i)));
    }
}

/// A population saved mid-run (CBOR, as checkpoints are) continues bit for bit like the
/// original: state, refractory counters, the random stream (noise) and per-neuron
/// parameters.
#[test]
fn neuron_checkpoint_resumes_bit_exactly() {
    let def = noisy_lif();
    for p in [Precision::F64, Precision::F32] {
        let mut a = NeuronExec::new(&def, 300, 0.1, p, Rng::seed_from_u64(4)).unwrap();
        let taus: Vec<f64> = (0..300).map(|i| 8.0 + (i % 7) as f64).collect();
        a.set_param("tau", &taus).unwrap();
        let mut sa = Vec::new();
        run(&mut a, 500, &mut sa);
        let mut b: NeuronExec = roundtrip(&a);
        assert_eq!(b.steps(), 500);
        let (mut s1, mut s2) = (Vec::new(), Vec::new());
        run(&mut a, 700, &mut s1);
        run(&mut b, 700, &mut s2);
        assert!(s1.len() > 100, "{p:?}: {} spikes", s1.len());
        assert_eq!(s1, s2, "{p:?}");
        for name in ["v", "ge"] {
            let (x, y) = (a.get(name).unwrap(), b.get(name).unwrap());
            assert!(
                x.iter().zip(&y).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{p:?} {name}"
            );
        }
        assert_eq!(a.refractory(), b.refractory());
    }
}

/// Same seed, same bits; another seed, other numbers (rand() in init, xi in the equations).
#[test]
fn runs_are_deterministic() {
    let def = noisy_lif();
    let go = |seed| {
        let mut e =
            NeuronExec::new(&def, 50, 0.1, Precision::F64, Rng::seed_from_u64(seed)).unwrap();
        let mut s = Vec::new();
        run(&mut e, 400, &mut s);
        (s, e.get("v").unwrap())
    };
    let (a, b, c) = (go(1), go(1), go(2));
    assert_eq!(a.0, b.0);
    assert!(a
        .1
        .iter()
        .zip(&b.1)
        .all(|(x, y)| x.to_bits() == y.to_bits()));
    assert_ne!(a.1, c.1);
}

/// White noise with Euler–Maruyama: an Ornstein–Uhlenbeck process reaches its stationary
/// variance σ² (2000 neurons, 400 ms after 100 ms of transient).
#[test]
fn euler_maruyama_ou_variance() {
    let mut src = ModelSource::brian2("dx/dt = -x/tau + sigma*sqrt(2/tau)*xi : 1");
    src.parameters = "tau = 5*ms\nsigma = 0.5".into();
    let def = NeuronModelDef::from_source("ou", &src).unwrap();
    assert_eq!(def.methods()[0].1, Method::Euler);
    let n = 2000;
    let mut e = NeuronExec::new(&def, n, 0.05, Precision::F64, Rng::seed_from_u64(9)).unwrap();
    let mut s = Vec::new();
    for _ in 0..2000 {
        e.step(&[], &mut s);
    }
    let mut var = 0.0;
    let mut count = 0.0;
    for _ in 0..8000 {
        e.step(&[], &mut s);
        let x = e.state_f64("x").unwrap();
        var += x.iter().map(|x| x * x).sum::<f64>() / n as f64;
        count += 1.0;
    }
    var /= count;
    // Euler–Maruyama's stationary variance is σ²/(1 − dt/(2τ))
    let want = 0.25 / (1.0 - 0.05 / 10.0);
    assert!(
        (var - want).abs() < 0.03 * want,
        "variance {var}, want {want}"
    );
}

/// `exact` with a per-neuron time constant: each neuron gets its own propagator, equal to a
/// population where that value is the scalar.
#[test]
fn per_neuron_parameters_in_exact_propagators() {
    let text = include_str!("../../../../examples/models/IF_curr_exp.toml");
    let def = NeuronModelDef::from_source("IF_curr_exp", &models(text)["IF_curr_exp"]).unwrap();
    let taus = [10.0, 20.0, 35.0];
    let mut all = NeuronExec::with_params(
        &def,
        3,
        0.1,
        Precision::F64,
        Rng::seed_from_u64(1),
        &[("tau_m", &taus)],
    )
    .unwrap();
    let mut one: Vec<NeuronExec> = taus
        .iter()
        .map(|t| {
            NeuronExec::with_params(
                &def,
                3,
                0.1,
                Precision::F64,
                Rng::seed_from_u64(1),
                &[("tau_m", &[*t])],
            )
            .unwrap()
        })
        .collect();
    let mut r = Rng::seed_from_u64(3);
    let (mut s, mut s1) = (Vec::new(), Vec::new());
    for _ in 0..3000 {
        let c: Vec<f64> = (0..3).map(|_| r.random_range(0.0..2.0)).collect();
        all.step(&c, &mut s);
        for e in one.iter_mut() {
            e.step(&c, &mut s1);
        }
        let v = all.get("v").unwrap();
        for k in 0..3 {
            assert_eq!(v[k].to_bits(), one[k].get("v").unwrap()[k].to_bits());
        }
    }
    assert!(!s.is_empty());
    assert_eq!(all.param("tau_m").unwrap(), taus.to_vec());
}

/// f32 runs the same program in single precision: IF_cond_exp stays within 1e-3 mV of f64
/// for 200 ms of regular firing.
#[test]
fn f32_follows_f64() {
    let text = include_str!("../../../../examples/models/IF_cond_exp.toml");
    let def = NeuronModelDef::from_source("IF_cond_exp", &models(text)["IF_cond_exp"]).unwrap();
    let params: [(&str, &[f64]); 3] =
        [("i_offset", &[0.8]), ("tau_refrac", &[2.0]), ("cm", &[0.5])];
    let mut a =
        NeuronExec::with_params(&def, 4, 0.1, Precision::F64, Rng::seed_from_u64(1), &params)
            .unwrap();
    let mut b =
        NeuronExec::with_params(&def, 4, 0.1, Precision::F32, Rng::seed_from_u64(1), &params)
            .unwrap();
    assert!(b.state_f32("v").is_some() && b.state_f64("v").is_none());
    let (mut sa, mut sb) = (Vec::new(), Vec::new());
    let mut max_dv: f64 = 0.0;
    for _ in 0..2000 {
        a.step(&[], &mut sa);
        b.step(&[], &mut sb);
        let (x, y) = (a.get("v").unwrap(), b.get("v").unwrap());
        if sa.len() == sb.len() {
            max_dv = max_dv.max((x[0] - y[0]).abs());
        }
    }
    assert!(sa.len() > 20);
    assert_eq!(sa.len(), sb.len());
    assert!(max_dv < 1e-3, "{max_dv}");
}

/// A synapse population saved mid-run continues bit for bit (weights, event-driven traces,
/// last-update and last-spike steps).
#[test]
fn synapse_checkpoint_resumes_bit_exactly() {
    let text = include_str!("../../../../examples/models/pair_stdp.toml");
    let def = SynapseModelDef::from_source("pair_stdp", &models(text)["pair_stdp"]).unwrap();
    let m = 200u32;
    let pre: Vec<u32> = (0..m).map(|s| s % 20).collect();
    let post: Vec<u32> = (0..m).map(|s| s / 20).collect();
    let mut a = SynapseExec::new(
        &def,
        &pre,
        &post,
        10,
        &[],
        0.1,
        Precision::F64,
        Rng::seed_from_u64(1),
        &[],
    )
    .unwrap();
    a.set("w", &[0.005]).unwrap();
    let drive = |syn: &mut SynapseExec, from: u64, to: u64, seed: u64| {
        let mut r = Rng::seed_from_u64(seed);
        let mut out = 0.0;
        for t in from..to {
            let batch: Vec<u32> = (0..m).filter(|_| r.random_bool(0.01)).collect();
            let posts: Vec<u32> = (0..10).filter(|_| r.random_bool(0.02)).collect();
            syn.on_arrivals(t, &batch, &[], |_, _, w| out += w);
            syn.on_post_spikes(t, &posts, &[], |_, _, _| {});
        }
        out
    };
    drive(&mut a, 0, 3000, 5);
    let mut b: SynapseExec = roundtrip(&a);
    let (oa, ob) = (drive(&mut a, 3000, 6000, 6), drive(&mut b, 3000, 6000, 6));
    assert_eq!(oa.to_bits(), ob.to_bits());
    a.flush(6000);
    b.flush(6000);
    for name in ["w", "Apre", "Apost"] {
        let (x, y) = (a.get(name).unwrap(), b.get(name).unwrap());
        assert!(
            x.iter().zip(&y).all(|(x, y)| x.to_bits() == y.to_bits()),
            "{name}"
        );
    }
    let w = a.get("w").unwrap();
    assert!(w.iter().any(|&x| x != 0.005) && w.iter().all(|&x| (0.0..=0.01).contains(&x)));
}

/// A winner-take-all neuron written with population reductions: only the neuron holding the
/// population's largest potential after this step's integration may fire, and the reset sees
/// the sum and mean of the integrated potentials. Checked every step against a twin without
/// threshold (the same integration program) fed the same state.
#[test]
fn population_reductions_see_this_steps_integrated_values() {
    let mut src =
        ModelSource::brian2("dv/dt = (I - v)/tau : 1 (unless refractory)\nI : 1\ns : 1\nm : 1");
    src.parameters = "tau = 10*ms".into();
    let twin = NeuronModelDef::from_source("twin", &src).unwrap();
    src.threshold = Some("v > 1 and v == max(v)".into());
    src.reset = Some("v = 0\ns = sum(v)\nm = mean(v)".into());
    src.refractory = Some("2*ms".into());
    let wta = NeuronModelDef::from_source("wta", &src).unwrap();
    let n = 37;
    let drive: Vec<f64> = (0..n)
        .map(|k| 1.5 + ((k * 7919) % 37) as f64 / 20.0)
        .collect();
    for p in [Precision::F64, Precision::F32] {
        let mut a = NeuronExec::new(&wta, n, 0.5, p, Rng::seed_from_u64(1)).unwrap();
        let mut b = NeuronExec::new(&twin, n, 0.5, p, Rng::seed_from_u64(1)).unwrap();
        a.set("I", &drive).unwrap();
        b.set("I", &drive).unwrap();
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        let mut winners = std::collections::BTreeSet::new();
        let mut refractory = vec![0usize; n];
        for _ in 0..400 {
            b.set("v", &a.get("v").unwrap()).unwrap();
            sb.clear();
            b.step(&[], &mut sb);
            let v = b.get("v").unwrap();
            // the twin integrates everyone; the refractory keep their potential
            let before = a.get("v").unwrap();
            let v: Vec<f64> = (0..n)
                .map(|k| if refractory[k] > 0 { before[k] } else { v[k] })
                .collect();
            sa.clear();
            a.step(&[], &mut sa);
            let max = v.iter().copied().fold(v[0], f64::max);
            let expect: Vec<u32> = (0..n)
                .filter(|&k| v[k] > 1.0 && v[k] == max && refractory[k] == 0)
                .map(|k| k as u32)
                .collect();
            assert_eq!(sa, expect, "{p:?}");
            refractory.iter_mut().for_each(|r| *r = r.saturating_sub(1));
            let (s, m) = (a.get("s").unwrap(), a.get("m").unwrap());
            let sum = match p {
                Precision::F64 => v.iter().sum::<f64>(),
                Precision::F32 => v.iter().fold(0f32, |s, &x| s + x as f32) as f64,
            };
            let mean = match p {
                Precision::F64 => sum / n as f64,
                Precision::F32 => (sum as f32 / n as f32) as f64,
            };
            for &k in &sa {
                winners.insert(k);
                // Brian2's rule: 2 ms at dt = 0.5 ms holds 3 steps after the spike step
                refractory[k as usize] = 3;
                assert_eq!((s[k as usize], m[k as usize]), (sum, mean), "{p:?}");
            }
        }
        assert!(winners.len() >= 5, "{p:?}: {winners:?}");
    }
}

#[test]
fn population_reductions_are_refused_where_they_cannot_run() {
    let base = || {
        let mut src = ModelSource::brian2("dv/dt = -v/tau : 1\nw : 1");
        src.parameters = "tau = 10*ms".into();
        src
    };
    let err = |src: &ModelSource| {
        NeuronModelDef::from_source("m", src)
            .unwrap_err()
            .to_string()
    };
    let mut ode = ModelSource::brian2("dv/dt = (max(v) - v)/tau : 1");
    ode.parameters = "tau = 10*ms".into();
    let e = err(&ode);
    assert!(e.contains("population reduction, not allowed here"), "{e}");
    let mut arg = base();
    arg.threshold = Some("v > 0.5*max(2*v)".into());
    let e = err(&arg);
    assert!(
        e.contains("is not a state variable") && e.contains("v, w"),
        "{e}"
    );
    let mut sub = ModelSource::brian2("dv/dt = -v/tau : 1\nx = max(v) : 1");
    sub.parameters = "tau = 10*ms".into();
    sub.threshold = Some("v > x".into());
    let e = err(&sub);
    assert!(e.contains("inside a function or subexpression"), "{e}");
    let mut until = base();
    until.threshold = Some("v == max(v)".into());
    until.refractory = Some("v > 0".into());
    let e = NeuronExec::new(
        &NeuronModelDef::from_source("m", &until).unwrap(),
        3,
        0.1,
        Precision::F64,
        Rng::seed_from_u64(1),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("refractory condition together with population reductions"),
        "{e}"
    );
    // two-argument max is the elementwise one, anywhere
    let mut two = base();
    two.threshold = Some("max(v, w) > 1".into());
    NeuronModelDef::from_source("m", &two).unwrap();
}

/// The conductance-based Euler step fuses to one pass: the conductance sum with its update,
/// the two conductances' decays and the refractory gate (freeze, threshold, store, counter)
/// it carries (`DfStep` with `gate`) — from eight before the fusions. With a per-neuron
/// `i_offset` the sum's update still fuses (`i_offset + I_ext` its own pass before it).
#[test]
fn cond_exp_step_is_one_fused_pass() {
    let text = include_str!("../../../../examples/models/IF_cond_exp.toml");
    let def = NeuronModelDef::from_source("IF_cond_exp", &models(text)["IF_cond_exp"]).unwrap();
    let rng = || Rng::seed_from_u64(1);
    let pop = NeuronExec::new(&def, 4, 0.1, Precision::F64, rng()).unwrap();
    let listing = pop.program_listing();
    let main = main_block(&listing);
    assert_eq!(main.len(), 1, "{listing}");
    assert!(main[0].starts_with("DfStep"), "{listing}");
    // both decays folded in, the gate carried
    assert_eq!(decays_in(&listing), 2, "{listing}");
    assert!(main[0].contains("gate: Some(GateOp"), "{listing}");
    assert_eq!(pop.program_len(), 3, "{listing}");
    let offsets = [0.1, 0.2, 0.3, 0.4];
    let params = [("i_offset", &offsets[..])];
    let per_neuron = NeuronExec::with_params(&def, 4, 0.1, Precision::F64, rng(), &params).unwrap();
    let listing = per_neuron.program_listing();
    let main = main_block(&listing);
    assert_eq!(main.len(), 2, "{listing}");
    assert!(main[0].starts_with("Bin { op: Add") && main[1].starts_with("DfStep"));
    assert!(main[1].contains("gate: Some(GateOp"), "{listing}");
}

/// The main block of a program listing (the lines before the reset block's header).
fn main_block(listing: &str) -> Vec<&str> {
    listing
        .lines()
        .take_while(|l| !l.starts_with("--"))
        .collect()
}

/// Entries of the first `DfStep`'s `decay` list in a program listing.
fn decays_in(listing: &str) -> usize {
    let list = listing.split("decay: [").nth(1).unwrap_or("");
    let list = &list[..list.find(']').unwrap_or(0)];
    list.matches('(').count() / 2
}

/// A conductance's decay folds into the sum's update only where nothing in between reads the
/// conductance: with `w` (which reads `g_e`, and is integrated between `v`'s update and the
/// decays), `g_e` keeps its own pass and the update takes its general path with one decay;
/// without `w`, both fold (the fast path). `w` does not act back on `v`: `v`, `g_e` and `g_i`
/// are the same bits every step in both.
#[test]
fn decay_folds_only_where_nothing_reads_the_conductance_between() {
    let def = |with_w: bool| {
        let v = "dv/dt = (gl*(El - v) + g_e*(Ee - v) + g_i*(Ei - v) + I0) / C : volt (unless refractory)";
        let w = "dw/dt = (g_e*(1*mV/nS) - w) / tauw : volt";
        let g = "dg_e/dt = -g_e/taue : siemens\ndg_i/dt = -g_i/taui : siemens";
        let eqs = if with_w {
            format!("{v}\n{g}\n{w}")
        } else {
            format!("{v}\n{g}")
        };
        let mut src = ModelSource::brian2(&eqs);
        src.parameters = "gl = 10*nS\nEl = -60*mV\nEe = 0*mV\nEi = -80*mV\nI0 = 0.25*nA\n\
                          C = 200*pF\ntaue = 5*ms\ntaui = 10*ms\ntauw = 20*ms"
            .into();
        src.threshold = Some("v > -50*mV".into());
        src.reset = Some("v = -60*mV".into());
        src.refractory = Some("2*ms".into());
        src.init = Some("v = -60*mV + rand()*10*mV\ng_e = rand()*20*nS\ng_i = rand()*20*nS".into());
        NeuronModelDef::from_source("wlif", &src).unwrap()
    };
    let new = |d: &NeuronModelDef| {
        NeuronExec::new(d, 300, 0.1, Precision::F64, Rng::seed_from_u64(2)).unwrap()
    };
    let (mut a, mut b) = (new(&def(true)), new(&def(false)));
    assert_eq!(
        decays_in(&a.program_listing()),
        1,
        "{}",
        a.program_listing()
    );
    assert_eq!(
        decays_in(&b.program_listing()),
        2,
        "{}",
        b.program_listing()
    );
    let (mut sa, mut sb, mut total) = (Vec::new(), Vec::new(), 0);
    for step in 0..2000 {
        sa.clear();
        sb.clear();
        a.step(&[], &mut sa);
        b.step(&[], &mut sb);
        assert_eq!(sa, sb, "step {step}");
        total += sa.len();
        for var in ["v", "g_e", "g_i"] {
            let (x, y) = (a.get(var).unwrap(), b.get(var).unwrap());
            assert!(
                x.iter().zip(&y).all(|(p, q)| p.to_bits() == q.to_bits()),
                "{var} at step {step}"
            );
        }
    }
    assert!(total > 300, "{total} spikes");
    assert!(a.get("w").unwrap().iter().all(|&w| w > 0.0));
}

/// `homeo_stdp` of the SORF notebook with and without its `: semiglobal` flags: computing `R`
/// and `K` once per postsynaptic neuron (then read by every synapse) gives every weight and
/// trace bit for bit as computing them per synapse, in both precisions and through a
/// checkpoint; `R` holds one value per postsynaptic neuron, the per-synapse copy's value at
/// each synapse.
#[test]
fn semiglobal_variables_per_postsynaptic_neuron_equal_per_synapse() {
    let text = include_str!("../../../../examples/sorf_equations.toml");
    let src = models(text)["homeo_stdp"].clone();
    let mut plain_src = src.clone();
    plain_src.equations = src.equations.replace(": semiglobal", "");
    assert_ne!(plain_src.equations, src.equations);
    let semi = SynapseModelDef::from_source("homeo_stdp", &src).unwrap();
    let plain = SynapseModelDef::from_source("homeo_stdp", &plain_src).unwrap();
    let (m, n_post) = (360u32, 9usize);
    let pre: Vec<u32> = (0..m).map(|s| (s * 7) % 40).collect();
    let post: Vec<u32> = (0..m).map(|s| (s * 5) % n_post as u32).collect();
    for precision in [Precision::F64, Precision::F32] {
        let make = |def: &SynapseModelDef| {
            let mut e = SynapseExec::new(
                def,
                &pre,
                &post,
                n_post,
                &[],
                1.0,
                precision,
                Rng::seed_from_u64(3),
                &[],
            )
            .unwrap();
            e.set(
                "w",
                &(0..m).map(|s| 0.01 * f64::from(s % 11)).collect::<Vec<_>>(),
            )
            .unwrap();
            // every step literally (the closed form is compared in the next test)
            e.set_closed_form(false);
            e
        };
        let (mut a, mut b) = (make(&semi), make(&plain));
        assert!(a.program_listing().contains("per postsynaptic neuron"));
        assert!(!b.program_listing().contains("per postsynaptic neuron"));
        // the network's order within a step (plasticity/equations.rs)
        let drive = |syn: &mut SynapseExec, from: u64, to: u64| {
            let mut r = Rng::seed_from_u64(from);
            let mut out = 0.0;
            for t in from..to {
                let rates: Vec<f64> = (0..n_post)
                    .map(|j| 2.0 * j as f64 + r.random::<f64>() * 5.0)
                    .collect();
                let values = [StateRef::F64(&rates)];
                let batch: Vec<u32> = (0..m).filter(|_| r.random_bool(0.02)).collect();
                let posts: Vec<u32> = (0..n_post as u32).filter(|_| r.random_bool(0.03)).collect();
                syn.on_arrivals(t, &batch, &values, |_, _, w| out += w);
                syn.mark_post_spikes(t, &posts);
                syn.per_step(t, &values);
                syn.on_post_spikes(t, &posts, &values, |_, _, _| {});
            }
            out
        };
        let same = |a: &SynapseExec, b: &SynapseExec| {
            for name in ["w", "ltp", "ltd", "stdp"] {
                let (x, y) = (a.get(name).unwrap(), b.get(name).unwrap());
                assert!(
                    x.iter().zip(&y).all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{name} ({precision:?})"
                );
            }
            for name in ["R", "K"] {
                let (per_post, per_syn) = (a.get(name).unwrap(), b.get(name).unwrap());
                assert_eq!(per_post.len(), n_post);
                assert_eq!(per_syn.len(), m as usize);
                for (s, &j) in post.iter().enumerate() {
                    assert_eq!(
                        per_post[j as usize].to_bits(),
                        per_syn[s].to_bits(),
                        "{name}"
                    );
                }
            }
        };
        let (oa, ob) = (drive(&mut a, 0, 1500), drive(&mut b, 0, 1500));
        assert_eq!(oa.to_bits(), ob.to_bits());
        same(&a, &b);
        let w0 = b.get("w").unwrap();
        assert!(w0
            .iter()
            .zip(0..m)
            .any(|(&w, s)| w != 0.01 * f64::from(s % 11) && w > 0.0));
        let mut c: SynapseExec = roundtrip(&a);
        drive(&mut a, 1500, 3000);
        drive(&mut b, 1500, 3000);
        drive(&mut c, 1500, 3000);
        same(&a, &b);
        same(&c, &b);
    }
}

/// What a semiglobal variable may not do, each refused at its line with what is allowed.
#[test]
fn semiglobal_errors_name_the_line() {
    let model = |equations: &str, post_spike: &str| {
        let mut src = homeo_source();
        src.equations = equations.into();
        src.post_spike = Some(post_spike.into());
        SynapseModelDef::from_source("bad", &src)
    };
    let ok = "R = post.r : semiglobal\nw += 0.0 * R\ntau_plus * dltp/dt = -ltp : exponential\ntau_minus * dltd/dt = -ltd : exponential";
    assert!(model(ok, "ltd = A_minus").is_ok());
    for (eqs, post_spike, says) in [
        ("R = post.r * w : semiglobal\nw += 0.0 * R\ntau_plus * dltp/dt = -ltp\ntau_minus * dltd/dt = -ltd", "ltd = A_minus", "reads the per-synapse variable `w`"),
        ("R = post.r + t_pre : semiglobal\nw += 0.0 * R\ntau_plus * dltp/dt = -ltp\ntau_minus * dltd/dt = -ltd", "ltd = A_minus", "reads `t_pre`"),
        ("R = post.r : semiglobal\nw += 0.0 * R\ntau_plus * dltp/dt = -ltp\ntau_minus * dltd/dt = -ltd", "R = 0.0", "only its equation sets it"),
        ("R = post.r\nw += 0.0 * R : semiglobal\ntau_plus * dltp/dt = -ltp\ntau_minus * dltd/dt = -ltd", "ltd = A_minus", "the weight `w` is semiglobal"),
        ("R = post.r : semiglobal\nw += 0.0 * R\ntau_plus * dltp/dt = -ltp : semiglobal, event-driven\ntau_minus * dltd/dt = -ltd", "ltd = A_minus", "semiglobal and event-driven"),
    ] {
        let e = model(eqs, post_spike).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
        assert!(e.contains('^'), "{e}");
    }
    // a parameter read by a semiglobal variable cannot be given per synapse
    let mut src = homeo_source();
    src.equations = "R = post.r * T : semiglobal\nw += 0.0 * R\ntau_plus * dltp/dt = -ltp\ntau_minus * dltd/dt = -ltd".into();
    let def = SynapseModelDef::from_source("bad", &src).unwrap();
    let per_syn = [1.0, 2.0];
    let e = SynapseExec::new(
        &def,
        &[0, 1],
        &[0, 0],
        1,
        &[],
        1.0,
        Precision::F64,
        Rng::seed_from_u64(1),
        &[("T", &per_syn)],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("`T` has one value per synapse") && e.contains("semiglobal `R`"),
        "{e}"
    );
}

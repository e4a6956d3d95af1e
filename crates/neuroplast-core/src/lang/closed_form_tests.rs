//! Tests of the per-step synapse equations in closed form between events
//! (`synapse/lazy/`): against the literal per-step program, across checkpoints, and what
//! their state costs.

use rand::{Rng as _, SeedableRng as _};

use super::tests::{homeo_source, roundtrip};
use super::*;
use crate::rng::Rng;

/// A projection of `def` in `f64`, `m` synapses (`pre = s mod 30`, `post = s mod n_post`,
/// delay 1 step of 1 ms), with the closed form on or off.
fn projection(
    def: &SynapseModelDef,
    m: u32,
    n_post: u32,
    params: &[(&str, &[f64])],
    closed: bool,
) -> SynapseExec {
    let pre: Vec<u32> = (0..m).map(|s| s % 30).collect();
    let post: Vec<u32> = (0..m).map(|s| s % n_post).collect();
    let delays = vec![1u32; m as usize];
    let mut e = SynapseExec::new(
        def,
        &pre,
        &post,
        n_post as usize,
        &delays,
        1.0,
        Precision::F64,
        Rng::seed_from_u64(3),
        params,
    )
    .unwrap();
    e.set_closed_form(closed);
    e
}

/// `homeo_stdp`'s per-step equations in closed form between events follow the per-step
/// program: the same arrivals (delays 1–3 steps), postsynaptic spikes and piecewise-constant
/// rates (as the network's rate window gives them), weights against both bounds, in `f64` and
/// `f32`; after each flush every variable is within rounding of the per-step program's, and so
/// are the delivered weights. A stretch of steps not run (a freeze) is skipped by both, and a
/// checkpoint mid-run goes on bit-identically.
#[test]
fn closed_form_per_step_equations_follow_the_per_step_program() {
    let src = homeo_source();
    let mut bounded = src.clone();
    bounded.equations = src.equations.replace("max=10.0", "max=0.6");
    assert_ne!(bounded.equations, src.equations);
    let (m, n_post) = (400u32, 8usize);
    let pre: Vec<u32> = (0..m).map(|s| (s * 7) % 50).collect();
    let post: Vec<u32> = (0..m).map(|s| (s * 3) % n_post as u32).collect();
    let delays: Vec<u32> = (0..m).map(|s| 1 + s % 3).collect();
    // a short T and a strong β: K and the STDP term large; LTD stronger than LTP drives the
    // weights to the lower bound, LTP stronger than LTD to the upper one
    let (short_t, strong_beta, strong) = ([200.0], [4000.0], [1e-4]);
    let ltd: [(&str, &[f64]); 3] = [
        ("T", &short_t),
        ("beta", &strong_beta),
        ("A_minus", &strong),
    ];
    let ltp: [(&str, &[f64]); 3] = [("T", &short_t), ("beta", &strong_beta), ("A_plus", &strong)];
    for (source, params, precision, tol) in [
        (&src, &ltd, Precision::F64, 1e-9),
        (&bounded, &ltp, Precision::F64, 1e-9),
        (&bounded, &ltp, Precision::F32, 2e-3),
    ] {
        let def = SynapseModelDef::from_source("homeo_stdp", source).unwrap();
        let make = |closed: bool| {
            let mut e = SynapseExec::new(
                &def,
                &pre,
                &post,
                n_post,
                &delays,
                1.0,
                precision,
                Rng::seed_from_u64(3),
                params,
            )
            .unwrap();
            let w0: Vec<f64> = (0..m).map(|s| 0.06 * f64::from(s % 11)).collect();
            e.set("w", &w0).unwrap();
            e.set_closed_form(closed);
            assert_eq!(e.closed_form(), closed);
            e
        };
        let (mut a, mut b) = (make(true), make(false));
        assert!(a
            .program_listing()
            .contains("closed form between events: `w` affine in itself and the traces [ltp, ltd], 2 branch(es)"));
        // the network's order within a step (plasticity/equations.rs); rates near the target
        // (where K is largest) change now and then, as a sliding window's do
        let drive = |syn: &mut SynapseExec, from: u64, to: u64| {
            let mut r = Rng::seed_from_u64(from);
            let mut rates = vec![0.0; n_post];
            let mut out = 0.0;
            for t in from..to {
                for x in rates.iter_mut() {
                    if r.random_bool(0.02) {
                        *x = 8.0 + (r.random::<f64>() * 4.0).floor();
                    }
                }
                let values = [StateRef::F64(&rates)];
                let batch: Vec<u32> = (0..m).filter(|_| r.random_bool(0.02)).collect();
                let posts: Vec<u32> = (0..n_post as u32).filter(|_| r.random_bool(0.02)).collect();
                syn.on_arrivals(t, &batch, &values, |_, _, w| out += w);
                syn.mark_post_spikes(t, &posts);
                syn.per_step(t, &values);
                syn.on_post_spikes(t, &posts, &values, |_, _, _| {});
            }
            out
        };
        let close = |a: &mut SynapseExec, b: &mut SynapseExec, t: u64| {
            a.flush(t);
            b.flush(t);
            for name in ["w", "ltp", "ltd", "stdp", "R", "K"] {
                let (x, y) = (a.get(name).unwrap(), b.get(name).unwrap());
                let scale = y.iter().fold(0.0f64, |s, v| s.max(v.abs())).max(1e-300);
                for (s, (x, y)) in x.iter().zip(&y).enumerate() {
                    assert!(
                        (x - y).abs() <= tol * scale,
                        "{name}[{s}] at {t}: {x} vs {y} ({precision:?})"
                    );
                }
            }
        };
        let (oa, ob) = (drive(&mut a, 0, 1500), drive(&mut b, 0, 1500));
        assert!((oa - ob).abs() <= tol * ob.abs(), "{oa} vs {ob}");
        close(&mut a, &mut b, 1500);
        // steps 1500..1600 not run (a freeze), then on
        drive(&mut a, 1600, 2200);
        drive(&mut b, 1600, 2200);
        let mut c: SynapseExec = roundtrip(&a);
        let (oa, oc) = (drive(&mut a, 2200, 3000), drive(&mut c, 2200, 3000));
        assert_eq!(oa.to_bits(), oc.to_bits());
        for name in a.state_names() {
            let (x, y) = (a.get(&name).unwrap(), c.get(&name).unwrap());
            assert!(
                x.iter().zip(&y).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{name}"
            );
        }
        let ob = drive(&mut b, 2200, 3000);
        assert!((oa - ob).abs() <= tol * ob.abs(), "{oa} vs {ob}");
        close(&mut a, &mut b, 3000);
        let w = b.get("w").unwrap();
        let hi = if source == &bounded { 0.6 } else { 10.0 };
        let (at_lo, at_hi) = (
            w.iter().filter(|&&x| x == 0.0).count(),
            w.iter().filter(|&&x| (x - hi).abs() < 1e-6).count(),
        );
        let pinned = if hi < 1.0 { at_hi } else { at_lo };
        assert!(pinned > 100, "{at_lo} weights at 0, {at_hi} at {hi}");
    }
}

/// The synapses of a neuron marked spiking are brought up to its spike's step in the per-step
/// pass; marked and then saved, or marked with the per-step equations of the step not run (a
/// freeze), they follow the per-step program as well, and a state saved between the mark and
/// the per-step equations continues bit-identically.
#[test]
fn closed_form_marked_spikes_saved_or_without_the_per_step_equations() {
    let src = homeo_source();
    let def = SynapseModelDef::from_source("homeo_stdp", &src).unwrap();
    let (m, n_post) = (120u32, 4usize);
    let (short_t, strong_beta) = ([200.0], [4000.0]);
    let params: [(&str, &[f64]); 2] = [("T", &short_t), ("beta", &strong_beta)];
    let make = |closed: bool| {
        let mut e = projection(&def, m, n_post as u32, &params, closed);
        let w0: Vec<f64> = (0..m).map(|s| 0.5 + 0.1 * f64::from(s % 7)).collect();
        e.set("w", &w0).unwrap();
        e
    };
    // a: closed form; b: the per-step program; c: closed form saved after marks
    let (mut a, mut b, mut c) = (make(true), make(false), make(true));
    let mut r = Rng::seed_from_u64(9);
    let mut rates = vec![10.0; n_post];
    let (mut saved, mut skipped) = (0, 0);
    for t in 0..2000u64 {
        for x in rates.iter_mut() {
            if r.random_bool(0.05) {
                *x = 8.0 + (r.random::<f64>() * 4.0).floor();
            }
        }
        let batch: Vec<u32> = (0..m).filter(|_| r.random_bool(0.03)).collect();
        let posts: Vec<u32> = (0..n_post as u32).filter(|_| r.random_bool(0.05)).collect();
        let values = [StateRef::F64(&rates)];
        for e in [&mut a, &mut b, &mut c] {
            e.on_arrivals(t, &batch, &values, |_, _, _| {});
            e.mark_post_spikes(t, &posts);
        }
        if t % 37 == 0 && !posts.is_empty() {
            c = roundtrip(&c);
            saved += 1;
        }
        // now and then the per-step equations of a step with spikes are not run
        let skip = t % 11 == 0 && !posts.is_empty();
        skipped += usize::from(skip);
        for e in [&mut a, &mut b, &mut c] {
            if !skip {
                e.per_step(t, &values);
            }
            e.on_post_spikes(t, &posts, &values, |_, _, _| {});
        }
    }
    assert!(saved > 5 && skipped > 5, "{saved} saved, {skipped} skipped");
    for e in [&mut a, &mut b, &mut c] {
        e.flush(2000);
    }
    for name in a.state_names() {
        let (x, y, z) = (
            a.get(&name).unwrap(),
            b.get(&name).unwrap(),
            c.get(&name).unwrap(),
        );
        assert!(
            x.iter().zip(&z).all(|(x, z)| x.to_bits() == z.to_bits()),
            "{name}: saved after marks differs"
        );
        let scale = y.iter().fold(0.0f64, |s, v| s.max(v.abs())).max(1e-300);
        for (s, (x, y)) in x.iter().zip(&y).enumerate() {
            assert!((x - y).abs() <= 1e-9 * scale, "{name}[{s}]: {x} vs {y}");
        }
    }
    let w = b.get("w").unwrap();
    let moved = (0..m as usize)
        .filter(|&s| (w[s] - (0.5 + 0.1 * (s % 7) as f64)).abs() > 1e-3)
        .count();
    assert!(moved > 20, "only {moved} weights changed");
    // a saved mark of a neuron the projection does not have is refused, not a panic
    let mut d = make(true);
    d.mark_post_spikes(1, &[1]);
    let mut bytes = Vec::new();
    ciborium::into_writer(&d, &mut bytes).unwrap();
    let mut v: ciborium::Value = ciborium::from_reader(bytes.as_slice()).unwrap();
    let (_, marks) = v
        .as_map_mut()
        .unwrap()
        .iter_mut()
        .find(|(k, _)| k.as_text() == Some("pending"))
        .expect("the mark is saved");
    let out_of_range = vec![
        ciborium::Value::Integer(99u32.into()),
        ciborium::Value::Integer(1u32.into()),
    ];
    *marks = ciborium::Value::Array(vec![ciborium::Value::Array(out_of_range)]);
    let mut bytes = Vec::new();
    ciborium::into_writer(&v, &mut bytes).unwrap();
    let back: Result<SynapseExec, _> = ciborium::from_reader(bytes.as_slice());
    let err = back.expect_err("refused").to_string();
    assert!(err.contains("does not match the model"), "{err}");
}

/// `bytes` counts every array at its own length: per synapse its per-synapse variables (`w`,
/// `ltp`, `ltd`, `stdp`), its delay in ms, its indices (pre, post, delay, by post) and spike
/// steps (last update, last arrival, and the closed form's synced step); the semiglobal `R`
/// and `K` per postsynaptic neuron only.
#[test]
fn synapse_bytes_count_every_array_at_its_length() {
    let src = homeo_source();
    let def = SynapseModelDef::from_source("homeo_stdp", &src).unwrap();
    let bytes = |m, n_post, closed| projection(&def, m, n_post, &[], closed).bytes();
    let per_synapse = |closed| (bytes(2000, 4, closed) - bytes(1000, 4, closed)) / 1000;
    assert_eq!(per_synapse(false), 8 * 5 + 4 * 4 + 8 * 2);
    assert_eq!(per_synapse(true), 8 * 5 + 4 * 4 + 8 * 3);
    // a neuron more: R, K, last_post (8 each), post_ptr, ident (4 each)
    assert_eq!(bytes(1000, 5, false) - bytes(1000, 4, false), 8 * 3 + 4 * 2);
}

/// Without traces (the weight scaled by the homeostatic term alone) a stretch is a power of
/// the per-step factor: the closed form follows the per-step program over long stretches
/// (rates that change now and then), arrivals in between.
#[test]
fn closed_form_without_traces_follows_the_per_step_program() {
    let mut src = homeo_source();
    src.equations = "R = post.r : semiglobal\nK = R/(T * (1. + fabs(1. - R / Rtarget) * gamma)) : semiglobal\nw += alpha * w * (1- R/Rtarget) * K : min=0.0, max=10.0".into();
    src.pre_spike = Some("g_target += w".into());
    src.post_spike = None;
    let def = SynapseModelDef::from_source("scaling", &src).unwrap();
    let pre: Vec<u32> = (0..40).collect();
    let post: Vec<u32> = (0..40).map(|s| s % 4).collect();
    let w0: Vec<f64> = (0..40).map(|s| 0.5 + 0.1 * f64::from(s)).collect();
    let short_t = [100.0];
    let make = |closed: bool| {
        let mut e = SynapseExec::new(
            &def,
            &pre,
            &post,
            4,
            &[],
            1.0,
            Precision::F64,
            Rng::seed_from_u64(1),
            &[("T", &short_t)],
        )
        .unwrap();
        e.set("w", &w0).unwrap();
        e.set_closed_form(closed);
        e
    };
    let (mut a, mut b) = (make(true), make(false));
    assert!(a.closed_form() && !b.closed_form());
    let mut r = Rng::seed_from_u64(2);
    let mut rates = vec![5.0, 20.0, 8.0, 0.0];
    let (mut oa, mut ob) = (0.0, 0.0);
    for t in 0..2000u64 {
        if r.random_bool(0.01) {
            rates[r.random_range(0..4)] = (r.random::<f64>() * 30.0).floor();
        }
        let values = [StateRef::F64(&rates)];
        let batch: Vec<u32> = (0..40).filter(|_| r.random_bool(0.01)).collect();
        for (e, out) in [(&mut a, &mut oa), (&mut b, &mut ob)] {
            e.on_arrivals(t, &batch, &values, |_, _, w| *out += w);
            e.mark_post_spikes(t, &[]);
            e.per_step(t, &values);
            e.on_post_spikes(t, &[], &values, |_, _, _| {});
        }
    }
    assert!((oa - ob).abs() <= 1e-9 * ob.abs(), "{oa} vs {ob}");
    a.flush(2000);
    b.flush(2000);
    let (x, y) = (a.get("w").unwrap(), b.get("w").unwrap());
    for (s, (x, y)) in x.iter().zip(&y).enumerate() {
        assert!(
            (x - y).abs() <= 1e-9 * y.abs().max(1.0),
            "w[{s}]: {x} vs {y}"
        );
    }
    assert!(
        y.iter()
            .zip(&w0)
            .filter(|(y, w)| (*y - *w).abs() > 1e-3)
            .count()
            > 20
    );
}

/// Which per-step equations run in closed form: homeo_stdp does; with R and K per synapse, a
/// weight change not linear in `w`, or a coefficient's parameter given per synapse, they run
/// every step.
#[test]
fn closed_form_only_for_its_shape() {
    let src = homeo_source();
    let build = |equations: &str, params: &[(&str, &[f64])]| {
        let mut s = src.clone();
        s.equations = equations.into();
        let def = SynapseModelDef::from_source("h", &s).unwrap();
        SynapseExec::new(
            &def,
            &[0, 1],
            &[0, 0],
            1,
            &[],
            1.0,
            Precision::F64,
            Rng::seed_from_u64(1),
            params,
        )
        .unwrap()
        .closed_form()
    };
    assert!(build(&src.equations, &[]));
    assert!(!build(&src.equations.replace(": semiglobal", ""), &[]));
    let squared = src.equations.replace("* K : min", "* K * w : min");
    assert_ne!(squared, src.equations);
    assert!(!build(&squared, &[]));
    assert!(!build(&src.equations, &[("beta", &[1.0, 2.0])]));
    let random = src
        .equations
        .replace("* K : min", "* K + 0.0 * rand() : min");
    assert!(!build(&random, &[]));
}

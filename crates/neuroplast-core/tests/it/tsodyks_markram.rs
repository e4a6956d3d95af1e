//! Short-term plasticity end to end: `tsodyks_markram` on a projection built by
//! `NetworkBuilder` delivers `w·u·x` into an `IF_curr_exp` neuron, following the closed-form
//! recursion for a regular `SpikeSourceArray` train and an irregular Poisson train.

use neuroplast_core::spiking::connector::Connector;
use neuroplast_core::spiking::network::{
    DelayRounding, ModelSpec, NetworkBuilder, ProjectionSpec, SynapseSpec,
};
use neuroplast_core::spiking::neuron::IfCurrExpParams;
use neuroplast_core::spiking::plasticity::{PlasticitySpec, TsodyksMarkramParams};
use neuroplast_core::spiking::source::{PoissonParams, SpikeArrayParams};

const DT: f64 = 0.1;
const W: f64 = 0.5;

/// A one-neuron `pre` source into one `IF_curr_exp` neuron that never fires, through a
/// `tsodyks_markram` projection of weight `W`; returns (arrival step, delivered amount) of
/// every arrival, read off the neuron's excitatory current: a step that receives `a` leaves
/// `(i + a)·e^{−dt/tau_syn_E}`.
fn run(pre: ModelSpec, p: TsodyksMarkramParams, steps: u64) -> Vec<(u64, f64)> {
    let mut b = NetworkBuilder::new(DT, 7);
    b.population("pre", 1, pre).unwrap();
    let post = IfCurrExpParams {
        v_thresh: 1e3,
        ..Default::default()
    };
    b.population("post", 1, ModelSpec::IF_curr_exp(post.clone()))
        .unwrap();
    b.projection(ProjectionSpec {
        name: "stp".into(),
        pre: "pre".into(),
        post: "post".into(),
        connector: Connector::AllToAll { allow_self: true },
        weight: W.into(),
        delay: 0.1.into(),
        delay_rounding: DelayRounding::Exact,
        synapse: SynapseSpec::Receptor {
            names: vec!["excitatory".into()],
        },
        plasticity: Some(PlasticitySpec::TsodyksMarkram(p)),
    })
    .unwrap();
    let mut net = b.build().unwrap();
    let decay = (-DT / post.tau_syn_E).exp();
    let mut out = Vec::new();
    let mut before = 0.0;
    for t in 0..steps {
        net.run(1);
        let after = net.population("post").unwrap().state("i_exc").unwrap()[0];
        let a = after / decay - before;
        if a > 1e-9 {
            out.push((t, a));
        }
        before = after;
    }
    out
}

/// The recursion of `tsodyks_markram`'s docs for arrivals at `steps`.
fn recursion(p: &TsodyksMarkramParams, steps: &[u64]) -> Vec<f64> {
    let (mut u, mut x) = (p.U, 1.0);
    let mut out = Vec::new();
    for (k, &t) in steps.iter().enumerate() {
        if k > 0 {
            let d = (t - steps[k - 1]) as f64 * DT;
            let fd = if p.tau_facil > 0.0 {
                (-d / p.tau_facil).exp()
            } else {
                0.0
            };
            let (u0, x0) = (u, x);
            u = p.U + u0 * (1.0 - p.U) * fd;
            x = 1.0 + (x0 - x0 * u0 - 1.0) * (-d / p.tau_rec).exp();
        }
        out.push(W * u * x);
    }
    out
}

fn check(got: &[(u64, f64)], p: &TsodyksMarkramParams) {
    let steps: Vec<u64> = got.iter().map(|&(t, _)| t).collect();
    let want = recursion(p, &steps);
    for (k, ((_, g), e)) in got.iter().zip(&want).enumerate() {
        assert!((g - e).abs() <= 1e-12 * W, "{p:?} arrival {k}: {g} vs {e}");
    }
}

#[test]
fn regular_train_reaches_the_neuron_scaled_by_u_x() {
    // 20 Hz from 10 ms on, 30 spikes; arrivals one step (the delay) after each spike
    let times: Vec<f64> = (0..30).map(|k| 10.0 + 50.0 * k as f64).collect();
    let pre = ModelSpec::SpikeSourceArray(SpikeArrayParams {
        spike_times: vec![times],
    });
    for p in [
        TsodyksMarkramParams {
            U: 0.5,
            tau_rec: 800.0,
            tau_facil: 0.0,
        },
        TsodyksMarkramParams {
            U: 0.04,
            tau_rec: 100.0,
            tau_facil: 1000.0,
        },
    ] {
        let got = run(pre.clone(), p.clone(), 16_000);
        assert_eq!(got.len(), 30, "{p:?}");
        let steps: Vec<u64> = got.iter().map(|&(t, _)| t).collect();
        let want_steps: Vec<u64> = (0..30).map(|k| 101 + 500 * k).collect();
        assert_eq!(steps, want_steps);
        assert!((got[0].1 - W * p.U).abs() < 1e-15);
        check(&got, &p);
    }
}

#[test]
fn poisson_train_uses_each_interval() {
    let pre = ModelSpec::SpikeSourcePoisson(PoissonParams {
        rate: 40.0,
        ..Default::default()
    });
    let p = TsodyksMarkramParams {
        U: 0.2,
        tau_rec: 200.0,
        tau_facil: 300.0,
    };
    let got = run(pre, p.clone(), 30_000);
    assert!(got.len() > 60, "{} arrivals", got.len());
    check(&got, &p);
}

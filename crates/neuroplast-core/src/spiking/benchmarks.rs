//! The standard benchmark networks, exactly as `shared/bench/peers/README.md` builds them for
//! Brian2, ANNarchy and NEST (same models, parameters, connectivity laws and initial-state
//! laws; random draws differ because the generators differ).
//!
//! * [`coba`]: Vogels & Abbott 2005 / Brette et al. 2007 benchmark 1 (conductance LIF).
//! * [`cuba`]: Brette et al. 2007 benchmark 2 (current LIF, exact integration).
//!
//! Every builder records nothing; add monitors to the returned builder if needed.

use super::connector::{Connector, Value};
use super::network::{DelayRounding, ModelSpec, NetworkBuilder, ProjectionSpec, SynapseSpec};
use super::neuron::lif::Integrator;
use super::neuron::{IfCondExpParams, IfCurrExpParams};
use crate::Result;

/// Which benchmark network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Benchmark {
    /// COBA (conductance-based LIF), dt = 0.1 ms.
    Coba,
    /// CUBA (current-based LIF), dt = 0.1 ms.
    Cuba,
}

impl Benchmark {
    /// Name used on the command line and in JSON (`coba`, `cuba`).
    pub fn name(self) -> &'static str {
        match self {
            Benchmark::Coba => "coba",
            Benchmark::Cuba => "cuba",
        }
    }

    /// Default number of neurons.
    pub fn default_n(self) -> usize {
        match self {
            Benchmark::Coba | Benchmark::Cuba => 4000,
        }
    }

    /// Time step in ms.
    pub fn dt_ms(self) -> f64 {
        match self {
            Benchmark::Coba | Benchmark::Cuba => 0.1,
        }
    }

    /// The network with `n` neurons and seed `seed`.
    pub fn builder(self, n: usize, seed: u64) -> Result<NetworkBuilder> {
        match self {
            Benchmark::Coba => coba(n, seed),
            Benchmark::Cuba => cuba(n, seed),
        }
    }
}

fn ei_projections(b: &mut NetworkBuilder, p: f64, w_e: f64, w_i: f64) -> Result<()> {
    for (name, pre, w, receptor) in [
        ("exc_all", "exc", w_e, "excitatory"),
        ("inh_all", "inh", w_i, "inhibitory"),
    ] {
        for post in ["exc", "inh"] {
            b.projection(ProjectionSpec {
                name: format!("{name}_{post}"),
                pre: pre.into(),
                post: post.into(),
                connector: Connector::FixedProbability {
                    p,
                    allow_self: true,
                },
                weight: w.into(),
                delay: 0.1.into(),
                delay_rounding: DelayRounding::Exact,
                synapse: SynapseSpec::Receptor {
                    names: vec![receptor.into()],
                },
            })?;
        }
    }
    Ok(())
}

/// COBA: `n` conductance-based LIF neurons (80 % excitatory), each ordered pair connected with
/// p = 80/n, explicit Euler at dt = 0.1 ms, constant drive 20 mV·g_L, w_e = 6 nS, w_i = 67 nS.
pub fn coba(n: usize, seed: u64) -> Result<NetworkBuilder> {
    let params = IfCondExpParams {
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
        integrator: Integrator::Euler,
    };
    let g_l = params.cm / params.tau_m;
    let ne = (0.8 * n as f64) as usize;
    let mut b = NetworkBuilder::new(0.1, seed);
    for (name, size) in [("exc", ne), ("inh", n - ne)] {
        b.population(name, size, ModelSpec::IF_cond_exp(params.clone()))?;
        b.init(
            name,
            "v",
            Value::Normal {
                mean: -55.0,
                sd: 5.0,
                clip_low: None,
                clip_high: None,
            },
        )?;
        b.init(
            name,
            "g_exc",
            Value::Normal {
                mean: 4.0 * g_l,
                sd: 1.5 * g_l,
                clip_low: Some(0.0),
                clip_high: None,
            },
        )?;
        b.init(
            name,
            "g_inh",
            Value::Normal {
                mean: 20.0 * g_l,
                sd: 12.0 * g_l,
                clip_low: Some(0.0),
                clip_high: None,
            },
        )?;
    }
    ei_projections(&mut b, 80.0 / n as f64, 0.6 * g_l, 6.7 * g_l)?;
    Ok(b)
}

/// CUBA: `n` current-based LIF neurons (80 % excitatory), p = 80/n, exact integration at
/// dt = 0.1 ms, w_e = 1.62 mV and w_i = −9 mV expressed as currents (w·cm/τ_m).
pub fn cuba(n: usize, seed: u64) -> Result<NetworkBuilder> {
    let params = IfCurrExpParams {
        cm: 0.2,
        tau_m: 20.0,
        tau_refrac: 5.0,
        tau_syn_E: 5.0,
        tau_syn_I: 10.0,
        v_thresh: -50.0,
        v_reset: -60.0,
        v_rest: -49.0,
        i_offset: 0.0,
    };
    let mv_to_na = params.cm / params.tau_m;
    let ne = (0.8 * n as f64) as usize;
    let mut b = NetworkBuilder::new(0.1, seed);
    for (name, size) in [("exc", ne), ("inh", n - ne)] {
        b.population(name, size, ModelSpec::IF_curr_exp(params.clone()))?;
        b.init(
            name,
            "v",
            Value::Uniform {
                low: -60.0,
                high: -50.0,
            },
        )?;
    }
    ei_projections(&mut b, 80.0 / n as f64, 1.62 * mv_to_na, -9.0 * mv_to_na)?;
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// COBA 4000 over 1 s (peers: Brian2 21.6–22.0 Hz, NEST 20.1–22.5, ANNarchy 17.2–18.0;
    /// acceptance range 17–23 Hz) and the same spikes with two threads.
    #[test]
    fn coba_4k_rate_in_peer_range_and_threads_agree() {
        let mut net = coba(4000, 4321).unwrap().build().unwrap();
        assert!((net.synapse_count() as f64 - 320_000.0).abs() < 5.0 * 566.0);
        net.run(10_000);
        let exc = net.population("exc").unwrap();
        let rate = exc.spike_count() as f64 / exc.len() as f64;
        assert!((17.0..=23.0).contains(&rate), "COBA exc rate {rate} Hz");
        let mut par = coba(4000, 4321).unwrap().build().unwrap();
        par.set_threads(2).unwrap();
        par.run(10_000);
        assert_eq!(net.spike_hash(), par.spike_hash());
    }

    /// CUBA 4000 over 1 s (peers: Brian2 5.8–6.0 Hz, NEST 5.4–5.9, ANNarchy 4.9–5.0; acceptance
    /// range 5–6.5 Hz).
    #[test]
    fn cuba_4k_rate_in_peer_range() {
        let mut net = cuba(4000, 4321).unwrap().build().unwrap();
        net.run(10_000);
        let exc = net.population("exc").unwrap();
        let rate = exc.spike_count() as f64 / exc.len() as f64;
        assert!((5.0..=6.5).contains(&rate), "CUBA exc rate {rate} Hz");
    }
}

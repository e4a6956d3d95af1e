//! `tsodyks_markram`: short-term depression and facilitation (Tsodyks, Uziel & Markram 2000;
//! PyNN's `TsodyksMarkramSynapse`).
//!
//! Each synapse has a resource fraction `x` (1 at rest) and a utilisation `u`. Between two
//! arrivals `Δ` apart, `x` recovers towards 1 with `tau_rec` and `u` decays towards 0 with
//! `tau_facil`; at an arrival, `u` first jumps by `U (1 − u)`, then the synapse releases
//! `u·x` of its resources, and the delivered amount is `w·u·x`. As an event-driven recursion
//! over the arrivals `n = 1, 2, …` (values at the release):
//!
//! ```text
//! u₁ = U,  x₁ = 1
//! u_{n+1} = U + u_n (1 − U) e^{−Δ/tau_facil}        (u_{n+1} = U when tau_facil = 0)
//! x_{n+1} = 1 + (x_n − u_n x_n − 1) e^{−Δ/tau_rec}
//! delivered_n = w · u_n · x_n
//! ```
//!
//! The decays are exact exponentials of the whole steps between arrivals (a lookup table of
//! `exp(−k·dt/τ)`, like the STDP traces). The weight `w` never changes: the rule only scales
//! what each arrival delivers, for current and conductance receptors alike (the time course of
//! the postsynaptic current or conductance is the neuron's, as in PyNN).
//!
//! **Which formulation.** This is NEST's `tsodyks2_synapse` (Maass & Markram 2002, eqs. 4–5;
//! with NEST ≥ 3.9's fix that the first spike uses `u = U`, `x = 1`) and, identically, the
//! event-driven update of PyNN's Brian2 backend for `TsodyksMarkramSynapse` (`u += U(1 − u)`,
//! deliver `w·x·u`, `x −= x·u`, with `du/dt = −u/tau_facil`, `dx/dt = (1 − x)/tau_rec`; we do
//! not copy that backend's clipping of `u` to at most `U`, which would disable facilitation).
//! PyNN's NEST backend maps the synapse to `tsodyks_synapse`, which also models the
//! postsynaptic current's own decay (`tau_psc`) inside the synapse and gives slightly larger
//! amplitudes; here the neuron model owns that time course (PyNN: "the time constant of the
//! post-synaptic current is set in the neuron model"), so the rule is the neuron-independent
//! two-variable form. Parameter names, units and defaults are PyNN 0.13's
//! (`pyNN/standardmodels/synapses.py`: `U = 0.5`, `tau_rec = 100` ms, `tau_facil = 0` ms).
//!
//! While the projection is frozen it delivers plain weights, and arrivals during the freeze
//! are not seen by the rule (as for every rule).

use serde::{Deserialize, Serialize};

use super::{Arrivals, DecayTable, PostSpikes, SynapseRule, NEVER};
use crate::spiking::projection::Synapses;
use crate::{ensure, Result};

/// Parameters of the `tsodyks_markram` rule (PyNN's `TsodyksMarkramSynapse`).
#[allow(non_snake_case)] // reason: PyNN's name U is the public key
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TsodyksMarkramParams {
    /// Utilisation increment per arrival (the release probability of a rested synapse), in
    /// [0, 1].
    pub U: f64,
    /// Recovery (depression) time constant, ms (> 0).
    pub tau_rec: f64,
    /// Facilitation time constant, ms (≥ 0; 0 = no facilitation: `u = U` at every arrival).
    pub tau_facil: f64,
}

impl Default for TsodyksMarkramParams {
    /// PyNN 0.13's `TsodyksMarkramSynapse.default_parameters`.
    fn default() -> Self {
        TsodyksMarkramParams {
            U: 0.5,
            tau_rec: 100.0,
            tau_facil: 0.0,
        }
    }
}

/// State of a `tsodyks_markram` projection: `u` and `x` of each synapse at its last arrival.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TsodyksMarkramState {
    params: TsodyksMarkramParams,
    rec: DecayTable,
    /// `None` when `tau_facil = 0`.
    facil: Option<DecayTable>,
    /// Utilisation of each synapse at its last release.
    u: Vec<f64>,
    /// Resources of each synapse just before its last release.
    x: Vec<f64>,
}

impl SynapseRule for TsodyksMarkramState {
    type Params = TsodyksMarkramParams;

    fn validate(p: &TsodyksMarkramParams, path: &str, _dt: f64) -> Result<()> {
        ensure!(
            p.U.is_finite() && (0.0..=1.0).contains(&p.U),
            format!("{path}.U"),
            "must be in [0, 1], got {}",
            p.U
        );
        super::check_time_constants(path, &[("tau_rec", p.tau_rec)])?;
        ensure!(
            p.tau_facil.is_finite() && p.tau_facil >= 0.0,
            format!("{path}.tau_facil"),
            "must be ≥ 0 ms (0: no facilitation), got {}",
            p.tau_facil
        );
        Ok(())
    }

    /// The rule never changes a weight, so it sets no bound of its own; 0 lets it act on
    /// conductance receptors, whose weights the builder already requires to be ≥ 0.
    fn w_min(_: &TsodyksMarkramParams) -> f64 {
        0.0
    }

    fn new(p: &TsodyksMarkramParams, synapses: &mut Synapses, dt: f64, _rng: crate::rng::Rng) -> Self {
        TsodyksMarkramState {
            rec: DecayTable::new(dt / p.tau_rec),
            facil: (p.tau_facil > 0.0).then(|| DecayTable::new(dt / p.tau_facil)),
            params: p.clone(),
            u: vec![p.U; synapses.len()],
            x: vec![1.0; synapses.len()],
        }
    }

    fn on_arrivals(&mut self, cx: Arrivals<'_>, add: &mut impl FnMut(u32, f64)) {
        let big_u = self.params.U;
        let (t, last_arrival) = (cx.t, cx.last_arrival);
        let (u, x, rec, facil) = (&mut self.u, &mut self.x, &self.rec, &self.facil);
        let synapses = &*cx.synapses;
        synapses.arrivals(t, cx.ring, |s, j| {
            let since = last_arrival[s];
            if since != NEVER {
                let u_decay = facil.as_ref().map_or(0.0, |f| f.between(since, t));
                let (u0, x0) = (u[s], x[s]);
                u[s] = big_u + u0 * (1.0 - big_u) * u_decay;
                x[s] = 1.0 + (x0 - x0 * u0 - 1.0) * rec.between(since, t);
            }
            last_arrival[s] = t;
            add(j, synapses.weight(s) * u[s] * x[s]);
        });
    }

    fn after_step(&mut self, cx: PostSpikes<'_>) {
        for &j in cx.spikes {
            cx.last_post[j as usize] = cx.t;
        }
    }

    fn bytes(&self) -> usize {
        8 * (self.u.len()
            + self.x.len()
            + self.rec.table.len()
            + self.facil.as_ref().map_or(0, |f| f.table.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Plasticity, PlasticitySpec};
    use super::*;
    use crate::spiking::projection::SpikeRing;

    /// The amounts delivered by one synapse of weight `w` for presynaptic spikes arriving at
    /// `arrivals` (steps of `dt` ms).
    fn delivered(p: TsodyksMarkramParams, w: f64, arrivals: &[u64], dt: f64) -> Vec<f64> {
        let mut syn = Synapses::new(1, 1, &[0], &[0], &[w], &[1]);
        let spec = PlasticitySpec::TsodyksMarkram(p);
        spec.validate("p", dt).unwrap();
        let mut plast = Plasticity::new(&spec, &mut syn, dt);
        let mut ring = SpikeRing::new(2, 1);
        let mut out = Vec::new();
        for t in 0..=*arrivals.last().unwrap() {
            plast.deliver(&mut syn, t, &ring, |j, a| {
                assert_eq!(j, 0);
                out.push(a);
            });
            // a spike emitted at step e arrives at e + 1 (delay 1)
            let pre: &[u32] = if arrivals.contains(&(t + 1)) { &[0] } else { &[] };
            ring.store(t, pre);
            plast.after_step(&mut syn, t, &[]);
        }
        assert_eq!(syn.weights()[0], w, "the weight never changes");
        out
    }

    /// The closed-form recursion of the module docs for a regular train with interval `isi`.
    fn recursion(p: &TsodyksMarkramParams, w: f64, isi: f64, n: usize) -> Vec<f64> {
        let (mut u, mut x) = (p.U, 1.0);
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(w * u * x);
            let u_decay = if p.tau_facil > 0.0 {
                (-isi / p.tau_facil).exp()
            } else {
                0.0
            };
            let (u0, x0) = (u, x);
            u = p.U + u0 * (1.0 - p.U) * u_decay;
            x = 1.0 + (x0 - x0 * u0 - 1.0) * (-isi / p.tau_rec).exp();
        }
        out
    }

    /// A regular 20 Hz train: the delivered amounts follow the recursion to 1e-12 for a
    /// depressing set (U = 0.5, tau_rec = 800 ms: monotone decrease towards the steady
    /// state) and a facilitating set (U = 0.04, tau_rec = 100 ms, tau_facil = 1000 ms: rises
    /// first); both approach the closed-form steady state
    /// `u∞ = U / (1 − (1 − U) e^{−Δ/τf})`, `x∞ = (1 − e^{−Δ/τr}) / (1 − (1 − u∞) e^{−Δ/τr})`.
    #[test]
    fn regular_train_follows_the_recursion() {
        let dt = 0.1;
        let isi_steps = 500u64; // 50 ms
        let isi = isi_steps as f64 * dt;
        let n = 200; // 10 s: the facilitating set is at its steady state
        let arrivals: Vec<u64> = (0..n as u64).map(|k| 10 + k * isi_steps).collect();
        let w = 2.5;
        let depressing = TsodyksMarkramParams {
            U: 0.5,
            tau_rec: 800.0,
            tau_facil: 0.0,
        };
        let facilitating = TsodyksMarkramParams {
            U: 0.04,
            tau_rec: 100.0,
            tau_facil: 1000.0,
        };
        for p in [depressing.clone(), facilitating.clone()] {
            let got = delivered(p.clone(), w, &arrivals, dt);
            let want = recursion(&p, w, isi, n);
            assert_eq!(got.len(), n);
            for (k, (g, e)) in got.iter().zip(&want).enumerate() {
                assert!((g - e).abs() <= 1e-12 * w, "{p:?} spike {k}: {g} vs {e}");
            }
            assert_eq!(got[0], w * p.U);
            let ef = if p.tau_facil > 0.0 {
                (-isi / p.tau_facil).exp()
            } else {
                0.0
            };
            let er = (-isi / p.tau_rec).exp();
            let u_inf = p.U / (1.0 - (1.0 - p.U) * ef);
            let x_inf = (1.0 - er) / (1.0 - (1.0 - u_inf) * er);
            assert!(
                (got[n - 1] - w * u_inf * x_inf).abs() < 1e-6 * w,
                "{p:?}: {} vs {}",
                got[n - 1],
                w * u_inf * x_inf
            );
        }
        let dep = delivered(depressing, w, &arrivals, dt);
        assert!(dep[..20].windows(2).all(|a| a[1] < a[0]), "depression: {:?}", &dep[..20]);
        let fac = delivered(facilitating, w, &arrivals, dt);
        assert!(fac[1] > fac[0] && fac[3] > fac[2], "facilitation: {:?}", &fac[..4]);
    }

    /// Irregular arrivals use the exact interval each time; a long pause restores `x = 1`
    /// and `u = U`.
    #[test]
    fn irregular_arrivals_and_recovery() {
        let p = TsodyksMarkramParams {
            U: 0.3,
            tau_rec: 50.0,
            tau_facil: 20.0,
        };
        let arrivals = [5u64, 9, 30, 31, 200, 100_000];
        let got = delivered(p.clone(), 1.0, &arrivals, 1.0);
        let (mut u, mut x) = (p.U, 1.0);
        for (k, g) in got.iter().enumerate() {
            if k > 0 {
                let d = (arrivals[k] - arrivals[k - 1]) as f64;
                let (u0, x0) = (u, x);
                u = p.U + u0 * (1.0 - p.U) * (-d / p.tau_facil).exp();
                x = 1.0 + (x0 - x0 * u0 - 1.0) * (-d / p.tau_rec).exp();
            }
            assert!((g - u * x).abs() < 1e-12, "arrival {k}: {g} vs {}", u * x);
        }
        assert_eq!(got[5], p.U);
    }

    #[test]
    fn defaults_are_pynn_0_13_and_bad_values_name_the_key() {
        let p = TsodyksMarkramParams::default();
        assert_eq!((p.U, p.tau_rec, p.tau_facil), (0.5, 100.0, 0.0));
        let spec = PlasticitySpec::TsodyksMarkram(TsodyksMarkramParams {
            U: 1.5,
            ..Default::default()
        });
        let e = spec.validate("projections.p.plasticity", 0.1).unwrap_err();
        assert!(e.to_string().contains("projections.p.plasticity.U"), "{e}");
        let spec = PlasticitySpec::TsodyksMarkram(TsodyksMarkramParams {
            tau_facil: -1.0,
            ..Default::default()
        });
        let e = spec.validate("q", 0.1).unwrap_err();
        assert!(e.to_string().contains("q.tau_facil"), "{e}");
        let spec = PlasticitySpec::TsodyksMarkram(TsodyksMarkramParams {
            tau_rec: 0.0,
            ..Default::default()
        });
        let e = spec.validate("q", 0.1).unwrap_err();
        assert!(e.to_string().contains("q.tau_rec"), "{e}");
    }
}

//! SORN parameters: one struct with an explicit field for every place where the published
//! model, the Triesch-lab code and the `sorn` package differ (see the table in
//! `shared/reference/sorn.md` §3 and `docs/sorn-switches.md`).
//!
//! Field names are the configuration keys under `[sorn]`; error paths read `sorn.<field>`.

use serde::{Deserialize, Serialize};

use crate::{ensure, Error, Result};

/// How the synapses of a projection are drawn at initialisation. E→E never has
/// self-connections.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Connectivity {
    /// Every possible synapse (memory N_post × N_pre: use only where the sources do).
    Dense,
    /// Each possible synapse exists independently with probability `p` (lab code).
    Bernoulli {
        /// Connection probability, in (0, 1].
        p: f64,
    },
    /// Every postsynaptic neuron gets exactly `k` distinct presynaptic partners.
    FixedInDegree {
        /// In-degree, smaller than the presynaptic population.
        k: usize,
    },
    /// Every postsynaptic neuron gets `int(N(mean, sd))` partners (Python `int()` truncation,
    /// clamped to what exists): the `sorn` package's W_EE (mean in-degree ≈ mean − 0.5).
    NormalInDegree {
        /// Mean of the normal before truncation.
        mean: f64,
        /// Standard deviation, ≥ 0.
        sd: f64,
    },
    /// Every presynaptic neuron projects to `int(N(mean, sd))` postsynaptic neurons: the
    /// `sorn` package's W_EI.
    NormalOutDegree {
        /// Mean of the normal before truncation.
        mean: f64,
        /// Standard deviation, ≥ 0.
        sd: f64,
    },
}

/// Initial thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ThresholdInit {
    /// Independent draws from U(low, high) (all papers' code, `sorn`).
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Evenly spaced `low + (k − ½)(high − low)/N`, k = 1…N, randomly permuted (Lazar 2011,
    /// the Lazar-style MATLAB script).
    Ordered {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
}

/// Initial excitatory activity x(0). Inhibitory units start silent, y(0) = 0, as in every
/// source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum InitialActivity {
    /// All units silent (`sorn`).
    Zeros,
    /// Each unit active with probability `p` (chrhartm: p = h_ip; SORN_V2: p = 0.5).
    Bernoulli {
        /// Probability of being active at t = 0, in [0, 1].
        p: f64,
    },
}

/// The threshold test of the binary units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdTest {
    /// Active iff drive − threshold ≥ 0 (lab code).
    Ge,
    /// Active iff drive − threshold > 0 (`sorn` package).
    Gt,
}

/// What iSTDP does with an I→E weight that falls to ≤ 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum IstdpFloor {
    /// Set it to `weight` and keep the synapse (lab code: 0.001).
    Keep {
        /// Replacement weight, in (0, 1].
        weight: f64,
    },
    /// Remove the synapse for good (`sorn` package).
    Remove,
}

/// The five SORN plasticity rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Spike-timing-dependent plasticity of E→E weights (Lazar 2009).
    Stdp,
    /// Intrinsic plasticity of excitatory thresholds (Lazar 2009).
    Ip,
    /// Synaptic normalisation of incoming E→E and I→E weights (Lazar 2009, Zheng 2013).
    #[serde(alias = "ss")]
    Sn,
    /// Inhibitory STDP of I→E weights (Zheng 2013).
    Istdp,
    /// Structural plasticity: creation of new E→E synapses (Zheng 2013).
    Sp,
}

impl Rule {
    /// All rules, in the order they are applied within a step.
    pub const ALL: [Rule; 5] = [Rule::Ip, Rule::Stdp, Rule::Sp, Rule::Istdp, Rule::Sn];

    /// The rule's configuration name.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Stdp => "stdp",
            Rule::Ip => "ip",
            Rule::Sn => "sn",
            Rule::Istdp => "istdp",
            Rule::Sp => "sp",
        }
    }

    /// Parse a rule name; `"ss"` (the `sorn` package's name for normalisation) is accepted
    /// as `"sn"`. `path` is used in the error.
    pub fn parse(name: &str, path: &str) -> Result<Rule> {
        Ok(match name {
            "stdp" => Rule::Stdp,
            "ip" => Rule::Ip,
            "sn" | "ss" => Rule::Sn,
            "istdp" => Rule::Istdp,
            "sp" => Rule::Sp,
            _ => {
                return Err(Error::UnknownRule {
                    path: path.to_string(),
                    name: name.to_string(),
                })
            }
        })
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of rules (a bit set; iteration follows [`Rule::ALL`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet(u8);

impl RuleSet {
    /// The empty set.
    pub const EMPTY: RuleSet = RuleSet(0);

    /// Whether `r` is in the set.
    #[inline]
    pub fn contains(self, r: Rule) -> bool {
        self.0 & r.bit() != 0
    }

    /// Add `r`.
    pub fn insert(&mut self, r: Rule) {
        self.0 |= r.bit();
    }

    /// Remove `r`.
    pub fn remove(&mut self, r: Rule) {
        self.0 &= !r.bit();
    }

    /// The rules in the set, in application order.
    pub fn iter(self) -> impl Iterator<Item = Rule> {
        Rule::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<Rule> for RuleSet {
    fn from_iter<I: IntoIterator<Item = Rule>>(it: I) -> Self {
        let mut s = RuleSet::EMPTY;
        for r in it {
            s.insert(r);
        }
        s
    }
}

/// Every parameter of a SORN. A [`Preset`](super::Preset) fills all of them; any can be
/// overridden. Probabilities and rates are per time step; weights are dimensionless.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SornParams {
    /// Number of excitatory units N_E.
    pub ne: usize,
    /// Number of inhibitory units N_I (presets: ⌊0.2·N_E⌋).
    pub ni: usize,
    /// E→E connectivity at initialisation (no self-connections).
    pub w_ee: Connectivity,
    /// I→E connectivity at initialisation.
    pub w_ei: Connectivity,
    /// E→I connectivity at initialisation (W_IE is never plastic).
    pub w_ie: Connectivity,
    /// Initial weights are drawn from U(low, high), then every row is normalised.
    pub initial_weight_range: [f64; 2],
    /// Initial excitatory thresholds T_E.
    pub thresholds_e: ThresholdInit,
    /// Inhibitory thresholds T_I (never adapted).
    pub thresholds_i: ThresholdInit,
    /// Excitatory activity x(0) (y(0) = 0).
    pub initial_activity: InitialActivity,
    /// `ge` (lab code) or `gt` (`sorn`).
    pub threshold_test: ThresholdTest,
    /// Inhibitory units see x(t+1) (true, lab code default) or x(t) (false, `sorn`, Zheng 2013).
    pub fast_inhibit: bool,
    /// Standard deviation σ of the Gaussian noise added to every E and I drive each step
    /// (Zheng 2013 / Del Papa 2017: √0.05 ≈ 0.2236; `sorn`: 0.04; Lazar 2009: 0).
    pub noise_sigma: f64,
    /// Rules active at step 0. Freeze and unfreeze them later with a schedule.
    pub plasticity: Vec<Rule>,
    /// STDP learning rate η_STDP.
    pub eta_stdp: f64,
    /// Upper bound of E→E weights after STDP.
    pub w_ee_max: f64,
    /// An E→E weight is pruned (removed) when STDP leaves it ≤ 0 or below this value
    /// (lab code: 1e-10; `sorn`: 0, i.e. only ≤ 0).
    pub prune_below: f64,
    /// IP learning rate η_IP.
    pub eta_ip: f64,
    /// IP target rate H_IP, in (0, 1) (`sorn`: 2·nu/ne).
    pub h_ip: f64,
    /// Per-unit targets drawn from U(h_ip − spread, h_ip + spread); 0 = one shared target
    /// (chrhartm: 0.01).
    pub h_ip_spread: f64,
    /// T_E is clamped to [min, max] after every IP step (`sorn`: [0, 1]; lab: [-inf, inf]).
    pub ip_clamp: [f64; 2],
    /// iSTDP learning rate η_inh.
    pub eta_istdp: f64,
    /// μ_IP of the iSTDP balance point 1 + 1/μ_IP.
    pub mu_ip: f64,
    /// What iSTDP does with I→E weights that reach ≤ 0.
    pub istdp_floor: IstdpFloor,
    /// Expected number of new E→E synapses per step (at N_E = 200 if `sp_scale_with_n`).
    pub sp_probability: f64,
    /// Scale `sp_probability` by N_E(N_E − 1)/(200·199) (Del Papa 2017) or keep it fixed.
    pub sp_scale_with_n: bool,
    /// Weight of a new synapse.
    pub sp_weight: f64,
}

impl SornParams {
    /// The effective number of expected SP insertions per step.
    pub fn sp_rate(&self) -> f64 {
        if self.sp_scale_with_n {
            let n = self.ne as f64;
            self.sp_probability * n * (n - 1.0) / (200.0 * 199.0)
        } else {
            self.sp_probability
        }
    }

    /// Check every parameter; errors name `sorn.<field>`, the value and the allowed range.
    pub fn validate(&self) -> Result<()> {
        ensure!(
            self.ne >= 1 && self.ne < u32::MAX as usize,
            "sorn.ne",
            "must be ≥ 1, got {}",
            self.ne
        );
        ensure!(
            self.ni >= 1 && self.ni < u32::MAX as usize,
            "sorn.ni",
            "must be ≥ 1, got {}",
            self.ni
        );
        check_conn(&self.w_ee, "sorn.w_ee", self.ne, true)?;
        check_conn(&self.w_ei, "sorn.w_ei", self.ni, false)?;
        check_conn(&self.w_ie, "sorn.w_ie", self.ne, false)?;
        let [lo, hi] = self.initial_weight_range;
        ensure!(
            lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo < hi,
            "sorn.initial_weight_range",
            "must be [low, high] with 0 ≤ low < high, got [{lo}, {hi}]"
        );
        check_thresholds(&self.thresholds_e, "sorn.thresholds_e")?;
        check_thresholds(&self.thresholds_i, "sorn.thresholds_i")?;
        if let InitialActivity::Bernoulli { p } = self.initial_activity {
            ensure!(
                (0.0..=1.0).contains(&p),
                "sorn.initial_activity.p",
                "must be in [0, 1], got {p}"
            );
        }
        nonneg(self.noise_sigma, "sorn.noise_sigma")?;
        for (v, path) in [
            (self.eta_stdp, "sorn.eta_stdp"),
            (self.eta_ip, "sorn.eta_ip"),
            (self.eta_istdp, "sorn.eta_istdp"),
            (self.prune_below, "sorn.prune_below"),
            (self.h_ip_spread, "sorn.h_ip_spread"),
            (self.sp_probability, "sorn.sp_probability"),
        ] {
            nonneg(v, path)?;
        }
        ensure!(
            self.w_ee_max.is_finite() && self.w_ee_max > 0.0,
            "sorn.w_ee_max",
            "must be > 0, got {}",
            self.w_ee_max
        );
        ensure!(
            self.h_ip > 0.0 && self.h_ip < 1.0,
            "sorn.h_ip",
            "target rate must be in (0, 1), got {}",
            self.h_ip
        );
        ensure!(
            self.h_ip - self.h_ip_spread > 0.0 && self.h_ip + self.h_ip_spread < 1.0,
            "sorn.h_ip_spread",
            "h_ip ± spread must stay in (0, 1), got h_ip = {} and spread = {}",
            self.h_ip,
            self.h_ip_spread
        );
        let [cmin, cmax] = self.ip_clamp;
        ensure!(
            !cmin.is_nan() && !cmax.is_nan() && cmin < cmax,
            "sorn.ip_clamp",
            "must be [min, max] with min < max (use [-inf, inf] for no clamp), got [{cmin}, {cmax}]"
        );
        ensure!(
            self.mu_ip.is_finite() && self.mu_ip > 0.0,
            "sorn.mu_ip",
            "must be > 0, got {}",
            self.mu_ip
        );
        if let IstdpFloor::Keep { weight } = self.istdp_floor {
            ensure!(
                weight > 0.0 && weight <= 1.0,
                "sorn.istdp_floor.weight",
                "must be in (0, 1], got {weight}"
            );
        }
        ensure!(
            self.sp_weight > 0.0 && self.sp_weight <= self.w_ee_max,
            "sorn.sp_weight",
            "must be in (0, w_ee_max = {}], got {}",
            self.w_ee_max,
            self.sp_weight
        );
        Ok(())
    }

    /// The rules active at step 0, as a set.
    pub fn active_rules(&self) -> RuleSet {
        self.plasticity.iter().copied().collect()
    }
}

fn nonneg(v: f64, path: &str) -> Result<()> {
    ensure!(
        v.is_finite() && v >= 0.0,
        path,
        "must be a finite number ≥ 0, got {v}"
    );
    Ok(())
}

fn check_thresholds(t: &ThresholdInit, path: &str) -> Result<()> {
    let (ThresholdInit::Uniform { low, high } | ThresholdInit::Ordered { low, high }) = *t;
    ensure!(
        low.is_finite() && high.is_finite() && low <= high,
        path,
        "needs finite low ≤ high, got low = {low}, high = {high}"
    );
    Ok(())
}

fn check_conn(c: &Connectivity, path: &str, n_pre: usize, no_self: bool) -> Result<()> {
    let available = if no_self { n_pre - 1 } else { n_pre };
    match *c {
        Connectivity::Dense => {}
        Connectivity::Bernoulli { p } => ensure!(
            p > 0.0 && p <= 1.0,
            format!("{path}.p"),
            "connection probability must be in (0, 1], got {p}"
        ),
        Connectivity::FixedInDegree { k } => ensure!(
            k <= available && k < n_pre,
            format!("{path}.k"),
            "in-degree must be smaller than the presynaptic population ({n_pre} units{}), got {k}",
            if no_self { ", no self-connections" } else { "" }
        ),
        Connectivity::NormalInDegree { mean, sd } | Connectivity::NormalOutDegree { mean, sd } => {
            ensure!(
                mean.is_finite() && mean >= 0.0,
                format!("{path}.mean"),
                "must be a finite number ≥ 0, got {mean}"
            );
            ensure!(
                sd.is_finite() && sd >= 0.0,
                format!("{path}.sd"),
                "must be a finite number ≥ 0, got {sd}"
            );
        }
    }
    Ok(())
}

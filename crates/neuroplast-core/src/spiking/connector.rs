//! Connectors (which pairs are connected) and value specifications (weights, delays, initial
//! states): constants, distributions, or explicit arrays.
//!
//! Names follow PyNN: `all_to_all`, `one_to_one`, `fixed_probability`, `fixed_in_degree`,
//! `fixed_out_degree`, `from_list`. Every random choice comes from the projection's own
//! stream, so adding a projection never changes another one.

use rand::seq::index::sample;
use rand::Rng as _;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::rng::Rng;
use crate::{ensure, Result};

/// Which (pre, post) pairs a projection connects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Connector {
    /// Every pre to every post.
    AllToAll {
        /// Connect a neuron to itself when pre and post are the same population.
        #[serde(default = "yes")]
        allow_self: bool,
    },
    /// Pre i to post i (the populations must have equal sizes).
    OneToOne,
    /// Each ordered pair independently with probability `p` (Brian2 `connect(p=…)`).
    FixedProbability {
        /// Connection probability in [0, 1].
        p: f64,
        /// Connect a neuron to itself when pre and post are the same population.
        #[serde(default = "yes")]
        allow_self: bool,
    },
    /// Every post neuron receives exactly `k` synapses.
    FixedInDegree {
        /// In-degree.
        k: usize,
        /// Allow self-connections (same population only).
        #[serde(default = "yes")]
        allow_self: bool,
        /// Allow several synapses between the same pair (drawn with replacement).
        #[serde(default)]
        multapses: bool,
    },
    /// Every pre neuron makes exactly `k` synapses.
    FixedOutDegree {
        /// Out-degree.
        k: usize,
        /// Allow self-connections (same population only).
        #[serde(default = "yes")]
        allow_self: bool,
        /// Allow several synapses between the same pair (drawn with replacement).
        #[serde(default)]
        multapses: bool,
    },
    /// Explicit pairs: `pre[k] → post[k]`.
    FromList {
        /// Presynaptic indices.
        pre: Vec<u32>,
        /// Postsynaptic indices, same length as `pre`.
        post: Vec<u32>,
    },
}

fn yes() -> bool {
    true
}

impl Connector {
    /// Check the connector against the population sizes. `same` = pre and post are the same
    /// population (self-connections are then possible).
    pub fn validate(&self, path: &str, n_pre: usize, n_post: usize, same: bool) -> Result<()> {
        let avail_in = n_pre - usize::from(same && !self.allows_self());
        let avail_out = n_post - usize::from(same && !self.allows_self());
        match self {
            Connector::AllToAll { .. } => {}
            Connector::OneToOne => ensure!(
                n_pre == n_post,
                path,
                "one_to_one needs populations of equal size, got {n_pre} → {n_post}"
            ),
            Connector::FixedProbability { p, .. } => ensure!(
                (0.0..=1.0).contains(p),
                format!("{path}.p"),
                "must be in [0, 1], got {p}"
            ),
            Connector::FixedInDegree { k, multapses, .. } => ensure!(
                *multapses || *k <= avail_in,
                format!("{path}.k"),
                "in-degree {k} exceeds the {avail_in} possible partners (set multapses = true to draw with replacement)"
            ),
            Connector::FixedOutDegree { k, multapses, .. } => ensure!(
                *multapses || *k <= avail_out,
                format!("{path}.k"),
                "out-degree {k} exceeds the {avail_out} possible partners (set multapses = true to draw with replacement)"
            ),
            Connector::FromList { pre, post } => {
                ensure!(
                    pre.len() == post.len(),
                    format!("{path}.post"),
                    "has {} entries but pre has {}",
                    post.len(),
                    pre.len()
                );
                if let Some(&bad) = pre.iter().find(|&&i| i as usize >= n_pre) {
                    return Err(crate::Error::config(
                        format!("{path}.pre"),
                        format!("index {bad} is outside the presynaptic population (size {n_pre})"),
                    ));
                }
                if let Some(&bad) = post.iter().find(|&&i| i as usize >= n_post) {
                    return Err(crate::Error::config(
                        format!("{path}.post"),
                        format!(
                            "index {bad} is outside the postsynaptic population (size {n_post})"
                        ),
                    ));
                }
            }
        }
        if matches!(
            self,
            Connector::FixedInDegree {
                multapses: true,
                ..
            } | Connector::FixedOutDegree {
                multapses: true,
                ..
            }
        ) {
            ensure!(
                avail_in > 0 && avail_out > 0,
                path,
                "no possible partners to draw from"
            );
        }
        Ok(())
    }

    /// An upper bound of the number of synapses this connector makes (for size checks before
    /// drawing; `fixed_probability` counts its mean plus ten standard deviations).
    pub fn max_synapses(&self, n_pre: usize, n_post: usize) -> f64 {
        let (a, b) = (n_pre as f64, n_post as f64);
        match self {
            Connector::AllToAll { .. } => a * b,
            Connector::OneToOne => a,
            Connector::FixedProbability { p, .. } => {
                let m = a * b * p;
                m + 10.0 * m.sqrt()
            }
            Connector::FixedInDegree { k, .. } => b * *k as f64,
            Connector::FixedOutDegree { k, .. } => a * *k as f64,
            Connector::FromList { pre, .. } => pre.len() as f64,
        }
    }

    fn allows_self(&self) -> bool {
        match self {
            Connector::AllToAll { allow_self }
            | Connector::FixedProbability { allow_self, .. }
            | Connector::FixedInDegree { allow_self, .. }
            | Connector::FixedOutDegree { allow_self, .. } => *allow_self,
            Connector::OneToOne | Connector::FromList { .. } => true,
        }
    }

    /// Draw the pairs, in a fixed order (by pre for out-going connectors, by post for
    /// `fixed_in_degree`; the projection sorts them afterwards).
    pub fn pairs(&self, n_pre: usize, n_post: usize, same: bool, rng: &mut Rng) -> Vec<(u32, u32)> {
        let mut out = Vec::with_capacity(self.expected(n_pre, n_post));
        self.each_pair(n_pre, n_post, same, rng, |i, j| out.push((i, j)));
        out
    }

    /// About how many pairs [`pairs`](Connector::pairs) draws (a capacity hint).
    fn expected(&self, n_pre: usize, n_post: usize) -> usize {
        match self {
            Connector::FixedProbability { p, .. } if *p < 1.0 => {
                (n_pre as f64 * n_post as f64 * p.max(0.0) * 1.1) as usize + 16
            }
            _ => self.max_synapses(n_pre, n_post).min(1e9) as usize,
        }
    }

    /// Call `f(pre, post)` for every pair [`pairs`](Connector::pairs) draws, in its order,
    /// without holding them (one rank of a distributed build keeps only some).
    pub fn each_pair(
        &self,
        n_pre: usize,
        n_post: usize,
        same: bool,
        rng: &mut Rng,
        mut f: impl FnMut(u32, u32),
    ) {
        let no_self = same && !self.allows_self();
        match self {
            Connector::AllToAll { .. } => {
                for i in 0..n_pre {
                    for j in 0..n_post {
                        if !(no_self && i == j) {
                            f(i as u32, j as u32);
                        }
                    }
                }
            }
            Connector::OneToOne => (0..n_pre as u32).for_each(|i| f(i, i)),
            Connector::FixedProbability { p, .. } => {
                // Geometric skipping over the n_pre × n_post grid (row-major by pre): the same
                // law as one Bernoulli draw per pair, in O(synapses) time.
                let total = (n_pre as u64) * (n_post as u64);
                if *p >= 1.0 {
                    return Connector::AllToAll {
                        allow_self: !no_self,
                    }
                    .each_pair(n_pre, n_post, same, rng, f);
                }
                if *p <= 0.0 {
                    return;
                }
                super::bernoulli_hits(total, *p, rng, |pos| {
                    let (i, j) = (pos / n_post as u64, pos % n_post as u64);
                    if !(no_self && i == j) {
                        f(i as u32, j as u32);
                    }
                });
            }
            Connector::FixedInDegree { k, multapses, .. } => {
                for j in 0..n_post {
                    draw_partners(*k, n_pre, no_self.then_some(j), *multapses, rng, |i| {
                        f(i as u32, j as u32)
                    });
                }
            }
            Connector::FixedOutDegree { k, multapses, .. } => {
                for i in 0..n_pre {
                    draw_partners(*k, n_post, no_self.then_some(i), *multapses, rng, |j| {
                        f(i as u32, j as u32)
                    });
                }
            }
            Connector::FromList { pre, post } => pre.iter().zip(post).for_each(|(&i, &j)| f(i, j)),
        }
    }
}

/// Draw `k` partners out of `0..n`, skipping `exclude`, with or without replacement.
fn draw_partners(
    k: usize,
    n: usize,
    exclude: Option<usize>,
    multapses: bool,
    rng: &mut Rng,
    mut push: impl FnMut(usize),
) {
    let avail = n - usize::from(exclude.is_some());
    let map = |x: usize| match exclude {
        Some(e) if x >= e => x + 1,
        _ => x,
    };
    if multapses {
        for _ in 0..k {
            push(map(rng.random_range(0..avail)));
        }
    } else {
        let mut picked: Vec<usize> = sample(rng, avail, k).into_iter().map(map).collect();
        picked.sort_unstable();
        for x in picked {
            push(x);
        }
    }
}

/// A number per element: a constant, a distribution, or an explicit array. Used for weights,
/// delays and initial values of state variables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Value {
    /// The same value everywhere.
    Constant {
        /// The value.
        value: f64,
    },
    /// Uniform on [low, high).
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal; `clip` bounds the draws (Brian2 `clip(x, low, high)`), the default is no clip.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation ≥ 0.
        sd: f64,
        /// Draws below are set to this value.
        #[serde(default)]
        clip_low: Option<f64>,
        /// Draws above are set to this value.
        #[serde(default)]
        clip_high: Option<f64>,
    },
    /// One value per element, in element order.
    Array {
        /// The values.
        values: Vec<f64>,
    },
}

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Value::Constant { value }
    }
}

impl Value {
    /// Check the specification; `n` is the number of elements it must cover.
    pub fn validate(&self, path: &str, n: usize) -> Result<()> {
        match self {
            Value::Constant { value } => {
                ensure!(value.is_finite(), path, "must be finite, got {value}")
            }
            Value::Uniform { low, high } => ensure!(
                low.is_finite() && high.is_finite() && low <= high,
                path,
                "uniform needs finite low ≤ high, got [{low}, {high}]"
            ),
            Value::Normal { mean, sd, .. } => ensure!(
                mean.is_finite() && sd.is_finite() && *sd >= 0.0,
                path,
                "normal needs a finite mean and sd ≥ 0, got mean {mean}, sd {sd}"
            ),
            Value::Array { values } => {
                ensure!(
                    values.len() == n,
                    path,
                    "array has {} values, {n} needed (one per element)",
                    values.len()
                );
                if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
                    return Err(crate::Error::config(path, format!("contains {bad}")));
                }
            }
        }
        Ok(())
    }

    /// Smallest and largest value this specification can produce (for range checks).
    pub fn bounds(&self) -> (f64, f64) {
        match self {
            Value::Constant { value } => (*value, *value),
            Value::Uniform { low, high } => (*low, *high),
            Value::Normal {
                clip_low,
                clip_high,
                ..
            } => (
                clip_low.unwrap_or(f64::NEG_INFINITY),
                clip_high.unwrap_or(f64::INFINITY),
            ),
            Value::Array { values } => values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                }),
        }
    }

    /// `n` values; random ones are drawn from `rng` in element order.
    pub fn sample(&self, n: usize, rng: &mut Rng) -> Vec<f64> {
        match self {
            Value::Constant { value } => vec![*value; n],
            Value::Uniform { low, high } => (0..n)
                .map(|_| low + (high - low) * rng.random::<f64>())
                .collect(),
            Value::Normal {
                mean,
                sd,
                clip_low,
                clip_high,
            } => {
                let normal = Normal::new(*mean, *sd).expect("validated sd ≥ 0");
                (0..n)
                    .map(|_| {
                        let x: f64 = normal.sample(rng);
                        x.max(clip_low.unwrap_or(f64::NEG_INFINITY))
                            .min(clip_high.unwrap_or(f64::INFINITY))
                    })
                    .collect()
            }
            Value::Array { values } => values.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{component, Stream};

    fn rng() -> Rng {
        component(7, Stream::Connect, 0)
    }

    #[test]
    fn fixed_probability_has_binomial_count() {
        let (n, p) = (2000usize, 0.02);
        let pairs = Connector::FixedProbability {
            p,
            allow_self: true,
        }
        .pairs(n, n, true, &mut rng());
        let expected = (n * n) as f64 * p;
        let sd = (expected * (1.0 - p)).sqrt();
        assert!(
            ((pairs.len() as f64) - expected).abs() < 5.0 * sd,
            "{}",
            pairs.len()
        );
        // out-degree spread matches Binomial(n, p)
        let mut deg = vec![0usize; n];
        for &(i, _) in &pairs {
            deg[i as usize] += 1;
        }
        let mean = deg.iter().sum::<usize>() as f64 / n as f64;
        let var = deg.iter().map(|&d| (d as f64 - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            (var / (n as f64 * p * (1.0 - p)) - 1.0).abs() < 0.15,
            "var {var}"
        );
        // no duplicates, sorted by (pre, post)
        assert!(pairs.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn fixed_probability_without_self() {
        let pairs = Connector::FixedProbability {
            p: 0.5,
            allow_self: false,
        }
        .pairs(50, 50, true, &mut rng());
        assert!(pairs.iter().all(|&(i, j)| i != j));
    }

    #[test]
    fn fixed_degrees_are_exact() {
        let c = Connector::FixedInDegree {
            k: 10,
            allow_self: false,
            multapses: false,
        };
        c.validate("p", 30, 30, true).unwrap();
        let pairs = c.pairs(30, 30, true, &mut rng());
        for j in 0..30u32 {
            let pre: Vec<u32> = pairs.iter().filter(|p| p.1 == j).map(|p| p.0).collect();
            assert_eq!(pre.len(), 10);
            assert!(!pre.contains(&j));
            assert!(pre.windows(2).all(|w| w[0] < w[1]), "distinct");
        }
        let c = Connector::FixedOutDegree {
            k: 7,
            allow_self: true,
            multapses: true,
        };
        let pairs = c.pairs(20, 5, false, &mut rng());
        for i in 0..20u32 {
            assert_eq!(pairs.iter().filter(|p| p.0 == i).count(), 7);
        }
    }

    #[test]
    fn impossible_degree_is_an_error_naming_the_key() {
        let c = Connector::FixedInDegree {
            k: 30,
            allow_self: false,
            multapses: false,
        };
        let err = c
            .validate("projections.ee.connector", 30, 30, true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("projections.ee.connector.k"), "{err}");
        assert!(err.contains("29"), "{err}");
    }

    #[test]
    fn values_sample_in_range() {
        let v = Value::Normal {
            mean: 4.0,
            sd: 1.5,
            clip_low: Some(0.0),
            clip_high: None,
        };
        let x = v.sample(10_000, &mut rng());
        assert!(x.iter().all(|&x| x >= 0.0));
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        assert!((mean - 4.0).abs() < 0.05, "{mean}");
        assert!(Value::Array { values: vec![1.0] }.validate("w", 2).is_err());
    }
}

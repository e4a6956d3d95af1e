//! The engine against a naive dense implementation of the lab-code step
//! (`shared/reference/sorn.md` §1, written as directly as possible: dense matrices, masks,
//! no caching, no push delivery). Noise and structural plasticity are off so that both are
//! deterministic from the same state; SP and noise have their own tests.
//!
//! An independent numpy port of delpapa/SORN agreed with the engine in the same way (same
//! spikes for 300 steps, weights within 3e-16), see the foundation issue's closing note.

use neuroplast_core::sorn::input::Input;
use neuroplast_core::sorn::{IstdpFloor, Preset, Rule, Sorn, SornParams, ThresholdTest};

struct Dense {
    p: SornParams,
    w_ee: Vec<Vec<f64>>,
    w_ei: Vec<Vec<f64>>,
    w_ie: Vec<Vec<f64>>,
    te: Vec<f64>,
    ti: Vec<f64>,
    x: Vec<f64>,
    y: Vec<f64>,
}

fn dot(row: &[f64], v: &[f64]) -> f64 {
    row.iter().zip(v).map(|(a, b)| a * b).sum()
}

impl Dense {
    fn of(net: &Sorn) -> Dense {
        Dense {
            p: net.params().clone(),
            w_ee: net.w_ee().to_dense(),
            w_ei: net.w_ei().to_dense(),
            w_ie: net.w_ie().to_dense(),
            te: net.te().to_vec(),
            ti: net.ti().to_vec(),
            x: net.x().to_vec(),
            y: net.y().to_vec(),
        }
    }

    /// One step with real-valued input `u` added to E units 0 … u.len() − 1.
    // Index loops on purpose: the reference mirrors the equations' W_ij notation.
    #[allow(clippy::needless_range_loop)]
    fn step(&mut self, u: &[f64]) {
        let p = &self.p;
        let fire = |r: f64| match p.threshold_test {
            ThresholdTest::Ge => f64::from(u8::from(r >= 0.0)),
            ThresholdTest::Gt => f64::from(u8::from(r > 0.0)),
        };
        let ne = self.x.len();
        let x_new: Vec<f64> = (0..ne)
            .map(|i| {
                let r = dot(&self.w_ee[i], &self.x) - dot(&self.w_ei[i], &self.y) - self.te[i];
                fire(r + u.get(i).copied().unwrap_or(0.0))
            })
            .collect();
        let xs = if p.fast_inhibit { &x_new } else { &self.x };
        let y_new: Vec<f64> = (0..self.y.len())
            .map(|k| fire(dot(&self.w_ie[k], xs) - self.ti[k]))
            .collect();
        let on = |r| p.plasticity.contains(&r);
        if on(Rule::Ip) {
            for i in 0..ne {
                self.te[i] = (self.te[i] + p.eta_ip * (x_new[i] - p.h_ip))
                    .clamp(p.ip_clamp[0], p.ip_clamp[1]);
            }
        }
        if on(Rule::Stdp) {
            for i in 0..ne {
                for j in 0..ne {
                    let w = &mut self.w_ee[i][j];
                    if *w > 0.0 {
                        *w += p.eta_stdp * (x_new[i] * self.x[j] - self.x[i] * x_new[j]);
                        *w = w.min(p.w_ee_max);
                        if *w < p.prune_below || *w <= 0.0 {
                            *w = 0.0;
                        }
                    }
                }
            }
        }
        if on(Rule::Istdp) {
            for i in 0..ne {
                for k in 0..self.y.len() {
                    let w = &mut self.w_ei[i][k];
                    if *w > 0.0 {
                        *w += -p.eta_istdp * self.y[k] * (1.0 - x_new[i] * (1.0 + 1.0 / p.mu_ip));
                        if *w <= 0.0 {
                            *w = match p.istdp_floor {
                                IstdpFloor::Keep { weight } => weight,
                                IstdpFloor::Remove => 0.0,
                            };
                        }
                        *w = w.min(1.0);
                    }
                }
            }
        }
        if on(Rule::Sn) {
            for w in self.w_ee.iter_mut().chain(self.w_ei.iter_mut()) {
                let s: f64 = w.iter().sum();
                if s > 0.0 {
                    w.iter_mut().for_each(|v| *v /= s);
                }
            }
        }
        self.x = x_new;
        self.y = y_new;
    }
}

/// A deterministic (units × steps) input pattern in [0, 1).
fn pattern(units: usize, steps: usize) -> Vec<f64> {
    (0..units * steps)
        .map(|n| ((n * 7919) % 1000) as f64 / 1000.0)
        .collect()
}

fn compare(mut p: SornParams, seed: u64, steps: usize, input_units: usize) {
    p.noise_sigma = 0.0;
    p.plasticity.retain(|r| *r != Rule::Sp);
    let ne = p.ne;
    let mut net = Sorn::new(p, seed).unwrap();
    let mut dense = Dense::of(&net);
    let data = pattern(input_units, steps);
    let mut input = if input_units == 0 {
        Input::None
    } else {
        let units = (0..input_units as u32).collect();
        Input::matrix(units, data.clone(), [input_units, steps], false, ne, "test").unwrap()
    };
    let mut active = 0.0;
    for t in 1..=steps {
        net.step(&mut input);
        let u: Vec<f64> = (0..input_units).map(|k| data[k * steps + t - 1]).collect();
        dense.step(&u);
        assert_eq!(net.x(), &dense.x[..], "x differs at step {t}");
        assert_eq!(net.y(), &dense.y[..], "y differs at step {t}");
        active += net.x().iter().sum::<f64>();
    }
    assert!(active > 0.0, "the comparison must see activity");
    for (name, ours, theirs) in [
        ("W_EE", net.w_ee().to_dense(), &dense.w_ee),
        ("W_EI", net.w_ei().to_dense(), &dense.w_ei),
    ] {
        for (a, b) in ours.iter().flatten().zip(theirs.iter().flatten()) {
            assert!((a - b).abs() <= 1e-12, "{name}: {a} vs {b}");
            assert_eq!(*a == 0.0, *b == 0.0, "{name}: structure differs");
        }
    }
    for (a, b) in net.te().iter().zip(&dense.te) {
        assert!((a - b).abs() <= 1e-12);
    }
}

#[test]
fn engine_equals_dense_reference_lab_presets() {
    compare(Preset::Delpapa2017.params(60), 5, 600, 0);
    compare(Preset::Zheng2013.params(60), 6, 600, 0);
    compare(Preset::Lazar2009.params(60), 7, 600, 6);
}

#[test]
fn engine_equals_dense_reference_sorn_package() {
    // Strict threshold, x(t) inhibition, clamp, removal at the iSTDP floor; with the
    // package's usual input (real values on units 0 … nu − 1) because without noise or input
    // a fresh package network never fires (its issue #18).
    let mut p = Preset::SornPackage.params(100);
    p.h_ip = 0.1;
    compare(p, 8, 600, 10);
}

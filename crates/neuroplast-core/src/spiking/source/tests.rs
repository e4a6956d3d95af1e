//! Tests of the current generators and spike sources.

use super::current::*;
use super::spikes::*;
use super::*;
use crate::rng::Rng;
use crate::spiking::neuron::NeuronModel;

use crate::rng::{component, Stream};

fn rng() -> Rng {
    component(1, Stream::CurrentNoise, 0)
}

/// The memoised min/max rate follows every change of the rates: through `state_mut`
/// (silent → certain spikes, one → per-neuron rates) and through the schedule.
#[test]
fn rate_range_memo_follows_the_rates() {
    let p = PoissonParams {
        rate: 0.0,
        schedule: vec![RateChange { at: 3.0, rate: 0.0 }],
        ..Default::default()
    };
    let mut src = PoissonSource::new(&p, 4, 1.0, rng()).unwrap();
    let mut spikes = Vec::new();
    src.step(&mut [], &[], &mut spikes);
    assert!(spikes.is_empty());
    src.state_mut("rate").unwrap().fill(1000.0); // p = 1 per 1 ms step
    src.step(&mut [], &[], &mut spikes);
    assert_eq!(spikes, [0, 1, 2, 3]);
    spikes.clear();
    src.state_mut("rate")
        .unwrap()
        .copy_from_slice(&[0.0, 1000.0, 0.0, 1000.0]);
    src.step(&mut [], &[], &mut spikes);
    assert_eq!(spikes, [1, 3]);
    spikes.clear();
    src.step(&mut [], &[], &mut spikes); // step 3: the schedule silences all
    assert!(spikes.is_empty());
}

fn trace(w: &Waveform, steps: u64) -> Vec<f64> {
    let mut s = CurrentSource::new("s", w, 0, vec![0], 0.1, rng()).unwrap();
    (0..steps)
        .map(|t| {
            let mut x = 0.0;
            s.apply(t, |_, a| x += a);
            x
        })
        .collect()
}

#[test]
fn waveforms() {
    let dc = trace(
        &Waveform::Dc {
            amplitude: 2.0,
            start: 0.2,
            stop: Some(0.5),
        },
        8,
    );
    assert_eq!(dc, vec![0.0, 0.0, 2.0, 2.0, 2.0, 0.0, 0.0, 0.0]);
    let st = trace(
        &Waveform::Step {
            times: vec![0.1, 0.3],
            amplitudes: vec![1.0, -1.0],
        },
        5,
    );
    assert_eq!(st, vec![0.0, 1.0, 1.0, -1.0, -1.0]);
    let pu = trace(
        &Waveform::Pulses {
            amplitude: 5.0,
            start: 0.1,
            width: 0.2,
            period: 0.4,
            count: 2,
        },
        12,
    );
    assert_eq!(
        pu,
        vec![0.0, 5.0, 5.0, 0.0, 0.0, 5.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    let ra = trace(
        &Waveform::Ramp {
            from: 0.0,
            to: 1.0,
            start: 0.0,
            stop: 0.4,
        },
        5,
    );
    assert_eq!(ra, vec![0.0, 0.25, 0.5, 0.75, 0.0]);
    // 1 kHz sine sampled at 0.1 ms: a quarter period after 2.5 steps; phase 90° = cos
    let si = trace(
        &Waveform::Sine {
            amplitude: 1.0,
            offset: 0.5,
            frequency: 1000.0,
            phase: 90.0,
            start: 0.0,
            stop: None,
        },
        11,
    );
    assert!(
        (si[0] - 1.5).abs() < 1e-12 && (si[5] + 0.5).abs() < 1e-12 && (si[10] - 1.5).abs() < 1e-12
    );
}

#[test]
fn random_pulses_hit_each_neuron_with_probability_p() {
    let n = 1000;
    let mut s = CurrentSource::new(
        "s",
        &Waveform::RandomPulses {
            amplitude: 20.0,
            probability: 0.01,
            start: 0.0,
            stop: None,
        },
        0,
        (0..n).collect(),
        1.0,
        rng(),
    )
    .unwrap();
    let mut hits = vec![0u32; n as usize];
    for t in 0..2000 {
        s.apply(t, |j, a| {
            assert_eq!(a, 20.0);
            hits[j as usize] += 1;
        });
    }
    // 2·10⁶ trials at p = 0.01: 20 000 ± 5·√(2·10⁴·0.99)
    let total: u32 = hits.iter().sum();
    assert!((f64::from(total) - 20_000.0).abs() < 705.0, "{total}");
    // per neuron Binomial(2000, 0.01): mean 20, variance 19.8
    let var = hits
        .iter()
        .map(|&h| (f64::from(h) - 20.0).powi(2))
        .sum::<f64>()
        / f64::from(n);
    assert!((var / 19.8 - 1.0).abs() < 0.2, "{var}");
}

#[test]
fn noise_has_the_requested_moments_and_hold() {
    let n = trace(
        &Waveform::Noise {
            mean: 1.0,
            stdev: 2.0,
            dt: Some(0.2),
            start: 0.0,
            stop: None,
        },
        40_000,
    );
    assert!(n.chunks(2).all(|c| c[0] == c[1]), "held for two steps");
    let mean = n.iter().sum::<f64>() / n.len() as f64;
    let var = n.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n.len() as f64;
    assert!(
        (mean - 1.0).abs() < 0.05 && (var.sqrt() - 2.0).abs() < 0.05,
        "{mean} {var}"
    );
}

#[test]
fn off_grid_times_are_rejected() {
    let err = CurrentSource::new(
        "sources.pulse",
        &Waveform::Dc {
            amplitude: 1.0,
            start: 0.15,
            stop: None,
        },
        0,
        vec![0],
        0.1,
        rng(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("sources.pulse.start") && err.contains("whole number"),
        "{err}"
    );
}

/// The currents of `sources` over `steps` steps, accumulated per neuron of a population
/// of `n` as the network does (in source order).
fn currents(sources: &mut [CurrentSource], n: usize, steps: u64) -> Vec<Vec<u64>> {
    (0..steps)
        .map(|t| {
            let mut c = vec![0.0f64; n];
            for s in sources.iter_mut() {
                s.apply(t, |j, a| c[j as usize] += a);
            }
            c.iter().map(|x| x.to_bits()).collect()
        })
        .collect()
}

/// A DC source with per-neuron amplitudes gives, bit for bit, the currents of one DC
/// source per neuron; so do the other deterministic waveforms with per-target values of
/// each of their amplitude parameters (targets given out of order).
#[test]
fn per_target_values_equal_one_source_per_neuron() {
    let n = 7;
    let neurons: Vec<u32> = vec![5, 0, 3, 6, 1, 4, 2];
    let vals =
        |a: f64, b: f64| -> Vec<f64> { neurons.iter().map(|&j| a + b * f64::from(j)).collect() };
    let dc = Waveform::Dc {
        amplitude: 1.0,
        start: 0.2,
        stop: Some(1.0),
    };
    let step = Waveform::Step {
        times: vec![0.1, 0.4, 0.7],
        amplitudes: vec![1.0, -2.0, 0.5],
    };
    let pulses = Waveform::Pulses {
        amplitude: 2.0,
        start: 0.1,
        width: 0.2,
        period: 0.3,
        count: 3,
    };
    let ramp = Waveform::Ramp {
        from: 0.0,
        to: 1.0,
        start: 0.1,
        stop: 0.9,
    };
    let sine = Waveform::Sine {
        amplitude: 1.0,
        offset: 0.5,
        frequency: 700.0,
        phase: 30.0,
        start: 0.1,
        stop: None,
    };
    // (waveform, per-target values, the waveform of target j)
    type Own = Box<dyn Fn(u32) -> Waveform>;
    type PerTarget = Vec<(String, Vec<f64>)>;
    let cases: Vec<(Waveform, PerTarget, Own)> = vec![
        (
            dc.clone(),
            vec![("amplitude".into(), vals(0.3, 0.17))],
            Box::new(|j| Waveform::Dc {
                amplitude: 0.3 + 0.17 * f64::from(j),
                start: 0.2,
                stop: Some(1.0),
            }),
        ),
        (
            step.clone(),
            vec![(
                "amplitudes".into(),
                neurons
                    .iter()
                    .flat_map(|&j| [1.0, -2.0 + 0.1 * f64::from(j), 0.5 * f64::from(j)])
                    .collect(),
            )],
            Box::new(|j| Waveform::Step {
                times: vec![0.1, 0.4, 0.7],
                amplitudes: vec![1.0, -2.0 + 0.1 * f64::from(j), 0.5 * f64::from(j)],
            }),
        ),
        (
            pulses.clone(),
            vec![("amplitude".into(), vals(-1.0, 0.5))],
            Box::new(|j| Waveform::Pulses {
                amplitude: -1.0 + 0.5 * f64::from(j),
                start: 0.1,
                width: 0.2,
                period: 0.3,
                count: 3,
            }),
        ),
        (
            ramp.clone(),
            vec![("to".into(), vals(2.0, -0.3))],
            Box::new(|j| Waveform::Ramp {
                from: 0.0,
                to: 2.0 - 0.3 * f64::from(j),
                start: 0.1,
                stop: 0.9,
            }),
        ),
        (
            sine.clone(),
            vec![
                ("amplitude".into(), vals(0.2, 0.13)),
                ("offset".into(), vals(-0.1, 0.07)),
            ],
            Box::new(|j| Waveform::Sine {
                amplitude: 0.2 + 0.13 * f64::from(j),
                offset: -0.1 + 0.07 * f64::from(j),
                frequency: 700.0,
                phase: 30.0,
                start: 0.1,
                stop: None,
            }),
        ),
    ];
    for (w, per, own) in cases {
        let mut one =
            [
                CurrentSource::new_per_target("s", &w, 0, neurons.clone(), &per, 0.1, rng())
                    .unwrap(),
            ];
        let mut each: Vec<CurrentSource> = (0..n as u32)
            .map(|j| CurrentSource::new("s", &own(j), 0, vec![j], 0.1, rng()).unwrap())
            .collect();
        let (a, b) = (currents(&mut one, n, 20), currents(&mut each, n, 20));
        assert_eq!(a, b, "{}", w.kind());
        assert!(a.iter().flatten().any(|&x| x != 0), "{}", w.kind());
    }
}

/// Random waveforms: per-target values all equal to the waveform's give the scalar
/// source's currents bit for bit (the same draws); different values scale each target.
#[test]
fn random_waveforms_with_per_target_values() {
    let n = 50;
    let neurons: Vec<u32> = (0..n as u32).collect();
    let noise = Waveform::Noise {
        mean: 0.5,
        stdev: 0.2,
        dt: Some(0.2),
        start: 0.0,
        stop: None,
    };
    let pulses = Waveform::RandomPulses {
        amplitude: 3.0,
        probability: 0.2,
        start: 0.0,
        stop: None,
    };
    let pick = Waveform::RandomNeurons {
        amplitude: 3.0,
        count: 4,
        start: 0.0,
        stop: None,
    };
    for (w, per) in [
        (
            &noise,
            vec![
                ("mean".to_string(), vec![0.5; n]),
                ("stdev".to_string(), vec![0.2; n]),
            ],
        ),
        (&pulses, vec![("amplitude".to_string(), vec![3.0; n])]),
        (&pick, vec![("amplitude".to_string(), vec![3.0; n])]),
    ] {
        let mut plain = [CurrentSource::new("s", w, 0, neurons.clone(), 0.1, rng()).unwrap()];
        let mut per = [
            CurrentSource::new_per_target("s", w, 0, neurons.clone(), &per, 0.1, rng()).unwrap(),
        ];
        let a = currents(&mut plain, n, 200);
        assert_eq!(a, currents(&mut per, n, 200), "{}", w.kind());
    }
    // amplitude k·0.1 for target k: every hit of target k carries exactly that
    let amps: Vec<f64> = (0..n).map(|k| 0.1 * k as f64).collect();
    let mut s = CurrentSource::new_per_target(
        "s",
        &pulses,
        0,
        neurons.clone(),
        &[("amplitude".into(), amps.clone())],
        0.1,
        rng(),
    )
    .unwrap();
    let mut hits = 0;
    for t in 0..100 {
        s.apply(t, |j, a| {
            assert_eq!(a, amps[j as usize]);
            hits += 1;
        });
    }
    assert!(hits > 500, "{hits}");
}

#[test]
fn bad_per_target_values_name_the_key() {
    let dc = Waveform::Dc {
        amplitude: 1.0,
        start: 0.0,
        stop: None,
    };
    let err = |w: &Waveform, neurons: Vec<u32>, per: Vec<(String, Vec<f64>)>| {
        CurrentSource::new_per_target("sources.b.waveform", w, 0, neurons, &per, 0.1, rng())
            .unwrap_err()
            .to_string()
    };
    let e = err(&dc, vec![0, 1], vec![("mean".into(), vec![1.0, 2.0])]);
    assert!(
        e.contains("sources.b.waveform.mean") && e.contains("takes per-target values of amplitude"),
        "{e}"
    );
    let e = err(&dc, vec![0, 1], vec![("amplitude".into(), vec![1.0])]);
    assert!(
        e.contains("sources.b.waveform.amplitude") && e.contains("one per target neuron: 2"),
        "{e}"
    );
    let e = err(
        &dc,
        vec![0, 1, 2],
        vec![("amplitude".into(), vec![1.0, f64::NAN, 0.0])],
    );
    assert!(e.contains("sources.b.waveform.amplitude[1]"), "{e}");
    let e = err(&dc, vec![4, 1, 4], vec![("amplitude".into(), vec![1.0; 3])]);
    assert!(e.contains("neuron 4 is a target twice"), "{e}");
    let noise = Waveform::Noise {
        mean: 0.0,
        stdev: 1.0,
        dt: None,
        start: 0.0,
        stop: None,
    };
    let e = err(&noise, vec![0, 1], vec![("stdev".into(), vec![1.0, -1.0])]);
    assert!(
        e.contains("sources.b.waveform.stdev[1]") && e.contains("≥ 0"),
        "{e}"
    );
    let step = Waveform::Step {
        times: vec![0.0, 1.0],
        amplitudes: vec![1.0, 2.0],
    };
    assert_eq!(step.per_target_len("amplitudes", 3), Some(6));
    let e = err(
        &step,
        vec![0, 1, 2],
        vec![("amplitudes".into(), vec![1.0; 3])],
    );
    assert!(e.contains("needs 6 values (2 per target neuron"), "{e}");
}

#[test]
fn poisson_rate_and_spike_array() {
    let p = PoissonParams {
        rate: 50.0,
        ..Default::default()
    };
    let mut src = PoissonSource::new(&p, 100, 0.1, rng()).unwrap();
    let mut spikes = Vec::new();
    for _ in 0..10_000 {
        src.step(&mut [], &[], &mut spikes);
    }
    // 100 neurons × 1 s × 50 Hz = 5000 ± 5 sd
    assert!(
        (spikes.len() as f64 - 5000.0).abs() < 5.0 * 5000f64.sqrt(),
        "{}",
        spikes.len()
    );
    // per-neuron rates (thinning): 0, 2, 20 and 80 Hz, 250 neurons each, 10 s at 0.1 ms;
    // counts within 5 sd of rate × 2500 neuron-seconds, per group
    let mut src = PoissonSource::new(&p, 1000, 0.1, rng()).unwrap();
    let rates = [0.0, 2.0, 20.0, 80.0];
    for (i, r) in src.rate.iter_mut().enumerate() {
        *r = rates[i / 250];
    }
    let mut counts = [0u64; 4];
    let mut s = Vec::new();
    for _ in 0..100_000 {
        s.clear();
        src.step(&mut [], &[], &mut s);
        for &k in &s {
            counts[k as usize / 250] += 1;
        }
    }
    for (g, &r) in rates.iter().enumerate() {
        let want = r * 2500.0;
        let got = counts[g] as f64;
        assert!(
            (got - want).abs() <= 5.0 * want.sqrt(),
            "{r} Hz: {got} vs {want}"
        );
    }
    let a = SpikeArrayParams {
        spike_times: vec![vec![0.2, 0.5], vec![0.2]],
    };
    let mut src = SpikeArraySource::new(&a, 0, 2, 0.1).unwrap();
    let mut out = Vec::new();
    for t in 0..7 {
        let mut s = Vec::new();
        src.step(&mut [], &[], &mut s);
        out.push((t, s));
    }
    assert_eq!(out[2].1, vec![0, 1]);
    assert_eq!(out[5].1, vec![0]);
    assert!(out[0].1.is_empty() && out[6].1.is_empty());
}

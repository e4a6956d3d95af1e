//! Per-neuron parameters of every model in the registry: each parameter of each model's
//! parameter table, given one value per neuron, gives each neuron the bits of a one-neuron
//! population with that value, and changes the run; and per-neuron `i_offset` equals the same
//! values given as a per-target DC source.

use neuroplast_core::rng::{component, Rng, Stream};
use neuroplast_core::spiking::neuron::*;
use neuroplast_core::spiking::source::{CurrentSource, Waveform};
use rand::{Rng as _, SeedableRng as _};

/// Inputs of a run: time step, steps, external current range (nA; none on every third step)
/// and the largest weight per receptor (each neuron, receptor and step: probability 0.1).
struct Drive {
    dt: f64,
    steps: usize,
    current: (f64, f64),
    syn: &'static [f64],
}

/// Every model of the registry that takes input, with a drive that makes it fire. A model
/// added to the `models!` list without a line here fails `every_model_has_a_drive`.
fn model(name: &str) -> Option<(ModelSpec, Drive)> {
    let d = |dt, steps, current, syn| Drive {
        dt,
        steps,
        current,
        syn,
    };
    Some(match name {
        "IF_cond_exp" => (
            ModelSpec::IF_cond_exp(IfCondExpParams::default()),
            d(0.1, 2000, (0.0, 1.6), &[0.02, 0.02]),
        ),
        "IF_curr_exp" => (
            ModelSpec::IF_curr_exp(IfCurrExpParams::default()),
            d(0.1, 2000, (0.0, 1.6), &[1.0, 0.5]),
        ),
        "IF_curr_alpha" => (
            ModelSpec::IF_curr_alpha(IfCurrAlphaParams::default()),
            d(0.1, 2000, (0.0, 1.6), &[2.0, 1.0]),
        ),
        "IF_cond_alpha" => (
            ModelSpec::IF_cond_alpha(IfCondAlphaParams::default()),
            d(0.1, 2000, (0.0, 1.6), &[0.05, 0.05]),
        ),
        "LIF_neurapse" => (
            ModelSpec::LIF_neurapse(LifNeurapseParams::default()),
            d(0.1, 2000, (0.0, 9.0), &[3.0]),
        ),
        "EIF_cond_exp_isfa_ista" => (
            ModelSpec::EIF_cond_exp_isfa_ista(AdExParams::default()),
            d(0.1, 2000, (0.0, 2.0), &[0.02, 0.02]),
        ),
        "Izhikevich" => (
            ModelSpec::Izhikevich(IzhikevichParams::default()),
            d(0.5, 1000, (0.0, 12.0), &[4.0]),
        ),
        "Izhikevich2007" => (
            ModelSpec::Izhikevich2007(Izhikevich2007Params::default()),
            d(0.1, 2000, (0.0, 0.6), &[0.2]),
        ),
        "HH_squid" => (
            ModelSpec::HH_squid(HodgkinHuxleyParams::default()),
            d(0.01, 2000, (0.0, 15.0), &[5.0]),
        ),
        "HH_cond_exp" => (
            ModelSpec::HH_cond_exp(HhCondExpParams::default()),
            d(0.01, 3000, (0.0, 2.0), &[0.02, 0.005]),
        ),
        "SORF" => (
            ModelSpec::SORF(SorfParams::default()),
            d(0.5, 1000, (-5.0, 25.0), &[0.4, 0.1, 0.2, 0.05]),
        ),
        // the model library's IF_cond_exp as equations (receptors v, g_exc, g_inh)
        "equations" => (
            ModelSpec::equations(library_if_cond_exp()),
            d(0.1, 2000, (0.0, 1.6), &[1e-3, 0.02, 0.02]),
        ),
        _ => return None,
    })
}

fn library_if_cond_exp() -> EquationParams {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/models/IF_cond_exp.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    #[derive(serde::Deserialize)]
    struct File {
        models: std::collections::BTreeMap<String, neuroplast_core::lang::ModelSource>,
    }
    let f: File = toml::from_str(&text).unwrap();
    EquationParams::new("IF_cond_exp_eq", &f.models["IF_cond_exp"]).unwrap()
}

/// Spike sources: no input, parameters checked elsewhere (`source.rs`).
const SOURCES: &[&str] = &["SpikeSourcePoisson", "SpikeSourceArray"];

fn build(spec: &ModelSpec, n: usize, dt: f64, per: &[(String, Vec<f64>)]) -> Neurons {
    let ctx = Build {
        dt_ms: dt,
        offset: 0,
        rng: component(1, Stream::Poisson, 0),
        per_neuron: per,
        precision: Default::default(),
    };
    spec.build(n, ctx).unwrap()
}

/// Run `models` (slices of `n` neurons starting at the given index) on the same inputs;
/// returns the spikes as (step, neuron) and each model's state bits by variable.
fn run(models: &mut [(Neurons, usize)], n: usize, drive: &Drive) -> Vec<(usize, u32)> {
    let mut rng = Rng::seed_from_u64(17);
    let r_n = models[0].0.receptors().len();
    let mut out = Vec::new();
    for t in 0..drive.steps {
        let current: Vec<f64> = if t % 3 == 2 {
            Vec::new()
        } else {
            (0..n)
                .map(|_| rng.random_range(drive.current.0..drive.current.1))
                .collect()
        };
        let syn: Vec<f64> = (0..n * r_n)
            .map(|k| {
                if rng.random::<f64>() < 0.1 {
                    rng.random_range(0.0..drive.syn[k % r_n])
                } else {
                    0.0
                }
            })
            .collect();
        for (m, lo) in models.iter_mut() {
            let len = m.len();
            let mut s = syn[*lo * r_n..(*lo + len) * r_n].to_vec();
            for r in 0..r_n {
                if let Some(g) = m.receptor_state(r) {
                    for (i, x) in g.iter_mut().enumerate() {
                        *x += s[i * r_n + r];
                        s[i * r_n + r] = 0.0;
                    }
                }
            }
            let c = if current.is_empty() {
                &[][..]
            } else {
                &current[*lo..*lo + len]
            };
            let mut spikes = Vec::new();
            m.step(&mut s, c, &mut spikes);
            out.extend(spikes.iter().map(|&i| (t, *lo as u32 + i)));
        }
    }
    out.sort_unstable();
    out
}

/// The bits of every state variable of neurons `models`, concatenated in neuron order.
fn bits(models: &[(Neurons, usize)]) -> Vec<(&'static str, Vec<u64>)> {
    let names = models[0].0.state_names();
    names
        .iter()
        .map(|&s| {
            let v = models
                .iter()
                .flat_map(|(m, _)| m.state(s).unwrap().iter().map(|x| x.to_bits()))
                .collect();
            (s, v)
        })
        .collect()
}

/// Per-neuron values of parameter `name` around `x0`, every neuron its own value: 10 % apart
/// in total across the population, or 0 … 0.5 when `x0 = 0`; refractory periods `x0` … `x0`
/// + 5 ms (they count whole steps).
fn spread(name: &str, x0: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let f = i as f64 / n as f64;
            if matches!(name, "tau_refrac" | "Rp") {
                x0 + 5.0 * f
            } else if x0 == 0.0 {
                0.5 * f
            } else {
                x0 * (1.0 + 0.1 * f)
            }
        })
        .collect()
}

#[test]
fn every_model_has_a_drive() {
    for name in ModelSpec::NAMES {
        assert!(
            model(name).is_some() || SOURCES.contains(name),
            "model {name}: add it to tests/it/per_neuron.rs"
        );
    }
}

/// Every parameter of every model's table, one value per neuron: the same spikes and state
/// bits as one-neuron populations with those values, and a different run than the plain
/// model (the parameter is used).
#[test]
fn every_parameter_of_every_model_works_per_neuron() {
    let n = 24;
    for name in ModelSpec::NAMES {
        let Some((spec, drive)) = model(name) else {
            continue;
        };
        let mut plain = [(build(&spec, n, drive.dt, &[]), 0)];
        let s_plain = run(&mut plain, n, &drive);
        assert!(s_plain.len() > 20, "{name}: {} spikes", s_plain.len());
        let b_plain = bits(&plain);
        for &param in spec.per_neuron_params() {
            let values = spread(param, spec.param(param).unwrap(), n);
            let per = [(param.to_string(), values.clone())];
            let mut many = [(build(&spec, n, drive.dt, &per), 0)];
            let mut ones: Vec<(Neurons, usize)> = (0..n)
                .map(|i| {
                    let mut s = spec.clone();
                    assert!(s.set_param(param, values[i]));
                    (build(&s, 1, drive.dt, &[]), i)
                })
                .collect();
            let s_many = run(&mut many, n, &drive);
            assert_eq!(s_many, run(&mut ones, n, &drive), "{name}.{param}: spikes");
            let b_many = bits(&many);
            assert_eq!(b_many, bits(&ones), "{name}.{param}: state");
            assert!(
                s_many != s_plain || b_many != b_plain,
                "{name}.{param}: per-neuron values change nothing"
            );
        }
    }
}

/// Per-neuron `i_offset` (IF_curr_exp, the CUBA neuron) and the same values given as the
/// per-target amplitudes of one DC source give the same spikes and membrane potentials, bit
/// for bit.
#[test]
fn per_neuron_i_offset_equals_a_per_target_dc_source() {
    let n = 200;
    let params = IfCurrExpParams {
        cm: 0.25,
        tau_m: 10.0,
        tau_refrac: 2.0,
        ..Default::default()
    };
    let mut rng = Rng::seed_from_u64(3);
    let offsets: Vec<f64> = (0..n).map(|_| rng.random_range(0.3..0.6)).collect();
    let spec = ModelSpec::IF_curr_exp(params);
    let mut by_param = build(&spec, n, 0.1, &[("i_offset".into(), offsets.clone())]);
    let mut by_source = build(&spec, n, 0.1, &[]);
    let mut dc = CurrentSource::new_per_target(
        "sources.bias.waveform",
        &Waveform::Dc {
            amplitude: 0.0,
            start: 0.0,
            stop: None,
        },
        0,
        (0..n as u32).collect(),
        &[("amplitude".into(), offsets)],
        0.1,
        component(1, Stream::CurrentNoise, 0),
    )
    .unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut current = vec![0.0; n];
    for t in 0..5000 {
        by_param.step(&mut [], &[], &mut a);
        current.fill(0.0);
        dc.apply(t, |j, x| current[j as usize] += x);
        by_source.step(&mut [], &current, &mut b);
    }
    assert_eq!(a, b);
    assert!(a.len() > 2000, "{} spikes", a.len());
    assert_eq!(by_param.state("v"), by_source.state("v"));
}

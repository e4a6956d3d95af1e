//! Plasticity rules written as equations in experiment files (`plasticity = { kind = "<name>" }`
//! naming a `[models.<name>]` synapse model): the same spikes and weights as the built-in rule
//! they re-express, bit-exact resumes at any thread count, the resolved file repeats the run,
//! the SORF protocol with its notebook models, and errors that name the key.

use std::path::{Path, PathBuf};

use neuroplast_config::protocol::ProtocolExperiment;
use neuroplast_config::spiking::SpikingExperiment;
use neuroplast_config::Experiment as _;
use neuroplast_core::checkpoint::{network_from_bytes, write_network};
use neuroplast_core::spiking::network::Network;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

/// 1000 Poisson inputs at 15 Hz onto 10 IF_cond_exp neurons, all-to-all, plastic; `{RULE}` is
/// the projection's rule table and `{MODELS}` the file's model tables.
const NET: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 2000.0
seed = 3

[populations.input]
model = "SpikeSourcePoisson"
n = 1000
params = { rate = 15.0 }

[populations.out]
model = "IF_cond_exp"
n = 10

[projections.ff]
pre = "input"
post = "out"
connector = { kind = "all_to_all" }
receptor = "excitatory"
weight = { kind = "uniform", low = 0.0, high = 0.004 }
delay_ms = { kind = "uniform", low = 0.1, high = 0.3 }
delay_rounding = "round"
plasticity = {RULE}

[record.out]
spikes = true
"#;

/// The library's pair STDP (Brian2's STDP example) under another name.
fn song_table() -> String {
    let lib = std::fs::read_to_string(example("models/pair_stdp.toml")).unwrap();
    let at = lib.find("[models.pair_stdp]").unwrap();
    lib[at..].replace("[models.pair_stdp]", "[models.song]")
}

fn experiment(
    rule: &str,
    models: &str,
    set: &[&str],
) -> neuroplast_config::Result<SpikingExperiment> {
    let text = format!("{}\n{models}", NET.replace("{RULE}", rule));
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    SpikingExperiment::from_str(&text, "t.toml", &set)
}

/// The error of a file that does not read or does not build.
fn error(rule: &str, models: &str) -> neuroplast_config::ConfigError {
    match experiment(rule, models, &[]) {
        Err(e) => e,
        Ok(exp) => exp.build().map(|_| ()).expect_err("should not build"),
    }
}

fn run(exp: &SpikingExperiment, threads: usize) -> Network {
    let mut net = exp.build().unwrap_or_else(|e| panic!("{e}"));
    net.set_threads(threads).unwrap();
    net.run(exp.steps());
    net
}

fn weights(net: &Network) -> Vec<f64> {
    net.projection("ff").unwrap().synapses.weights().to_vec()
}

/// Brian2's pair STDP written as equations (event-driven traces, `clip`) gives the built-in
/// `pair_stdp`'s spikes bit for bit over 2 s with delays of 0.1–0.3 ms, and the same weights to
/// rounding: the traces decay by the same table of exp(−k·dt/τ), but the equations keep the
/// postsynaptic trace per synapse (decayed from each synapse's last event) where the built-in
/// keeps it per neuron, so products of decay factors differ in the last bits.
#[test]
fn pair_stdp_as_equations_gives_the_builtin_spikes_and_weights() {
    let builtin = run(&experiment("{ kind = \"pair_stdp\" }", "", &[]).unwrap(), 1);
    let eq = run(
        &experiment("{ kind = \"song\" }", &song_table(), &[]).unwrap_or_else(|e| panic!("{e}")),
        1,
    );
    assert!(builtin.population("out").unwrap().spike_count() > 1000);
    assert_eq!(eq.spike_hash(), builtin.spike_hash());
    let (a, b) = (weights(&eq), weights(&builtin));
    // the weights as drawn, before any step
    let drawn = weights(
        &experiment("{ kind = \"pair_stdp\" }", "", &[])
            .unwrap()
            .build()
            .unwrap(),
    );
    let moved = a.iter().zip(&drawn).filter(|(x, y)| x != y).count();
    assert!(moved > 9000, "{moved} of 10000 weights changed");
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-15, "largest weight difference {worst:e}");
}

/// An equation rule resumes bit-exactly from a checkpoint on another thread count, and the
/// resolved file (which names the `[models]` table again) repeats the run.
#[test]
fn equation_rules_resume_bit_exactly_and_the_resolved_file_repeats_the_run() {
    let exp = experiment("{ kind = \"song\", taupre = 0.015 }", &song_table(), &[]).unwrap();
    let whole = run(&exp, 1);
    let mut part = exp.build().unwrap();
    part.run(7_000);
    let mut bytes = Vec::new();
    write_network(&part, &mut bytes).unwrap();
    let mut resumed = network_from_bytes(&bytes).unwrap();
    resumed.set_threads(2).unwrap();
    resumed.run(exp.steps() - 7_000);
    assert_eq!(resumed.spike_hash(), whole.spike_hash());
    assert_eq!(weights(&resumed), weights(&whole));
    let resolved = exp.resolved_toml();
    assert!(resolved.contains("kind = \"song\""), "{resolved}");
    assert!(resolved.contains("taupre = 0.015"), "{resolved}");
    let again = SpikingExperiment::from_str(&resolved, "resolved.toml", &[]).unwrap();
    assert_eq!(run(&again, 1).spike_hash(), whole.spike_hash());
    // a parameter changed in the rule table changes the run
    let default = run(
        &experiment("{ kind = \"song\" }", &song_table(), &[]).unwrap(),
        1,
    );
    assert_ne!(weights(&default), weights(&whole));
}

/// Errors name the key of the rule table (or the model's field, line and column).
#[test]
fn equation_rule_errors_name_the_key() {
    let homeo = {
        let lib = std::fs::read_to_string(example("models/sorf.toml")).unwrap();
        lib[lib.find("[models.homeo_stdp]").unwrap()..].to_string()
    };
    let models = format!("{}\n{homeo}", song_table());
    let e = error("{ kind = \"song\", tau_pre = 3.0 }", &models);
    assert_eq!(e.path, "projections.ff.plasticity.tau_pre", "{e}");
    assert!(e.msg.contains("taupre"), "{e}");
    let e = error("{ kind = \"song\", taupre = \"fast\" }", &models);
    assert_eq!(e.path, "projections.ff.plasticity.taupre", "{e}");
    let e = error("{ kind = \"homeo_stdp\" }", &models);
    assert_eq!(e.path, "projections.ff.plasticity.rate_window_ms", "{e}");
    assert!(e.msg.contains("post.r"), "{e}");
    let e = error("{ kind = \"homeo_stdp\", rate_window_ms = 0.05 }", &models);
    assert_eq!(e.path, "projections.ff.plasticity.rate_window_ms", "{e}");
    let bad = song_table().replace(
        "w = clip(w + Apost, 0, gmax)",
        "w = clip(w + Apots, 0, gmax)",
    );
    let e = error("{ kind = \"song\" }", &bad);
    assert_eq!(e.path, "models.song.on_pre", "{e}");
    assert!(e.msg.contains("line 3") && e.msg.contains("Apost"), "{e}");
    let named_like_builtin = song_table().replace("[models.song]", "[models.pair_stdp]");
    let e = error("{ kind = \"pair_stdp\" }", &named_like_builtin);
    assert_eq!(e.path, "projections.ff.plasticity.kind", "{e}");
    assert!(e.msg.contains("built-in rule"), "{e}");
}

/// A synapse model that reads a neuron value its populations do not have is refused when the
/// network is built, at the model's line, listing what it can read; a network whose rule reads
/// neuron values is refused by a distributed build, naming the projection.
#[test]
fn unsupported_reads_are_refused() {
    let reads_u = song_table().replace(
        "w = clip(w + Apre, 0, gmax)",
        "w = clip(w + Apre * u_post, 0, gmax)",
    );
    let e = error("{ kind = \"song\" }", &reads_u);
    assert_eq!(e.path, "models.song.on_post", "{e}");
    assert!(
        e.msg.contains("`u`") && e.msg.contains("(v, g_exc, g_inh)") && e.msg.contains("post.r"),
        "{e}"
    );
    // the presynaptic Poisson sources have a rate and no potential
    let reads_v_pre = song_table().replace(
        "w = clip(w + Apre, 0, gmax)",
        "w = clip(w + Apre * v_pre, 0, gmax)",
    );
    let e = error("{ kind = \"song\" }", &reads_v_pre);
    assert_eq!(e.path, "models.song.on_post", "{e}");
    assert!(e.msg.contains("presynaptic neuron's (rate)"), "{e}");
    // more neuron values than a rule call carries
    let nine: Vec<String> = (b'a'..=b'i')
        .map(|c| format!("{}_post", c as char))
        .collect();
    let reads_nine = song_table().replace(
        "w = clip(w + Apre, 0, gmax)",
        &format!("w = clip(w + Apre * ({}), 0, gmax)", nine.join(" + ")),
    );
    let e = error("{ kind = \"song\" }", &reads_nine);
    assert_eq!(e.path, "projections.ff.plasticity.kind", "{e}");
    assert!(e.msg.contains("reads 9 neuron values; at most 8"), "{e}");
    let exp = SpikingExperiment::from_str(READS_NET, "t.toml", &[]).unwrap();
    let errors = neuroplast_core::distributed::LocalComm::run(2, |comm| {
        exp.build_distributed(comm).err().map(|e| e.to_string())
    });
    for e in errors {
        let e = e.expect("refused");
        assert!(
            e.contains("projections.ff.plasticity") && e.contains("one process"),
            "{e}"
        );
    }
}

/// `examples/sorf_equations.toml` (the notebook's RSNeuron and homeo_stdp in ANNarchy syntax)
/// parses, resolves and runs; a shortened run is deterministic (golden hash) and follows the
/// built-in network closely: the same initial receptive fields (same weights drawn), Exc and
/// Inh rates within a few per cent over the first 10 s.
#[test]
fn sorf_with_equation_models_runs_like_the_builtin() {
    let short = [
        "protocol.epochs=1",
        "protocol.orientations=4",
        "protocol.stimulus_ms=2000.0",
        "protocol.test=false",
        "output.plots=false",
    ];
    let set: Vec<String> = short.iter().map(|s| s.to_string()).collect();
    let load = |file: &str| {
        let text = std::fs::read_to_string(example(file)).unwrap();
        ProtocolExperiment::from_str(&text, file, &set).unwrap_or_else(|e| panic!("{e}"))
    };
    let (eq, builtin) = (load("sorf_equations.toml"), load("sorf.toml"));
    let summary = |exp: &ProtocolExperiment| {
        let mut engine = exp.build().unwrap_or_else(|e| panic!("{e}"));
        let steps = engine.remaining().expect("a protocol knows its length");
        engine.advance(steps);
        engine.finish();
        engine.summary()
    };
    let (s_eq, s_b) = (summary(&eq), summary(&builtin));
    let nums = |s: &neuroplast_core::engine::Summary, k: &str, n: usize| -> Vec<f64> {
        let r = s.get(k).unwrap_or_else(|| panic!("no {k}"));
        (0..n).map(|i| r.index(i).unwrap()).collect()
    };
    assert_eq!(
        nums(&s_eq, "rf_match_initial", 4),
        nums(&s_b, "rf_match_initial", 4)
    );
    for k in ["exc_rate_per_epoch", "inh_rate_per_epoch"] {
        let (a, b) = (nums(&s_eq, k, 1)[0], nums(&s_b, k, 1)[0]);
        assert!((a - b).abs() < 0.05 * b, "{k}: {a} vs {b}");
    }
    // golden numbers of the equation run: Exc rates of its 10 s (spike counts / 10 s)
    assert_eq!(
        nums(&s_eq, "exc_rate_last_epoch", 4),
        [55.1, 54.1, 45.9, 46.5]
    );
    // the resolved file carries the models and repeats the run
    let again = ProtocolExperiment::from_str(&eq.resolved_toml(), "resolved.toml", &[]).unwrap();
    let s_again = summary(&again);
    for k in [
        "exc_rate_last_epoch",
        "inh_rate_last_epoch",
        "rf_match_final",
    ] {
        assert_eq!(nums(&s_again, k, 4), nums(&s_eq, k, 4), "{k}");
    }
}

/// Poisson inputs → `mid` (plastic, `{FF}`) → `out` (plastic, `{REC}`, one-step delay).
const READS_NET: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 500.0
seed = 5

[populations.input]
model = "SpikeSourcePoisson"
n = 200
params = { rate = 20.0 }

[populations.mid]
model = "IF_cond_exp"
n = 20

[populations.out]
model = "IF_cond_exp"
n = 5

[projections.ff]
pre = "input"
post = "mid"
connector = { kind = "all_to_all" }
receptor = "excitatory"
weight = { kind = "uniform", low = 0.001, high = 0.003 }
delay_ms = 0.1
plasticity = { kind = "vpost" }

[projections.rec]
pre = "mid"
post = "out"
connector = { kind = "all_to_all" }
receptor = "excitatory"
weight = 0.002
delay_ms = 0.1
plasticity = { kind = "vpre" }

[record.input]
spikes = true

[record.mid]
spikes = true
state = { v = { every_ms = 0.1 } }

[models.vpost]
syntax = "brian2"
parameters = """
eta = 1e-7
eta2 = 3e-7
theta = -70.0
gmax = 0.01
"""
equations = "w : 1"
on_pre = """
ge += w
w = clip(w + eta * (v_post - theta), 0, gmax)
"""
on_post = "w = clip(w + eta2 * (v_post - theta), 0, gmax)"

[models.vpre]
syntax = "brian2"
parameters = "eta = 1e-8"
equations = "w : 1"
on_pre = """
ge += w
w = w - eta * v_pre
"""
"#;

/// Neuron values in synapse models. `v_post` in `on_pre` is the postsynaptic potential after
/// the previous step (the arrival step's neurons are not updated yet); in `on_post` it is the
/// value after the step's reset (`v_reset`); `v_pre` at an arrival one step after the spike is
/// the presynaptic neuron's `v_reset`. Each weight equals a replay of its events from the
/// recorded spikes and potentials; the run resumes bit-exactly from a checkpoint.
#[test]
fn synapse_models_read_neuron_values() {
    let exp =
        SpikingExperiment::from_str(READS_NET, "t.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
    let drawn = exp.build().unwrap();
    let w0 = |p: &str| drawn.projection(p).unwrap().synapses.weights().to_vec();
    let (ff0, rec0) = (w0("ff"), w0("rec"));
    let mut net = exp.build().unwrap();
    net.run(exp.steps());
    let rec = net.drain();
    let spikes = |pop: &str| {
        let c = rec.spikes.iter().find(|c| c.population == pop).unwrap();
        c.steps
            .iter()
            .copied()
            .zip(c.ids.iter().copied())
            .collect::<Vec<(u64, u32)>>()
    };
    let (input, mid) = (spikes("input"), spikes("mid"));
    let v = rec.states.iter().find(|c| c.population == "mid").unwrap();
    let n_mid = v.neurons.len();
    assert_eq!(n_mid, 20);
    assert_eq!(v.steps.len() as u64, exp.steps());
    let v_at = |t: u64, j: usize| v.values[t as usize * n_mid + j];
    assert!(mid.len() > 100, "{} mid spikes", mid.len());
    // ff: on_pre at t = emission + 1 reads v(t − 1); on_post at a spike of step t reads v(t)
    let (eta, eta2, theta, gmax) = (1e-7, 3e-7, -70.0, 0.01);
    let ff = net.projection("ff").unwrap();
    let mut expect = ff0.clone();
    let mut seen_reset = 0;
    for (s, (i, j, _, _)) in ff.synapses.iter().enumerate() {
        let mut w: f64 = ff0[s];
        let arrivals = input
            .iter()
            .filter(|&&(_, k)| k == i)
            .map(|&(t, _)| (t + 1, 0));
        let posts = mid.iter().filter(|&&(_, k)| k == j).map(|&(t, _)| (t, 1));
        let mut events: Vec<(u64, u8)> = arrivals.chain(posts).collect();
        events.sort();
        for (t, kind) in events {
            if t >= exp.steps() {
                continue;
            }
            if kind == 0 {
                w = (w + eta * (v_at(t - 1, j as usize) - theta)).clamp(0.0, gmax);
            } else {
                assert_eq!(v_at(t, j as usize), -65.0, "v after the reset");
                seen_reset += 1;
                w = (w + eta2 * (v_at(t, j as usize) - theta)).clamp(0.0, gmax);
            }
        }
        expect[s] = w;
    }
    assert!(seen_reset > 1000);
    let got = ff.synapses.weights();
    let moved = got.iter().zip(&ff0).filter(|(a, b)| a != b).count();
    assert!(moved == got.len(), "{moved} of {} weights moved", got.len());
    assert_eq!(got, &expect[..]);
    // rec: every arrival adds −eta · v_reset
    let r = net.projection("rec").unwrap();
    for (s, (i, _, _, _)) in r.synapses.iter().enumerate() {
        let n = mid
            .iter()
            .filter(|&&(t, k)| k == i && t + 1 < exp.steps())
            .count();
        assert!(n > 0);
        let w = (0..n).fold(rec0[s], |w, _| w - 1e-8 * -65.0);
        assert_eq!(r.synapses.weights()[s], w, "synapse {s}");
    }
    // checkpoint + resume on two threads = the whole run
    let mut part = exp.build().unwrap();
    part.run(2_345);
    let mut bytes = Vec::new();
    write_network(&part, &mut bytes).unwrap();
    let mut resumed = network_from_bytes(&bytes).unwrap();
    resumed.set_threads(2).unwrap();
    resumed.run(exp.steps() - 2_345);
    assert_eq!(resumed.spike_hash(), net.spike_hash());
    for p in ["ff", "rec"] {
        assert_eq!(
            resumed.projection(p).unwrap().synapses.weights(),
            net.projection(p).unwrap().synapses.weights()
        );
    }
}

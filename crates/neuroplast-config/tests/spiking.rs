//! Spiking experiment files: parsing, key-path errors, the memory limit, the examples.

use neuroplast_config::spiking::SpikingExperiment;

const SMALL: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 50.0
seed = 3

[populations.exc]
model = "IF_cond_exp"
n = 40
params = { i_offset = 0.5 }
init = { v = { kind = "normal", mean = -60.0, sd = 2.0 }, g_exc = 0.0 }

[populations.inh]
model = "IF_cond_exp"
n = 10

[projections.ee]
pre = "exc"
post = "exc"
connector = { kind = "fixed_probability", p = 0.1 }
receptor = "excitatory"
weight = { kind = "uniform", low = 0.001, high = 0.002 }
delay_ms = 0.5

[projections.ei]
pre = "exc"
post = "inh"
connector = { kind = "all_to_all" }
receptor = "excitatory"
weight = 0.001

[sources.kick]
population = "inh"
neurons = [0, 1]
waveform = { kind = "dc", amplitude = 0.5, start = 10.0, stop = 30.0 }

[record.exc]
spikes = true
state = { v = { neurons = [0, 1, 2], every_ms = 1.0 } }
rate = { bin_ms = 5.0 }
"#;

fn parse(text: &str) -> Result<SpikingExperiment, neuroplast_config::ConfigError> {
    SpikingExperiment::from_str(text, "t.toml", &[])
}

/// Build the experiment too (core checks: receptors, delays, state names).
fn build_err(text: &str) -> neuroplast_config::ConfigError {
    match parse(text) {
        Err(e) => e,
        Ok(exp) => exp.build().expect_err("should not build"),
    }
}

#[test]
fn a_spiking_file_parses_resolves_and_builds() {
    let exp = parse(SMALL).unwrap();
    assert_eq!(exp.steps(), 500);
    assert_eq!(exp.models.len(), 2);
    assert_eq!(exp.monitors.len(), 3);
    // every model parameter explicit in the resolved file; defaults written out
    let resolved = exp.resolved_toml();
    assert!(resolved.contains("tau_syn_E"), "{resolved}");
    assert!(
        resolved.contains("delay_ms = 0.1"),
        "default delay = dt: {resolved}"
    );
    let again = parse(&resolved).unwrap();
    assert_eq!(again.file, {
        let mut f = exp.file.clone();
        f.meta = again.file.meta.clone();
        f
    });
    let mut net = exp.build().unwrap();
    assert_eq!(net.populations()[0].name(), "exc", "file order");
    assert_eq!(net.projections()[1].synapses.len(), 400);
    net.run(exp.steps());
    let rec = net.drain();
    assert_eq!(rec.states[0].steps.len(), 50);
    assert_eq!(rec.states[0].values.len(), 150);
    assert_eq!(rec.rates[0].rates.len(), 10);
    assert_eq!(
        rec.spikes[0].ids.len() as u64,
        net.population("exc").unwrap().spike_count()
    );
    // the recording plan is exact for samples: (8 × 3 + 8) × 50 + 16 × 10
    assert_eq!(exp.recording_plan().sample_bytes, 32 * 50 + 160);
    assert_eq!(exp.recording_plan().spike_neurons, 40);
}

#[test]
fn overrides_and_kind_detection() {
    let exp = SpikingExperiment::from_str(
        SMALL,
        "t.toml",
        &[
            "simulation.duration_ms=20.0".into(),
            "projections.ee.connector.p=0.5".into(),
        ],
    )
    .unwrap();
    assert_eq!(exp.steps(), 200);
    let any = neuroplast_config::from_str(SMALL, "t.toml", ".".as_ref(), &[]).unwrap();
    assert_eq!(any.kind().name(), "spiking");
    let both = format!("{SMALL}\n[sorn]\npreset = \"lazar2009\"\n");
    let e = neuroplast_config::from_str(&both, "t.toml", ".".as_ref(), &[]).unwrap_err();
    assert!(e.msg.contains("not both"), "{e}");
    let e = neuroplast_config::SornExperiment::from_str(SMALL, "t.toml", ".".as_ref(), &[])
        .unwrap_err();
    assert!(e.msg.contains("spiking"), "{e}");
}

#[test]
fn bad_values_name_their_key_path() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // (find, replace, key path, words in the message)
        (
            "receptor = \"excitatory\"\nweight = { kind",
            "receptor = \"ampa\"\nweight = { kind",
            "projections.ee.receptor",
            "excitatory, inhibitory",
        ),
        (
            "model = \"IF_cond_exp\"\nn = 10",
            "model = \"IF_cond_whatever\"\nn = 10",
            "populations.inh.model",
            "IF_curr_exp",
        ),
        ("p = 0.1", "p = 1.5", "projections.ee.connector.p", "1.5"),
        (
            "stop = 30.0",
            "stop = 30.05",
            "sources.kick.waveform.stop",
            "30.05",
        ),
        (
            "params = { i_offset = 0.5 }",
            "params = { i_offset = 0.5, refractory = \"brain2\" }",
            "populations.exc.params.refractory",
            "`nest` or `brian2`",
        ),
        (
            "delay_ms = 0.5",
            "delay_ms = 0.55",
            "projections.ee.delay_ms",
            "whole number of steps",
        ),
        (
            "every_ms = 1.0",
            "every_ms = 0.25",
            "record.exc.state.v.every_ms",
            "whole number",
        ),
        (
            "bin_ms = 5.0",
            "bin_ms = 0.0",
            "record.exc.rate.bin_ms",
            "at least one step",
        ),
        (
            "duration_ms = 50.0",
            "duration_ms = 50.05",
            "simulation.duration_ms",
            "whole number",
        ),
        (
            "params = { i_offset = 0.5 }",
            "params = { i_ofset = 0.5 }",
            "populations.exc.params.i_ofset",
            "unknown field",
        ),
        (
            "params = { i_offset = 0.5 }",
            "params = { tau_m = -1.0 }",
            "populations.exc.params.tau_m",
            "-1",
        ),
        (
            "g_exc = 0.0",
            "g_ex = 0.0",
            "populations.exc.init.g_ex",
            "g_exc",
        ),
        (
            "state = { v = {",
            "state = { u = {",
            "record.exc.state.u",
            "g_inh",
        ),
        (
            "neurons = [0, 1, 2]",
            "neurons = [0, 1, 99]",
            "record.exc.state.v.neurons",
            "99",
        ),
        ("[record.exc]", "[record.exx]", "record.exx", "exc, inh"),
        (
            "post = \"inh\"",
            "post = \"inhh\"",
            "projections.ei.post",
            "inhh",
        ),
        (
            "neurons = [0, 1]",
            "neurons = [0, 10]",
            "sources.kick.neurons",
            "10",
        ),
        (
            "stop = 30.0",
            "stop = 30.05",
            "sources.kick",
            "whole number",
        ),
        (
            "weight = 0.001",
            "weight = -0.001",
            "projections.ei.weight",
            "≥ 0",
        ),
        (
            "weight = 0.001",
            "weight = \"heavy\"",
            "projections.ei.weight",
            "a number",
        ),
        (
            "receptor = \"excitatory\"\nweight = 0.001",
            "weight = 0.001",
            "projections.ei.receptor",
            "missing",
        ),
        (
            "connector = { kind = \"all_to_all\" }",
            "connector = { kind = \"everything\" }",
            "projections.ei.connector",
            "fixed_probability",
        ),
        (
            "seed = 3",
            "seed = 3\nsteps = 10",
            "simulation.steps",
            "unknown field",
        ),
    ];
    for (find, replace, path, words) in cases {
        assert!(SMALL.contains(find), "case {path}: {find:?} not in SMALL");
        let text = SMALL.replacen(find, replace, 1);
        let e = build_err(&text);
        assert!(
            e.path.starts_with(path),
            "{path}: got path {:?} ({})",
            e.path,
            e.msg
        );
        assert!(
            e.msg.contains(words),
            "{path}: message {:?} lacks {words:?}",
            e.msg
        );
    }
}

#[test]
fn memory_limit_refuses_before_the_run() {
    // all 40 neurons' v every step: one chunk is tiny, so only a tiny limit trips
    let text = SMALL.replace(
        "[record.exc]",
        "[record]\nmax_memory_mb = 0.001\n\n[record.exc]",
    );
    let e = parse(&text).unwrap().build().unwrap_err();
    assert_eq!(e.path, "record.max_memory_mb");
    assert!(e.msg.contains("over the limit of 0.001 MiB"), "{}", e.msg);
    let ok = SMALL.replace(
        "[record.exc]",
        "[record]\nmax_memory_mb = 64\n\n[record.exc]",
    );
    parse(&ok).unwrap().build().unwrap();
    let bad = SMALL.replace(
        "[record.exc]",
        "[record]\nmax_memory_mb = -1\n\n[record.exc]",
    );
    assert_eq!(parse(&bad).unwrap_err().path, "record.max_memory_mb");
}

#[test]
fn numbers_lists_and_tables_for_values() {
    let text = SMALL
        .replace(
            "weight = 0.001",
            "weight = [0.001, 0.002]\ndelay_ms = { kind = \"uniform\", low = 0.1, high = 1.0 }\ndelay_rounding = \"round\"",
        )
        .replace("connector = { kind = \"all_to_all\" }", "connector = { kind = \"from_list\", pre = [0, 1], post = [0, 0] }");
    let exp = parse(&text).unwrap();
    let net = exp.build().unwrap();
    let w: Vec<f64> = net.projections()[1].synapses.iter().map(|s| s.2).collect();
    assert_eq!(w.len(), 2);
    assert!(w.contains(&0.002));
    assert!(exp.resolved_toml().contains("weight = [0.001, 0.002]"));
}

/// The COBA example builds the Vogels–Abbott network: 4000 neurons, ≈ 2 % of 4000² synapses.
#[test]
fn coba_example_has_320k_synapses() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/coba.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let exp = SpikingExperiment::from_str(&text, "coba.toml", &[]).unwrap();
    let net = exp.build().unwrap();
    let n: usize = net.populations().iter().map(|p| p.len()).sum();
    assert_eq!(n, 4000);
    let s = net.synapse_count() as f64;
    // mean 320 000, sd √(16e6 · 0.02 · 0.98) ≈ 560
    assert!((s - 320_000.0).abs() < 3_000.0, "{s}");
    assert_eq!(exp.steps(), 10_000);
}

/// `[[schedule]]`: freezing a static projection, a reward without a `reward_stdp` rule, a time
/// between steps and an unknown key are refused with their key paths; a valid schedule
/// (pair STDP frozen at 20 ms) builds and survives the resolved file.
#[test]
fn schedule_entries_are_checked() {
    let build = |extra: &str| {
        SpikingExperiment::from_str(&format!("{SMALL}\n{extra}"), "t.toml", &[])
            .and_then(|e| e.build().map(|_| e))
    };
    let e = build("[[schedule]]\nat_ms = 10.0\nfreeze = [\"ee\"]").unwrap_err();
    assert!(e.to_string().contains("schedule[0].freeze[0]"), "{e}");
    assert!(e.to_string().contains("static"), "{e}");
    let e = build("[[schedule]]\nat_ms = 10.0\nreward = 0.5").unwrap_err();
    assert!(e.to_string().contains("schedule[0].reward"), "{e}");
    let e = build("[[schedule]]\nat_ms = 10.05\nreward = 0.5").unwrap_err();
    assert!(e.to_string().contains("schedule[0].at_ms"), "{e}");
    let e = build("[[schedule]]\nat_ms = 10.0\nfreez = [\"ee\"]").unwrap_err();
    assert!(e.to_string().contains("freez"), "{e}");
    let plastic = SMALL.replace(
        "delay_ms = 0.5\n",
        "delay_ms = 0.5\nplasticity = { kind = \"pair_stdp\", w_max = 0.01 }\n",
    );
    let text = format!("{plastic}\n[[schedule]]\nat_ms = 20.0\nfreeze = [\"ee\"]\n");
    let exp = SpikingExperiment::from_str(&text, "t.toml", &[]).unwrap();
    exp.build().unwrap();
    let again = SpikingExperiment::from_str(&exp.resolved_toml(), "r.toml", &[]).unwrap();
    assert_eq!(again.file.schedule, exp.file.schedule);
}

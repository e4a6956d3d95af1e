//! A bad value inside a tagged table (`kind = "…"`: protocols, inputs, sequences, connectors,
//! initialisers) is reported at its own key, not at the table: serde loses the path there and
//! the config crate finds the key again.

/// The error `--set override` gives on an example file: (key path, message).
fn error(example: &str, overrides: &[&str]) -> (String, String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(example);
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    match neuroplast_config::load(&path, &overrides) {
        Ok(_) => panic!("{example} {overrides:?} was accepted"),
        Err(e) => (e.path, e.msg),
    }
}

#[test]
fn bad_values_inside_tagged_tables_name_their_key() {
    for (example, set, path, msg) in [
        // protocol = { kind = "sorf", … }
        (
            "sorf.toml",
            "protocol.w_input=[0.2]",
            "protocol.w_input",
            "invalid length 1",
        ),
        (
            "sorf.toml",
            "protocol.w_input=[0.2, 0.3, 0.4]",
            "protocol.w_input",
            "invalid length 3",
        ),
        (
            "sorf.toml",
            "protocol.w_input=[0.2, \"x\"]",
            "protocol.w_input",
            "string \"x\"",
        ),
        (
            "sorf.toml",
            "protocol.epochs=\"x\"",
            "protocol.epochs",
            "expected an integer ≥ 0",
        ),
        (
            "sorf.toml",
            "protocol.buffer_exc.tau_plus=true",
            "protocol.buffer_exc.tau_plus",
            "boolean",
        ),
        (
            "polychronization.toml",
            "protocol.kind=\"spnet\"",
            "protocol.kind",
            "unknown variant `spnet`",
        ),
        // input = { kind = "symbols", sequence = { kind = "counting", … } }
        (
            "lazar2009.toml",
            "input.units_per_symbol=\"x\"",
            "input.units_per_symbol",
            "expected an integer ≥ 0",
        ),
        (
            "lazar2009.toml",
            "input.gain=[1.0]",
            "input.gain",
            "sequence",
        ),
        (
            "lazar2009.toml",
            "input.sequence.n=-3",
            "input.sequence.n",
            "-3",
        ),
        (
            "lazar2009.toml",
            "input.sequence.kind=\"spiral\"",
            "input.sequence.kind",
            "unknown variant `spiral`",
        ),
        (
            "lazar2009.toml",
            "input.kind=\"spiral\"",
            "input.kind",
            "unknown variant `spiral`",
        ),
        // spiking: connectors and initialisers
        (
            "coba.toml",
            "projections.exc_exc.connector.p=\"x\"",
            "projections.exc_exc.connector.p",
            "string \"x\"",
        ),
        (
            "coba.toml",
            "populations.exc.init.v.mean=\"x\"",
            "populations.exc.init.v.mean",
            "string \"x\"",
        ),
        // a model's enum-valued parameter is not the model
        (
            "coba.toml",
            "populations.exc.params.integrator=\"rk9\"",
            "populations.exc.params.integrator",
            "unknown variant `rk9`",
        ),
        (
            "coba.toml",
            "populations.exc.model=\"rk9\"",
            "populations.exc.model",
            "unknown model `rk9`; built-in models: IF_cond_exp,",
        ),
        // a field merged into a preset's table must be one of its kind's
        (
            "lazar2009.toml",
            "sorn.w_ie.p=0.2",
            "sorn.w_ie.p",
            "not a field of the preset's w_ie (kind = \"dense\"",
        ),
        (
            "delpapa2017.toml",
            "sorn.w_ee.q=0.2",
            "sorn.w_ee.q",
            "unknown field `q`",
        ),
        (
            "coba.toml",
            "projections.exc_exc.connector.kind=5",
            "projections.exc_exc.connector.kind",
            "integer `5`",
        ),
    ] {
        let (got_path, got_msg) = error(example, &[set]);
        assert_eq!(got_path, path, "{example} --set {set}: {got_msg}");
        assert!(got_msg.contains(msg), "{example} --set {set}: {got_msg}");
    }
}

/// Values outside tagged tables were already found by serde; they stay where they were.
#[test]
fn plain_paths_are_unchanged() {
    let (path, msg) = error("sorf.toml", &["simulation.seed=\"x\""]);
    assert_eq!(path, "simulation.seed");
    assert!(
        msg.contains("decimal digits") && msg.contains("\"x\""),
        "{msg}"
    );
    let (path, _) = error("coba.toml", &["simulation.dt_ms=\"x\""]);
    assert_eq!(path, "simulation.dt_ms");
}

/// Two keys with the same bad value give the same error whichever is taken out: the search
/// stops at the table that holds both rather than guess.
#[test]
fn two_identical_errors_stop_at_their_table() {
    let (path, msg) = error(
        "sorf.toml",
        &[
            "protocol.buffer_exc.tau_plus=\"x\"",
            "protocol.buffer_exc.tau_minus=\"x\"",
        ],
    );
    assert_eq!(path, "protocol.buffer_exc");
    assert!(msg.contains("string \"x\""), "{msg}");
}

//! The registries against their docs and tests: every neuron model and plasticity rule in the
//! one list of each has its entry in `docs/models.md` (the file is exactly what `neuroplast
//! models` prints) and at least one test that names it.

use std::path::{Path, PathBuf};

use neuroplast_core::spiking::neuron::ModelSpec;
use neuroplast_core::spiking::plasticity::PlasticitySpec;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn docs_models_md_is_the_catalogue_of_the_registries() {
    let path = root().join("docs/models.md");
    let text = std::fs::read_to_string(&path).expect("docs/models.md");
    let want = neuroplast_config::catalogue::markdown();
    assert!(
        text == want,
        "docs/models.md differs from the registries: regenerate it with \
         `cargo run -p neuroplast-cli -- models > docs/models.md`"
    );
    for name in ModelSpec::NAMES.iter().chain(PlasticitySpec::NAMES) {
        assert!(
            text.contains(&format!("### `{name}`")),
            "{name} has no entry"
        );
    }
}

/// Test code of the workspace: every file under a `tests/` directory (Rust and Python) and the
/// part of each Rust source file from its first `#[cfg(test)]` on (a rule's or model's own
/// file, `<name>.rs`, counts when it has tests; so does a test function `<name>_…`).
fn test_code() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, in_tests: bool, out: &mut Vec<(PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    walk(&p, in_tests || name == "tests", out);
                }
                continue;
            }
            let is_code = name.ends_with(".rs") || name.ends_with(".py");
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            if !is_code {
                continue;
            }
            if in_tests {
                out.push((p, text));
            } else if let Some(i) = text.find("#[cfg(test)]") {
                out.push((p, text[i..].to_string()));
            }
        }
    }
    let mut out = Vec::new();
    let r = root();
    walk(&r.join("crates"), false, &mut out);
    walk(&r.join("python/tests"), true, &mut out);
    out
}

#[test]
fn every_model_and_rule_is_named_by_a_test() {
    let code = test_code();
    assert!(code.len() > 10, "found the test code");
    let mut missing = Vec::new();
    for name in ModelSpec::NAMES.iter().chain(PlasticitySpec::NAMES) {
        let quoted = format!("\"{name}\"");
        let escaped = format!("\\\"{name}\\\"");
        let variant = format!("::{name}(");
        let own_file = format!("{name}.rs");
        let test_fn = format!("fn {name}_");
        let named = |(p, t): &(PathBuf, String)| {
            t.contains(&quoted)
                || t.contains(&escaped)
                || t.contains(&variant)
                || t.contains(&test_fn)
                || p.file_name().is_some_and(|f| *f == *own_file)
        };
        if !code.iter().any(named) {
            missing.push(*name);
        }
    }
    assert!(missing.is_empty(), "no test names {missing:?}");
}

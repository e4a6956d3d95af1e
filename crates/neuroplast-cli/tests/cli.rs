//! End-to-end tests of the `neuroplast` binary: bad input is refused with the key path and
//! leaves nothing behind; run + resume equals an uninterrupted run; results are complete.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn neuroplast(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neuroplast"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

const BASE: &str = r#"
[simulation]
steps = 300
seed = 3

[sorn]
preset = "delpapa2017"
ne = 40

[record]
activity = true
spikes = { all = true }
connection_fraction = { every = 50 }
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Every class of bad input: refused before running, exit status 2, the message names the
/// key path (and the value), and no results directory (nor temporary one) is left behind.
#[test]
fn bad_input_is_refused_with_the_key_path() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // A (3 × 10) matrix for input.file tests: wrong shape for first_units = 4.
    let arr = ndarray::Array2::<f64>::zeros((3, 10));
    ndarray_npy::write_npy(d.join("in.npy"), &arr).unwrap();
    let cases: &[(&str, &str, &str, &str)] = &[
        // (case, edit, key path expected in the message, value expected in the message)
        ("unknown top-level key", "BASE\n[analysis]\nx = 1\n", "analysis", "unknown field"),
        ("unknown sorn key", "BASE_SORN nosie_sigma = 0.1\n", "sorn.nosie_sigma", "unknown key"),
        ("unknown record key", "BASE\n", "record.spikez", "unknown field"),
        ("wrong type", "BASE_SORN noise_sigma = \"loud\"\n", "sorn.noise_sigma", "loud"),
        ("negative sigma", "BASE_SORN noise_sigma = -0.5\n", "sorn.noise_sigma", "-0.5"),
        ("rate above 1", "BASE_SORN h_ip = 1.5\n", "sorn.h_ip", "1.5"),
        ("rate 0", "BASE_SORN h_ip = 0.0\n", "sorn.h_ip", "(0, 1)"),
        ("probability above 1", "BASE_SORN w_ee = { kind = \"bernoulli\", p = 1.2 }\n", "sorn.w_ee.p", "1.2"),
        ("in-degree ≥ population", "BASE_SORN w_ee = { kind = \"fixed_in_degree\", k = 40 }\n", "sorn.w_ee.k", "40"),
        ("N = 0", "BASE_NE ne = 0\n", "sorn.ne", "0"),
        ("N_I = 0", "BASE_SORN ni = 0\n", "sorn.ni", "0"),
        ("negative steps", "BASE_STEPS steps = -10\n", "simulation.steps", "-10"),
        ("zero steps", "BASE_STEPS steps = 0\n", "simulation.steps", "0"),
        ("freeze name not a rule", "BASE\n[[schedule]]\nstep = 10\nfreeze = [\"stdp\", \"hebb\"]\n", "schedule[0].freeze[1]", "hebb"),
        ("rule list typo", "BASE_SORN plasticity = [\"stdp\", \"ipp\"]\n", "sorn.plasticity[1]", "ipp"),
        ("unknown preset", "BASE_PRESET preset = \"lazar2010\"\n", "sorn.preset", "lazar2010"),
        ("input matrix wrong shape", "BASE\n[input]\nkind = \"matrix\"\nfile = \"in.npy\"\nfirst_units = 4\n", "input.file", "(3, 10)"),
        ("input matrix too short", "BASE\n[input]\nkind = \"matrix\"\nfile = \"in.npy\"\nfirst_units = 3\n", "input.file", "10 columns"),
        ("input matrix missing", "BASE\n[input]\nkind = \"matrix\"\nfile = \"nope.npy\"\nfirst_units = 3\n", "input.file", "nope.npy"),
        ("input unit out of range", "BASE\n[input]\nkind = \"uniform\"\nunits = [0, 99]\n", "input.units", "99"),
        ("pools larger than network", "BASE\n[input]\nkind = \"symbols\"\nunits_per_symbol = 30\nsequence = { kind = \"cycle\", text = \"AB\" }\n", "input.units_per_symbol", "30"),
        ("every = 0", "BASE\n", "record.connection_fraction.every", "0"),
        ("sweep over the seed", "BASE\n[sweep]\nparams = { \"simulation.seed\" = [1, 2] }\n", "sweep.params.simulation.seed", "own axis"),
        ("syntax error", "BASE\n[sorn\n", "line", "TOML syntax"),
        ("avalanches without a window default", "BASE\n[analysis]\navalanches = {}\n", "analysis.avalanches.duration_window", "ne = 40"),
        ("avalanches without activity", "BASE\n[analysis]\navalanches = { duration_window = [2, 9], size_window = [2, 30] }\n", "analysis.avalanches", "record.activity"),
        ("spike statistics without spikes", "BASE\n[analysis]\nspikes = {}\n", "analysis.spikes", "record.spikes"),
        ("fano window 0", "BASE\n[analysis]\nspikes = { fano_window = 0 }\n", "analysis.spikes.fano_window", "got 0"),
        ("readout without symbol input", "BASE\n[readout]\ntrain_steps = 100\ntest_steps = 100\n", "readout", "symbols"),
        ("readout longer than the run", "BASE\n[input]\nkind = \"symbols\"\nunits_per_symbol = 2\nsequence = { kind = \"counting\", n = 3 }\n[readout]\ntrain_steps = 200\ntest_steps = 200\n", "readout", "simulation.steps = 300"),
        ("readout phase too short", "BASE\n[input]\nkind = \"symbols\"\nunits_per_symbol = 2\nsequence = { kind = \"counting\", n = 3 }\n[readout]\ntrain_steps = 1\ntest_steps = 100\n", "readout.train_steps", "got 1"),
        ("ridge option for logistic", "BASE\n[input]\nkind = \"symbols\"\nunits_per_symbol = 2\nsequence = { kind = \"counting\", n = 3 }\n[readout]\ntrain_steps = 100\ntest_steps = 100\nlambda = 0.1\n", "readout.lambda", "logistic"),
        ("logistic C = 0", "BASE\n[input]\nkind = \"symbols\"\nunits_per_symbol = 2\nsequence = { kind = \"counting\", n = 3 }\n[readout]\ntrain_steps = 100\ntest_steps = 100\nc = 0.0\n", "readout.c", "got 0"),
        ("negative ridge lambda", "BASE\n[input]\nkind = \"symbols\"\nunits_per_symbol = 2\nsequence = { kind = \"counting\", n = 3 }\n[readout]\ntrain_steps = 100\ntest_steps = 100\nmethod = \"ridge\"\nlambda = -1.0\n", "readout.lambda", "-1"),
        ("unknown readout method", "BASE\n[input]\nkind = \"symbols\"\nunits_per_symbol = 2\nsequence = { kind = \"counting\", n = 3 }\n[readout]\ntrain_steps = 100\ntest_steps = 100\nmethod = \"svm\"\n", "readout.method", "svm"),
        ("excluded symbol not a letter", "BASE\n[input]\nkind = \"symbols\"\nunits_per_symbol = 2\nsequence = { kind = \"counting\", n = 3 }\n[readout]\ntrain_steps = 100\ntest_steps = 100\nexclude = [\"AB\"]\n", "readout.exclude[0]", "AB"),
        ("counting n = 0", "BASE\n[input]\nkind = \"symbols\"\nunits_per_symbol = 2\nsequence = { kind = \"counting\", n = 0 }\n", "input.sequence.n", "got 0"),
        ("bad avalanche window", "BASE\n[analysis]\navalanches = { duration_window = [9, 2], size_window = [2, 30] }\n", "analysis.avalanches.duration_window", "[9, 2]"),
    ];
    for (case, edit, key, value) in cases {
        let text = match *edit {
            e if e.starts_with("BASE_SORN ") => {
                BASE.replace("ne = 40", &format!("ne = 40\n{}", &e[10..]))
            }
            e if e.starts_with("BASE_NE ") => BASE.replace("ne = 40", &e[8..]),
            e if e.starts_with("BASE_STEPS ") => BASE.replace("steps = 300", &e[11..]),
            e if e.starts_with("BASE_PRESET ") => {
                BASE.replace("preset = \"delpapa2017\"", &e[12..])
            }
            e => e.replace("BASE", BASE),
        };
        let text = match *case {
            "unknown record key" => text.replace("activity = true", "spikez = 1"),
            "avalanches without activity" => text.replace("activity = true", "activity = false"),
            "spike statistics without spikes" => text.replace("spikes = { all = true }\n", ""),
            "every = 0" => text.replace("every = 50", "every = 0"),
            _ => text,
        };
        let exp = write(d, "bad.toml", &text);
        for cmd in ["validate", "run"] {
            let args: Vec<&str> = if cmd == "run" {
                vec!["run", exp.to_str().unwrap(), "--out", "out", "--quiet"]
            } else {
                vec!["validate", exp.to_str().unwrap()]
            };
            let o = neuroplast(&args, d);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(
                o.status.code(),
                Some(2),
                "{case} ({cmd}): exit status; stderr: {err}"
            );
            assert!(
                err.contains(key),
                "{case} ({cmd}): message lacks key {key:?}: {err}"
            );
            assert!(
                err.contains(value),
                "{case} ({cmd}): message lacks {value:?}: {err}"
            );
            assert!(!err.contains("panicked"), "{case}: panic");
        }
        let left: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("out"))
            .collect();
        assert!(left.is_empty(), "{case}: left behind {left:?}");
    }
    // `--set` goes through the same validation.
    let exp = write(d, "good.toml", BASE);
    let o = neuroplast(
        &["validate", exp.to_str().unwrap(), "--set", "sorn.eta_ip=-1"],
        d,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("sorn.eta_ip"));
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// run 2k steps = run k + resume k (hash of the whole spike train, and the recordings);
/// another seed gives another hash; the directory has every promised file.
#[test]
fn run_resume_equals_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let exp = write(d, "e.toml", BASE);
    let e = exp.to_str().unwrap();
    assert!(
        neuroplast(&["run", e, "--out", "full", "--steps", "600", "-q"], d)
            .status
            .success()
    );
    assert!(
        neuroplast(&["run", e, "--out", "half", "--steps", "300", "-q"], d)
            .status
            .success()
    );
    let o = neuroplast(&["resume", "half", "--steps", "300", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (full, half) = (summary(&d.join("full")), summary(&d.join("half")));
    assert_eq!(half["steps"], 600);
    assert_eq!(full["spike_hash"], half["spike_hash"]);
    for f in [
        "activity_e.npy",
        "activity_i.npy",
        "spikes/e.npz",
        "spikes/i.npz",
        "connection_fraction.npy",
        "connection_fraction_steps.npy",
        "weights/final.npz",
    ] {
        let a = std::fs::read(d.join("full").join(f)).unwrap();
        let b = std::fs::read(d.join("half").join(f)).unwrap();
        assert!(
            a == b,
            "{f} differs between the straight and the resumed run"
        );
    }
    assert!(neuroplast(
        &["run", e, "--out", "other", "--steps", "600", "--seed", "4", "-q"],
        d
    )
    .status
    .success());
    assert_ne!(full["spike_hash"], summary(&d.join("other"))["spike_hash"]);
    for f in [
        "config.toml",
        "summary.json",
        "checkpoint.bin",
        "plots/raster.png",
        "plots/activity.png",
        "plots/weights_histogram.png",
        "plots/weights_lognormal.png",
        "plots/connection_fraction.png",
    ] {
        assert!(d.join("full").join(f).is_file(), "missing {f}");
    }
    // Threads are an execution setting: same run, same hash.
    let o = neuroplast(
        &[
            "run",
            e,
            "--out",
            "threads",
            "--steps",
            "600",
            "--threads",
            "2",
            "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t = summary(&d.join("threads"));
    assert_eq!(t["threads"], 2);
    assert_eq!(full["spike_hash"], t["spike_hash"]);
    // The resolved config repeats the run.
    let o = neuroplast(&["run", "full/config.toml", "--out", "again", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(full["spike_hash"], summary(&d.join("again"))["spike_hash"]);
    // An existing directory is not overwritten without --force.
    let o = neuroplast(&["run", e, "--out", "full", "-q"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    // plot redraws from the files.
    let o = neuroplast(&["plot", "full"], d);
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 5);
}

#[test]
fn bench_json_has_the_promised_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let o = neuroplast(
        &[
            "bench",
            "sorn",
            "--ne",
            "50",
            "--steps",
            "200",
            "--repeats",
            "3",
            "--json",
        ],
        tmp.path(),
    );
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for k in ["us_per_step", "steps", "ne", "peak_rss_mb"] {
        assert!(!v[k].is_null(), "missing {k}: {v}");
    }
    assert_eq!(v["ne"], 50);
    assert!(v["us_per_step"].as_f64().unwrap() > 0.0);
}

/// Every example validates and runs (shortened to 500 steps) with all its outputs.
#[test]
fn every_example_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let tmp = tempfile::tempdir().unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        if std::fs::read_to_string(&p).unwrap().contains("[protocol]") {
            continue; // protocol_examples_run_short
        }
        n += 1;
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let o = neuroplast(&["validate", p.to_str().unwrap()], tmp.path());
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let mut args = vec![
            "run",
            p.to_str().unwrap(),
            "--steps",
            "500",
            "--out",
            &name,
            "-q",
        ];
        // A readout needs its train + test steps inside the shortened run.
        let has_readout = std::fs::read_to_string(&p).unwrap().contains("[readout]");
        if has_readout {
            args.extend([
                "--set",
                "readout.train_steps=200",
                "--set",
                "readout.test_steps=200",
            ]);
        }
        let o = neuroplast(&args, tmp.path());
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let s = summary(&tmp.path().join(&name));
        assert_eq!(s["steps"], 500, "{name}");
        if has_readout {
            let acc = s["readout"]["accuracy"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&acc), "{name}: {}", s["readout"]);
        }
        let spiking = std::fs::read_to_string(&p)
            .unwrap()
            .contains("[populations.");
        let plot = if spiking {
            "raster.png"
        } else {
            "activity.png"
        };
        assert!(
            tmp.path().join(&name).join("plots").join(plot).is_file(),
            "{name}"
        );
    }
    assert!(n >= 8, "one example per preset and the spiking examples");
}

/// Every protocol example (`[protocol]`) validates and runs in a shortened form, writing
/// summary.json with its results, data files and figures; `neuroplast plot` redraws them;
/// `--steps` and `resume` are refused with a reason.
#[test]
fn protocol_examples_run_short() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let tmp = tempfile::tempdir().unwrap();
    let short: &[(&str, &[&str])] = &[
        (
            "polychronization",
            &[
                "protocol.duration_s=3",
                "protocol.spectrum_s=2",
                "protocol.rate_windows_s=[[0, 2], [1, 3]]",
            ],
        ),
        (
            "sorf",
            &[
                "protocol.epochs=1",
                "protocol.orientations=2",
                "protocol.stimulus_ms=200.0",
                "protocol.rest_ms=50.0",
                "protocol.test_stimulus_ms=100.0",
                "protocol.test_rest_ms=50.0",
            ],
        ),
        ("characters", &[]),
        // the DRN examples take about a second at full length
        ("drn", &[]),
    ];
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let p = entry.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        if p.extension().is_none_or(|e| e != "toml") || !text.contains("[protocol]") {
            continue;
        }
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let o = neuroplast(&["validate", p.to_str().unwrap()], tmp.path());
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let kind = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("kind = \""))
            .map(|k| k.trim_end_matches('"').to_string())
            .unwrap();
        let sets = short
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, s)| *s)
            .unwrap_or_else(|| panic!("{name}: no short form for protocol {kind}"));
        let mut args = vec!["run", p.to_str().unwrap(), "--out", &name, "-q"];
        for s in sets {
            args.extend(["--set", s]);
        }
        let o = neuroplast(&args, tmp.path());
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let dir = tmp.path().join(&name);
        let s = summary(&dir);
        assert_eq!(s["protocol"], kind.as_str(), "{name}");
        assert!(s["results"].is_object(), "{name}");
        let pngs = std::fs::read_dir(dir.join("plots")).unwrap().count();
        assert!(pngs > 0, "{name}: no figures");
        std::fs::remove_dir_all(dir.join("plots")).unwrap();
        let o = neuroplast(&["plot", dir.to_str().unwrap()], tmp.path());
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(std::fs::read_dir(dir.join("plots")).unwrap().count(), pngs);
        let o = neuroplast(
            &["resume", dir.to_str().unwrap(), "--steps", "5"],
            tmp.path(),
        );
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("protocol"));
        seen.push(kind);
    }
    for kind in ["polychronization", "sorf", "characters", "drn"] {
        assert!(seen.iter().any(|k| k == kind), "{kind}: {seen:?}");
    }
    // --steps does not apply
    let p = root.join("polychronization.toml");
    let o = neuroplast(
        &["run", p.to_str().unwrap(), "--steps", "5", "--out", "x"],
        tmp.path(),
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--steps: does not apply"));
    // bad values name their key path
    let o = neuroplast(
        &[
            "validate",
            p.to_str().unwrap(),
            "--set",
            "protocol.spectrum_s=0",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("protocol.spectrum_s"));
    let o = neuroplast(
        &[
            "validate",
            p.to_str().unwrap(),
            "--set",
            "protocol.nonsense=1",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nonsense"));
}

/// Polychronization, 10 s with a fixed seed: spnet's early rates (spiking.md §2: exc 2.94 /
/// 2.86 Hz, inh 10.9 / 10.7 Hz in s 0–10), the same spike hash for the same seed, and
/// weights still near 6.
#[test]
fn polychronization_short_run_is_reproducible() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let p = root.join("polychronization.toml");
    let tmp = tempfile::tempdir().unwrap();
    let run = |out: &str| {
        let o = neuroplast(
            &[
                "run",
                p.to_str().unwrap(),
                "--out",
                out,
                "-q",
                "--set",
                "protocol.duration_s=10",
                "--set",
                "protocol.spectrum_s=10",
                "--set",
                "output.plots=false",
            ],
            tmp.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        summary(&tmp.path().join(out))["results"].clone()
    };
    let (a, b) = (run("a"), run("b"));
    assert_eq!(a["spike_hash"], b["spike_hash"]);
    let r = &a["rates"][0];
    let (e, i) = (r["exc_hz"].as_f64().unwrap(), r["inh_hz"].as_f64().unwrap());
    assert_eq!(
        (r["from_s"].as_u64(), r["to_s"].as_u64()),
        (Some(0), Some(10))
    );
    assert!((2.6..3.3).contains(&e) && (9.5..12.5).contains(&i), "{r}");
    let w = a["weights_final"]["mean"].as_f64().unwrap();
    assert!((5.5..6.5).contains(&w), "{w}");
}

/// Ctrl-C stops a run at the next chunk: exit status 130, complete results with
/// `interrupted: true` and a checkpoint, and `resume` continues from there.
#[test]
fn ctrl_c_writes_resumable_results() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let long = BASE.replace("steps = 300", "steps = 50_000_000");
    let exp = write(d, "long.toml", &long);
    let mut child = Command::new(env!("CARGO_BIN_EXE_neuroplast"))
        .args(["run", exp.to_str().unwrap(), "--out", "r"])
        .current_dir(d)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The header line comes just before the run (and its Ctrl-C handler) starts.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut header = String::new();
    std::io::BufRead::read_line(&mut err, &mut header).unwrap();
    assert!(header.starts_with("neuroplast"), "{header}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("neuroplast resume"), "{rest}");
    let s = summary(&d.join("r"));
    assert_eq!(s["interrupted"], true);
    let steps = s["steps"].as_u64().unwrap();
    assert!(steps > 0 && steps < 50_000_000, "{steps}");
    assert!(d.join("r/checkpoint.bin").is_file());
    let o = neuroplast(&["resume", "r", "--steps", "100", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        summary(&d.join("r"))["steps"].as_u64().unwrap(),
        steps + 100
    );
}

/// A real-valued input matrix from a .npy file drives the chosen units; running past its last
/// column is refused unless `repeat = true`.
#[test]
fn input_matrix_from_npy() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let arr = ndarray::Array2::<f64>::from_shape_fn((5, 400), |(k, t)| ((k + t) % 3) as f64);
    ndarray_npy::write_npy(d.join("u.npy"), &arr).unwrap();
    let text =
        format!("{BASE}\n[input]\nkind = \"matrix\"\nfile = \"u.npy\"\nunits = [3, 1, 4, 0, 2]\n");
    let exp = write(d, "m.toml", &text);
    let e = exp.to_str().unwrap();
    let o = neuroplast(&["run", e, "--out", "ok", "--steps", "400", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = neuroplast(&["run", e, "--out", "long", "--steps", "401", "-q"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("400 columns"));
    assert!(!d.join("long").exists());
    let o = neuroplast(
        &[
            "run",
            e,
            "--out",
            "rep",
            "--steps",
            "1000",
            "--set",
            "input.repeat=true",
            "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `[analysis]`: avalanches and weight fits land in summary.json and analysis/avalanches.npz;
/// a discard longer than the run is reported, not an error.
#[test]
fn analysis_section_writes_its_results() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let text = format!(
        "{BASE}\n[analysis]\navalanches = {{ discard_steps = 100, duration_window = [1, 20], size_window = [1, 200] }}\nweights = true\n"
    );
    let exp = write(d, "a.toml", &text);
    let e = exp.to_str().unwrap();
    let o = neuroplast(&["run", e, "--out", "a", "--steps", "3000", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = summary(&d.join("a"));
    let av = &s["analysis"]["avalanches"];
    assert_eq!(av["steps_analysed"], 2900);
    assert!(av["count"].as_u64().unwrap() > 0, "{av}");
    assert_eq!(av["duration"]["window"], serde_json::json!([1, 20]));
    assert!(av["duration"]["exponent"].as_f64().is_some(), "{av}");
    assert!(d.join("a/analysis/avalanches.npz").is_file());
    let w = &s["analysis"]["weights_ee"];
    assert!(
        ["lognormal", "normal", "exponential"].contains(&w["best"].as_str().unwrap()),
        "{w}"
    );
    // The resolved config states the windows.
    let cfg = std::fs::read_to_string(d.join("a/config.toml")).unwrap();
    assert!(cfg.contains("duration_window = [1, 20]"), "{cfg}");
    let o = neuroplast(&["run", e, "--out", "b", "--steps", "50", "-q"], d);
    assert!(o.status.success());
    assert!(summary(&d.join("b"))["analysis"]["avalanches"]["skipped"].is_string());
}

/// A sweep runs every point (in parallel jobs), each identical to a plain run with the same
/// values, and writes sweep.csv in grid order plus a summary plot; bad sweep input is refused
/// before anything runs.
#[test]
fn sweep_runs_the_grid() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let exp = write(d, "s.toml", BASE);
    let e = exp.to_str().unwrap();
    let o = neuroplast(
        &[
            "sweep",
            e,
            "--param",
            "sorn.noise_sigma=0.1,0.3",
            "--seeds",
            "1..2",
            "--jobs",
            "2",
            "--out",
            "sw",
            "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(d.join("sw/sweep.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 5, "{csv}");
    assert!(
        rows[1].starts_with("noise_sigma=0.1__seed1,1,0.1,"),
        "{csv}"
    );
    assert!(
        rows[4].starts_with("noise_sigma=0.3__seed2,2,0.3,"),
        "{csv}"
    );
    assert!(d.join("sw/plots/sweep.png").is_file());
    let point = summary(&d.join("sw/noise_sigma=0.3__seed2"));
    let o = neuroplast(
        &[
            "run",
            e,
            "--out",
            "plain",
            "--seed",
            "2",
            "--set",
            "sorn.noise_sigma=0.3",
            "-q",
        ],
        d,
    );
    assert!(o.status.success());
    assert_eq!(point["spike_hash"], summary(&d.join("plain"))["spike_hash"]);
    for (args, key) in [
        (
            vec!["--param", "sorn.noise_sigma=0.1,-1"],
            "sorn.noise_sigma",
        ),
        (vec!["--param", "sorn.nosie=1"], "sorn.nosie"),
        (
            vec!["--param", "sorn.noise_sigma=0.1", "--seeds", "5..1"],
            "--seeds",
        ),
    ] {
        let mut full = vec!["sweep", e, "--out", "bad", "-q"];
        full.extend(args);
        let o = neuroplast(&full, d);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{:?}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains(key));
        assert!(!d.join("bad").exists());
    }
}

/// A `[sweep]` section makes the grid part of the file; pooled avalanche fits and the
/// per-point means are written; `--param`/`--seeds` on the command line replace the file's.
#[test]
fn sweep_from_the_file_pools_avalanches() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let text = BASE.replace("steps = 300", "steps = 3000")
        + "[analysis]\navalanches = { discard_steps = 1000, duration_window = [2, 20], size_window = [2, 100] }\n"
        + "[sweep]\nparams = { \"sorn.noise_sigma\" = [0.1, 0.3] }\nseeds = [4, 5]\nmetric = \"mean_rate_e\"\n";
    let exp = write(d, "s.toml", &text);
    let e = exp.to_str().unwrap();
    let o = neuroplast(&["sweep", e, "--jobs", "2", "--out", "sw", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(d.join("sw/sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(csv.contains("noise_sigma=0.3__seed5,5,0.3,"), "{csv}");
    // Means per point over the two seeds, from the points' summaries.
    let mean = std::fs::read_to_string(d.join("sw/sweep_mean.csv")).unwrap();
    let rows: Vec<&str> = mean.lines().collect();
    assert_eq!(rows[0], "sorn.noise_sigma,metric,runs,mean,min,max");
    let rate = |seed: u64| {
        summary(&d.join(format!("sw/noise_sigma=0.1__seed{seed}")))["mean_rate_e"]
            .as_f64()
            .unwrap()
    };
    let fields: Vec<&str> = rows[1].split(',').collect();
    assert_eq!(&fields[..3], &["0.1", "mean_rate_e", "2"]);
    let m: f64 = fields[3].parse().unwrap();
    assert!((m - (rate(4) + rate(5)) / 2.0).abs() < 1e-12);
    // Pooled: one row per noise level, counting the avalanches of both runs.
    let pooled = std::fs::read_to_string(d.join("sw/pooled.csv")).unwrap();
    let prow: Vec<&str> = pooled.lines().nth(1).unwrap().split(',').collect();
    let count = |seed: u64| {
        summary(&d.join(format!("sw/noise_sigma=0.1__seed{seed}")))["analysis"]["avalanches"]
            ["count"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(prow[1], "2");
    assert_eq!(prow[2].parse::<u64>().unwrap(), count(4) + count(5));
    assert!(d.join("sw/plots/pooled_1_duration.png").is_file());
    assert!(d.join("sw/plots/connection_fraction.png").is_file());
    // `plot` on a sweep directory redraws its tables and figures from the points.
    let before = std::fs::read_to_string(d.join("sw/pooled.csv")).unwrap();
    std::fs::remove_file(d.join("sw/pooled.csv")).unwrap();
    std::fs::remove_file(d.join("sw/sweep_mean.csv")).unwrap();
    let o = neuroplast(&["plot", "sw"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(d.join("sw/pooled.csv")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read_to_string(d.join("sw/sweep_mean.csv")).unwrap(),
        mean
    );
    // The command line replaces the file's grid.
    let o = neuroplast(
        &[
            "sweep",
            e,
            "--param",
            "sorn.noise_sigma=0.2",
            "--seeds",
            "1",
            "--out",
            "sw2",
            "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(d.join("sw2/sweep.csv"))
            .unwrap()
            .lines()
            .count(),
        2
    );
    // A [sweep] entry that is not a list is refused with its key path.
    let bad = write(d, "bad.toml", &text.replace("[0.1, 0.3]", "0.1"));
    let o = neuroplast(&["sweep", bad.to_str().unwrap(), "--out", "bad", "-q"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("sweep.params.sorn.noise_sigma"));
}

/// The experiment files shown in the README (SORN and spiking) are valid as written.
#[test]
fn readme_experiment_file_validates() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut n = 0;
    let mut rest = readme.as_str();
    while let Some(i) = rest.find("```toml\n") {
        let start = i + "```toml\n".len();
        let block = &rest[start..start + rest[start..].find("```").unwrap()];
        rest = &rest[start..];
        n += 1;
        let exp = write(tmp.path(), "readme.toml", block);
        let o = neuroplast(&["validate", exp.to_str().unwrap()], tmp.path());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(n >= 2, "a SORN and a spiking example");
}

const SPIKING: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 30.0
seed = 5

[populations.exc]
model = "IF_cond_exp"
n = 2500
params = { i_offset = 1.2, tau_refrac = 2.0 }
init = { v = { kind = "uniform", low = -65.0, high = -50.0 } }

[populations.inh]
model = "IF_curr_exp"
n = 100

[projections.ee]
pre = "exc"
post = "exc"
connector = { kind = "fixed_probability", p = 0.01 }
receptor = "excitatory"
weight = 0.002
delay_ms = { kind = "uniform", low = 0.1, high = 2.0 }
delay_rounding = "round"

[projections.ei]
pre = "exc"
post = "inh"
connector = { kind = "fixed_in_degree", k = 20 }
receptor = "excitatory"
weight = 0.5

[projections.ie]
pre = "inh"
post = "exc"
connector = { kind = "fixed_probability", p = 0.05 }
receptor = "inhibitory"
weight = 0.01

[record.exc]
spikes = { neurons = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], start_ms = 5.0 }
state = { v = { neurons = [0, 7], every_ms = 0.5 } }
rate = { bin_ms = 1.0 }

[record.inh]
spikes = true
"#;

fn npz_len(path: &Path, name: &str) -> Vec<u64> {
    let f = std::fs::File::open(path).unwrap();
    let mut z = ndarray_npy::NpzReader::new(f).unwrap();
    if name == "neuron" {
        let a: ndarray::Array1<u32> = z.by_name(name).unwrap();
        a.iter().map(|&x| u64::from(x)).collect()
    } else {
        let a: ndarray::Array1<u64> = z.by_name(name).unwrap();
        a.to_vec()
    }
}

/// A spiking file runs into a complete results directory whose files agree with
/// summary.json; the run repeats bit for bit, with any number of threads.
#[test]
fn spiking_run_writes_consistent_results() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let exp = write(d, "net.toml", SPIKING);
    let o = neuroplast(&["validate", "net.toml"], d);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        out.contains("deliver the static projections") && out.contains("projection ee"),
        "{out}"
    );
    let o = neuroplast(&["run", exp.to_str().unwrap(), "--out", "a", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let a = d.join("a");
    for f in [
        "config.toml",
        "summary.json",
        "spikes/exc.npz",
        "spikes/inh.npz",
        "state/exc_v.npy",
        "state/exc_v_steps.npy",
        "rate/exc.npy",
        "rate/exc_steps.npy",
        "plots/raster.png",
        "plots/state_exc_v.png",
        "plots/rate.png",
    ] {
        assert!(a.join(f).is_file(), "missing {f}");
    }
    let s = summary(&a);
    assert_eq!(s["steps"], 300);
    assert_eq!(s["populations"]["exc"]["n"], 2500);
    let inh_spikes = s["populations"]["inh"]["spikes"].as_u64().unwrap();
    let exc_spikes = s["populations"]["exc"]["spikes"].as_u64().unwrap();
    assert!(exc_spikes > 100, "the network is active: {s}");
    // every inh spike recorded; exc only neurons 0–9 from step 50 on
    let steps = npz_len(&a.join("spikes/inh.npz"), "step");
    assert_eq!(steps.len() as u64, inh_spikes);
    assert_eq!(s["recorded_spikes"]["inh"].as_u64(), Some(inh_spikes));
    let ids = npz_len(&a.join("spikes/exc.npz"), "neuron");
    let st = npz_len(&a.join("spikes/exc.npz"), "step");
    assert!(ids.iter().all(|&i| i < 10) && st.iter().all(|&t| (50..300).contains(&t)));
    assert_eq!(s["recorded_spikes"]["exc"].as_u64(), Some(ids.len() as u64));
    let v: ndarray::Array2<f64> = ndarray_npy::read_npy(a.join("state/exc_v.npy")).unwrap();
    assert_eq!(v.shape(), &[60, 2]);
    let r: ndarray::Array1<f64> = ndarray_npy::read_npy(a.join("rate/exc.npy")).unwrap();
    assert_eq!(r.len(), 30);
    // mean rate of the bins = spikes / (n · T)
    let mean_bins = r.iter().sum::<f64>() / 30.0;
    let mean = s["populations"]["exc"]["mean_rate_hz"].as_f64().unwrap();
    assert!(
        (mean_bins - mean).abs() < 1e-9 * mean.max(1.0),
        "{mean_bins} {mean}"
    );
    assert!((mean - exc_spikes as f64 / 2500.0 / 0.03).abs() < 1e-9);
    let synapses = s["synapses"].as_u64().unwrap();
    let per: u64 = ["ee", "ei", "ie"]
        .iter()
        .map(|p| s["projections"][p]["synapses"].as_u64().unwrap())
        .sum();
    assert_eq!(synapses, per);
    assert!(s["synaptic_events"].as_u64().unwrap() > 0);
    let hash = s["spike_hash"].as_str().unwrap().to_string();

    // again, with 2 threads (2500 neurons = two shards), and from the resolved config
    let o = neuroplast(
        &["run", "net.toml", "--out", "b", "--threads", "2", "-q"],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(summary(&d.join("b"))["threads"], 2);
    assert_eq!(summary(&d.join("b"))["spike_hash"], hash.as_str());
    let o = neuroplast(&["run", "a/config.toml", "--out", "c", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(summary(&d.join("c"))["spike_hash"], hash.as_str());
    // --set works on spiking files; plot redraws
    let o = neuroplast(
        &[
            "run",
            "net.toml",
            "--out",
            "e",
            "-q",
            "--set",
            "simulation.duration_ms=10.0",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(summary(&d.join("e"))["steps"], 100);
    std::fs::remove_dir_all(a.join("plots")).unwrap();
    let o = neuroplast(&["plot", "a"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(a.join("plots/raster.png").is_file());
}

/// Bad spiking input: exit status 2, the key path, nothing written.
#[test]
fn bad_spiking_input_is_refused_with_the_key_path() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (find, replace, path) in [
        (
            "receptor = \"inhibitory\"",
            "receptor = \"gaba\"",
            "projections.ie.receptor",
        ),
        (
            "model = \"IF_curr_exp\"",
            "model = \"IF_curr_beta\"",
            "populations.inh.model",
        ),
        (
            "every_ms = 0.5",
            "every_ms = 0.55",
            "record.exc.state.v.every_ms",
        ),
        (
            "[record.inh]",
            "[record]\nmax_memory_mb = 0.01\n\n[record.inh]",
            "record.max_memory_mb",
        ),
    ] {
        let text = SPIKING.replacen(find, replace, 1);
        write(d, "bad.toml", &text);
        let o = neuroplast(&["run", "bad.toml", "--out", "out", "-q"], d);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{path}: {err}");
        assert!(err.contains(path), "{path}: {err}");
        assert!(!d.join("out").exists());
        let left: Vec<_> = std::fs::read_dir(d).unwrap().collect();
        assert_eq!(left.len(), 1, "only bad.toml is left");
    }
}

/// A small COBA-like network driven by Poisson input (exc ≈ 17 Hz, inh ≈ 63 Hz; exc has two
/// shards, so two threads really split it).
const SPIKING_SMALL: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 200.0
seed = 7

[populations.exc]
model = "IF_cond_exp"
n = 1100
init = { v = { kind = "uniform", low = -65.0, high = -50.0 } }

[populations.inh]
model = "IF_cond_exp"
n = 100

[populations.input]
model = "SpikeSourcePoisson"
n = 50
params = { rate = 40.0 }

[projections.in_e]
pre = "input"
post = "exc"
connector = { kind = "fixed_probability", p = 0.2 }
receptor = "excitatory"
weight = 0.015

[projections.in_i]
pre = "input"
post = "inh"
connector = { kind = "fixed_probability", p = 0.2 }
receptor = "excitatory"
weight = 0.01

[projections.ee]
pre = "exc"
post = "exc"
connector = { kind = "fixed_in_degree", k = 20 }
receptor = "excitatory"
weight = 0.004
delay_ms = { kind = "uniform", low = 0.1, high = 2.0 }
delay_rounding = "round"

[projections.ei]
pre = "exc"
post = "inh"
connector = { kind = "fixed_in_degree", k = 20 }
receptor = "excitatory"
weight = 0.004

[projections.ie]
pre = "inh"
post = "exc"
connector = { kind = "fixed_in_degree", k = 10 }
receptor = "inhibitory"
weight = 0.03

[record.exc]
spikes = true
state = { v = { neurons = [0, 5, 1050], every_ms = 0.5 } }
rate = { bin_ms = 5.0 }

[record.inh]
spikes = { neurons = [0, 1, 2, 3], start_ms = 5.0 }

[output]
plots = false
"#;

fn npz_u64(path: &Path, name: &str) -> Vec<u64> {
    npz_len(path, name)
}

/// Spiking: run 2k steps = run k (checkpoint) + resume k, on one or two threads: same spike
/// hash and totals, and the resumed directory's recordings are exactly the second half of the
/// uninterrupted run's; a directory without checkpoint.bin, or a checkpoint of the other
/// kind, is refused with a clear message.
#[test]
fn spiking_run_resume_equals_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "net.toml", SPIKING_SMALL);
    let ok = |args: &[&str]| {
        let o = neuroplast(args, d);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    ok(&["run", "net.toml", "--out", "full", "--steps", "4000", "-q"]);
    ok(&["run", "net.toml", "--out", "half", "--steps", "2000", "-q"]);
    assert!(d.join("half/checkpoint.bin").is_file());
    ok(&["resume", "half", "--steps", "2000", "--out", "res", "-q"]);
    ok(&[
        "resume",
        "half",
        "--steps",
        "2000",
        "--out",
        "res2",
        "--threads",
        "2",
        "-q",
    ]);
    let (full, half, res, res2) = (
        summary(&d.join("full")),
        summary(&d.join("half")),
        summary(&d.join("res")),
        summary(&d.join("res2")),
    );
    assert_eq!(full["steps"], 4000);
    assert_eq!(half["steps"], 2000);
    assert_ne!(full["spike_hash"], half["spike_hash"]);
    for (s, threads) in [(&res, 1), (&res2, 2)] {
        assert_eq!(s["spike_hash"], full["spike_hash"]);
        assert_eq!(s["steps"], 4000);
        assert_eq!(s["steps_this_run"], 2000);
        assert_eq!(s["first_step_this_run"], 2000);
        assert_eq!(s["threads"], threads);
        assert_eq!(s["resumed_from"], "half");
        assert_eq!(s["synaptic_events"], full["synaptic_events"]);
        assert_eq!(s["duration_ms"], full["duration_ms"]);
        for p in ["exc", "inh", "input"] {
            let total = full["populations"][p]["spikes"].as_u64().unwrap();
            let first = half["populations"][p]["spikes"].as_u64().unwrap();
            assert_eq!(s["populations"][p]["spikes"].as_u64(), Some(total));
            assert_eq!(
                s["populations"][p]["spikes_this_run"].as_u64(),
                Some(total - first)
            );
            assert_eq!(
                s["populations"][p]["mean_rate_hz"],
                full["populations"][p]["mean_rate_hz"]
            );
        }
    }
    assert_eq!(full["resumed_from"], serde_json::Value::Null);
    assert_eq!(full["synaptic_events"], full["synaptic_events_this_run"]);
    let exc_spikes = full["populations"]["exc"]["spikes"].as_u64().unwrap();
    assert!(exc_spikes > 1000, "the network is active: {full}");
    // the config of the resumed directory states the whole run
    let cfg = std::fs::read_to_string(d.join("res/config.toml")).unwrap();
    assert!(cfg.contains("duration_ms = 400.0"), "{cfg}");

    // a results directory covers its run from step 0: the continuation's files equal the
    // uninterrupted run's (spikes, state samples, rate bins), the first half's are its prefix
    for pop in ["exc", "inh"] {
        let f = format!("spikes/{pop}.npz");
        let (fs, fi) = (
            npz_u64(&d.join("full").join(&f), "step"),
            npz_u64(&d.join("full").join(&f), "neuron"),
        );
        let split = fs.iter().position(|&t| t >= 2000).unwrap_or(fs.len());
        assert!(
            split > 0 && split < fs.len(),
            "{pop}: spikes in both halves"
        );
        for dir in ["res", "res2"] {
            assert_eq!(
                npz_u64(&d.join(dir).join(&f), "step"),
                fs,
                "{dir} {pop} steps"
            );
            assert_eq!(
                npz_u64(&d.join(dir).join(&f), "neuron"),
                fi,
                "{dir} {pop} neurons"
            );
            assert_eq!(
                summary(&d.join(dir))["recorded_spikes"][pop].as_u64(),
                Some(fs.len() as u64)
            );
        }
        let hs = npz_u64(&d.join("half").join(&f), "step");
        assert_eq!(hs, fs[..split], "half {pop}");
    }
    let v = |dir: &str| -> ndarray::Array2<f64> {
        ndarray_npy::read_npy(d.join(dir).join("state/exc_v.npy")).unwrap()
    };
    let vs = |dir: &str| -> ndarray::Array1<u64> {
        ndarray_npy::read_npy(d.join(dir).join("state/exc_v_steps.npy")).unwrap()
    };
    assert_eq!(v("full").shape(), &[800, 3]);
    assert_eq!(v("res"), v("full"));
    assert_eq!(vs("res"), vs("full"));
    assert_eq!(v("half").shape(), &[400, 3]);
    let r = |dir: &str, f: &str| -> Vec<f64> {
        let a: ndarray::Array1<f64> = ndarray_npy::read_npy(d.join(dir).join(f)).unwrap();
        a.to_vec()
    };
    assert_eq!(r("full", "rate/exc.npy").len(), 80);
    assert_eq!(r("res", "rate/exc.npy"), r("full", "rate/exc.npy"));
    assert_eq!(r("res2", "rate/exc.npy"), r("full", "rate/exc.npy"));

    // without --out the run continues in place: DIR is replaced (atomically) by the whole run
    ok(&["resume", "half", "--steps", "2000", "-q"]);
    assert_eq!(summary(&d.join("half"))["spike_hash"], full["spike_hash"]);
    assert_eq!(summary(&d.join("half"))["steps"], 4000);
    assert_eq!(
        npz_u64(&d.join("half/spikes/exc.npz"), "step"),
        npz_u64(&d.join("full/spikes/exc.npz"), "step")
    );

    // no checkpoint.bin: exit status 1 and a message naming the file and the key
    write(
        d,
        "nock.toml",
        &format!("{SPIKING_SMALL}checkpoint = false\n"),
    );
    ok(&["run", "nock.toml", "--out", "nock", "--steps", "100", "-q"]);
    assert!(!d.join("nock/checkpoint.bin").exists());
    let o = neuroplast(&["resume", "nock", "--steps", "100", "-q"], d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("nock/checkpoint.bin") && err.contains("output.checkpoint = false"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(summary(&d.join("nock"))["steps"], 100, "left as it was");

    // a SORN checkpoint under a spiking config, and the other way round
    write(d, "sorn.toml", BASE);
    ok(&["run", "sorn.toml", "--out", "sorn", "--steps", "50", "-q"]);
    std::fs::copy(d.join("sorn/checkpoint.bin"), d.join("nock/checkpoint.bin")).unwrap();
    let o = neuroplast(&["resume", "nock", "--steps", "100", "-q"], d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("this is a SORN checkpoint, not a spiking-network one"),
        "{err}"
    );
    std::fs::copy(d.join("full/checkpoint.bin"), d.join("sorn/checkpoint.bin")).unwrap();
    let o = neuroplast(&["resume", "sorn", "--steps", "100", "-q"], d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("this is a spiking-network checkpoint, not a SORN one"),
        "{err}"
    );
    // a config edited after the run is refused
    let cfg = std::fs::read_to_string(d.join("full/config.toml")).unwrap();
    std::fs::write(
        d.join("full/config.toml"),
        cfg.replace("seed = 7", "seed = 8"),
    )
    .unwrap();
    let o = neuroplast(&["resume", "full", "--steps", "100", "-q"], d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("was edited after the run"), "{err}");
    // without the fingerprint (a summary from before it existed) the checkpoint itself tells
    let sum = std::fs::read_to_string(d.join("full/summary.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&sum).unwrap();
    v.as_object_mut().unwrap().remove("config_fingerprint");
    std::fs::write(d.join("full/summary.json"), v.to_string()).unwrap();
    let o = neuroplast(&["resume", "full", "--steps", "100", "-q"], d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("disagree on simulation.seed"), "{err}");
}

/// `resume` continues only the configuration it checkpointed: any edit of config.toml beyond
/// `[output]`/`[analysis]`/`[readout]`/`[sweep]` is refused (exit 2, nothing written), and
/// an explicit `--out` that exists is replaced only with `--force`.
#[test]
fn resume_refuses_edits_and_existing_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let exp = write(d, "e.toml", BASE);
    let e = exp.to_str().unwrap();
    for out in ["a", "b"] {
        let o = neuroplast(&["run", e, "--out", out, "-q"], d);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let cfg = std::fs::read_to_string(d.join("a/config.toml")).unwrap();
    let listing = |dir: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let before = std::fs::read(d.join("a/summary.json")).unwrap();
    for (from, to) in [
        ("seed = 3", "seed = 4"),
        ("eta_stdp = 0.004", "eta_stdp = 0.005"),
        ("activity = true", "activity = false"),
    ] {
        assert!(cfg.contains(from), "config.toml has {from}");
        std::fs::write(d.join("a/config.toml"), cfg.replace(from, to)).unwrap();
        let o = neuroplast(&["resume", "a", "--steps", "50", "-q"], d);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{to}: {err}");
        assert!(
            err.contains("a/config.toml was edited after the run"),
            "{err}"
        );
        assert_eq!(std::fs::read(d.join("a/summary.json")).unwrap(), before);
    }
    // what to write may change
    std::fs::write(
        d.join("a/config.toml"),
        cfg.replace("plots = true", "plots = false"),
    )
    .unwrap();
    let o = neuroplast(&["resume", "a", "--steps", "50", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(summary(&d.join("a"))["steps"], 350);
    // an existing --out other than DIR: refused, then replaced with --force
    let b_before = listing("b");
    let o = neuroplast(&["resume", "a", "--steps", "50", "--out", "b", "-q"], d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(listing("b"), b_before);
    assert_eq!(summary(&d.join("b"))["steps"], 300);
    let o = neuroplast(
        &[
            "resume", "a", "--steps", "50", "--out", "b", "--force", "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(summary(&d.join("b"))["steps"], 400);
    // --out naming a file is refused, --force or not
    write(d, "notes.txt", "mine\n");
    let o = neuroplast(
        &[
            "resume",
            "a",
            "--steps",
            "50",
            "--out",
            "notes.txt",
            "--force",
            "-q",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(d.join("notes.txt")).unwrap(),
        "mine\n"
    );
    // a truncated checkpoint is named as such
    let ck = std::fs::read(d.join("a/checkpoint.bin")).unwrap();
    std::fs::write(d.join("a/checkpoint.bin"), &ck[..ck.len() / 2]).unwrap();
    let o = neuroplast(&["resume", "a", "--steps", "50", "-q"], d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("corrupt or truncated checkpoint") && err.contains("truncated copy?"),
        "{err}"
    );
}

/// Refusals before anything runs exit with status 2 and leave the files as they were.
#[test]
fn refusals_exit_2_and_touch_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let exp = write(d, "e.toml", BASE);
    let e = exp.to_str().unwrap();
    write(d, "ff", "a file\n");
    write(d, "empty.toml", "[simulation]\nsteps = 10\n");
    let spiking = write(d, "s.toml", SPIKING);
    write(d, "p.toml", "[protocol]\nkind = \"drn\"\n");
    let s = spiking.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["run", e, "--out", "ff", "--force", "-q"],
            "is a file, not a results directory",
        ),
        (
            &["run", e, "--steps", "0", "--out", "x", "-q"],
            "--steps: must be ≥ 1, got 0",
        ),
        (
            &["run", "empty.toml", "--out", "x", "-q"],
            "needs a [sorn] section",
        ),
        (
            &[
                "run",
                e,
                "--set",
                "sorn.w_ee={kind=\"bernoulli\",p=0.2",
                "--out",
                "x",
                "-q",
            ],
            "is not a valid TOML value",
        ),
        (
            &[
                "sweep", e, "--jobs", "0", "--seeds", "1..2", "--out", "x", "-q",
            ],
            "--jobs must be ≥ 1",
        ),
        (&["sweep", e, "--out", "x", "-q"], "nothing to sweep"),
        (
            &[
                "sweep",
                e,
                "--param",
                "simulation.seed=1,2",
                "--out",
                "x",
                "-q",
            ],
            "use --seeds",
        ),
        (
            &[
                "sweep", s, "--seeds", "1..2", "--steps", "0", "--out", "x", "-q",
            ],
            "--steps: must be ≥ 1",
        ),
        (
            &[
                "sweep", "p.toml", "--seeds", "1..2", "--steps", "5", "--out", "x", "-q",
            ],
            "--steps: does not apply to a protocol file",
        ),
        (&["plot", "."], "is not a results directory"),
        (
            &["bench", "coba", "--n", "5"],
            "--n 5 is too small for coba: at least 80",
        ),
        (
            &["bench", "cuba", "--seconds", "0.00001"],
            "shorter than one step",
        ),
        (
            &["bench", "izh03", "--repeats", "0"],
            "--repeats must be ≥ 1",
        ),
    ];
    for (args, msg) in cases {
        let o = neuroplast(args, d);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(msg), "{args:?}: {err}");
        assert!(!d.join("x").exists(), "{args:?} wrote x");
    }
    assert_eq!(std::fs::read_to_string(d.join("ff")).unwrap(), "a file\n");
    let mut left: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["e.toml", "empty.toml", "ff", "p.toml", "s.toml"]);
}

/// `--set sorn.w_ee.p=…` changes one field of the preset's table; `sweep --seeds` alone
/// sweeps seeds; a `--metric` the summaries lack fails and lists what they have.
#[test]
fn preset_fields_seed_sweeps_and_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let exp = write(d, "e.toml", BASE);
    let e = exp.to_str().unwrap();
    let o = neuroplast(
        &[
            "run",
            e,
            "--set",
            "sorn.w_ee.p=0.3",
            "--steps",
            "1",
            "--out",
            "p",
            "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cfg: toml::Table = std::fs::read_to_string(d.join("p/config.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let w_ee = cfg["sorn"]["w_ee"].as_table().unwrap();
    assert_eq!(w_ee["kind"].as_str(), Some("bernoulli"));
    assert_eq!(w_ee["p"].as_float(), Some(0.3));
    // without --seeds a sweep runs the file's own seed (BASE: 3)
    let o = neuroplast(
        &[
            "sweep",
            e,
            "--param",
            "sorn.noise_sigma=0.01",
            "--steps",
            "20",
            "--out",
            "s3",
            "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(summary(&d.join("s3/noise_sigma=0.01__seed3"))["seed"], 3);
    let o = neuroplast(
        &[
            "sweep", e, "--seeds", "1..2", "--steps", "20", "--out", "sw", "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mean = std::fs::read_to_string(d.join("sw/sweep_mean.csv")).unwrap();
    assert!(
        mean.lines()
            .nth(1)
            .unwrap()
            .starts_with("connection_fraction_ee,2,"),
        "{mean}"
    );
    assert!(d.join("sw/seed1/summary.json").is_file() && d.join("sw/seed2/summary.json").is_file());
    let o = neuroplast(
        &[
            "sweep", e, "--seeds", "1", "--steps", "20", "--metric", "nope", "--out", "sm", "-q",
        ],
        d,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("the metric \"nope\" is not a number"), "{err}");
    assert!(err.contains("mean_rate_e"), "{err}");
}

/// Spiking and protocol files sweep too: each point is the run `neuroplast run` gives for its
/// values and seed, and sweep.csv lists the summary values of that kind of file.
#[test]
fn sweeps_of_spiking_and_protocol_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "drn.toml",
        "[protocol]\nkind = \"drn\"\n[output]\nplots = false\n",
    );
    let o = neuroplast(
        &[
            "sweep", "drn.toml", "--seeds", "1..2", "--jobs", "2", "--out", "sd", "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = neuroplast(&["run", "drn.toml", "--seed", "2", "--out", "one", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rate = |dir: &str| {
        summary(&d.join(dir))["results"]["exc_rate_hz"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(rate("sd/seed2"), rate("one"));
    let mean = std::fs::read_to_string(d.join("sd/sweep_mean.csv")).unwrap();
    let row: Vec<&str> = mean.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[..2], ["results.exc_rate_hz", "2"], "{mean}");
    let m: f64 = row[2].parse().unwrap();
    assert!(
        (m - (rate("sd/seed1") + rate("sd/seed2")) / 2.0).abs() < 1e-12,
        "{mean}"
    );
    let csv = std::fs::read_to_string(d.join("sd/sweep.csv")).unwrap();
    assert!(
        csv.lines().next().unwrap().contains("results.cv_exc_10ms"),
        "{csv}"
    );

    write(d, "s.toml", SPIKING);
    let o = neuroplast(
        &[
            "sweep", "s.toml", "--seeds", "3,4", "--steps", "100", "--out", "ss", "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = neuroplast(
        &[
            "run", "s.toml", "--seed", "4", "--steps", "100", "--out", "s4", "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let point = summary(&d.join("ss/seed4"));
    assert_eq!(point["steps"], 100);
    assert_eq!(point["spike_hash"], summary(&d.join("s4"))["spike_hash"]);
    let csv = std::fs::read_to_string(d.join("ss/sweep.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("populations.exc.mean_rate_hz"),
        "{csv}"
    );
}

/// Ctrl-C stops a spiking run at the next chunk: exit status 130, results with a
/// checkpoint, and `resume` continues it.
#[test]
fn spiking_ctrl_c_writes_resumable_results() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let long = SPIKING_SMALL.replace("duration_ms = 200.0", "duration_ms = 10000000.0");
    let exp = write(d, "long.toml", &long);
    let mut child = Command::new(env!("CARGO_BIN_EXE_neuroplast"))
        .args(["run", exp.to_str().unwrap(), "--out", "r"])
        .current_dir(d)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut header = String::new();
    std::io::BufRead::read_line(&mut err, &mut header).unwrap();
    assert!(header.starts_with("neuroplast"), "{header}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("neuroplast resume r --steps"), "{rest}");
    let s = summary(&d.join("r"));
    assert_eq!(s["interrupted"], true);
    let steps = s["steps"].as_u64().unwrap();
    assert!(steps > 0 && steps < 100_000_000, "{steps}");
    assert!(d.join("r/checkpoint.bin").is_file());
    let o = neuroplast(&["resume", "r", "--steps", "100", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = summary(&d.join("r"));
    assert_eq!(s["steps"].as_u64().unwrap(), steps + 100);
    assert_eq!(s["first_step_this_run"].as_u64().unwrap(), steps);
    assert_eq!(s["interrupted"], false);
}

/// The `sorf` protocol, short (1 epoch, 4 orientations, 0.6 s per grating): the data files,
/// figures and summary keys are there, weights are in bounds, and the same seed gives the
/// same figures.
#[test]
fn sorf_protocol_short_run() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "[simulation]\nseed = 4\n[protocol]\nkind = \"sorf\"\nepochs = 1\norientations = 4\nstimulus_ms = 500.0\nrest_ms = 100.0\ntest_stimulus_ms = 200.0\ntest_rest_ms = 50.0\n";
    let cfg = write(tmp.path(), "sorf.toml", text);
    let mut results = Vec::new();
    for out in ["a", "b"] {
        let o = neuroplast(
            &["run", cfg.to_str().unwrap(), "--out", out, "-q"],
            tmp.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let dir = tmp.path().join(out);
        for f in [
            "data/w_on_initial.npy",
            "data/w_off_final.npy",
            "data/exc_rates.npy",
            "data/tuning.npy",
            "plots/receptive_fields_on_minus_off.png",
            "plots/rates.png",
            "plots/tuning.png",
        ] {
            assert!(dir.join(f).is_file(), "{f} missing");
        }
        let mut r = summary(&dir)["results"].clone();
        for k in [
            "rf_match_initial",
            "rf_match_final",
            "corr_on_off_final",
            "exc_rate_per_epoch",
            "inh_rate_per_epoch",
            "distinct_orientations",
            "w_exc_inh_final",
            "osi",
            "test_peak_rate",
        ] {
            assert!(!r[k].is_null(), "summary lacks {k}");
        }
        let exc = r["exc_rate_per_epoch"][0].as_f64().unwrap();
        assert!(exc > 5.0 && exc < 80.0, "Exc rate {exc}");
        for row in r["w_exc_inh_final"].as_array().unwrap() {
            for w in row.as_array().unwrap() {
                let w = w.as_f64().unwrap();
                assert!((0.0..=10.0).contains(&w));
            }
        }
        let m = r.as_object_mut().unwrap();
        m.remove("wall_seconds_per_epoch");
        m.remove("wall_seconds_test");
        results.push(r);
    }
    assert_eq!(results[0], results[1]);
}

#[test]
fn models_prints_the_catalogue_of_docs_models_md() {
    let tmp = tempfile::tempdir().unwrap();
    let o = neuroplast(&["models"], tmp.path());
    assert_eq!(o.status.code(), Some(0));
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/models.md"),
    )
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), docs);
}

#[test]
fn a_seed_above_two_to_the_63_runs_and_its_config_repeats_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "s.toml", SPIKING);
    let seed = u64::MAX.to_string();
    let o = neuroplast(&["run", "s.toml", "--seed", &seed, "--out", "a", "-q"], d);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let config = std::fs::read_to_string(d.join("a/config.toml")).unwrap();
    assert!(config.contains(&format!("seed = \"{seed}\"")), "{config}");
    let o = neuroplast(&["run", "a/config.toml", "--out", "b", "-q"], d);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let hash = |dir: &str| {
        let s = std::fs::read_to_string(d.join(dir).join("summary.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        v["spike_hash"].as_str().unwrap().to_string()
    };
    assert_eq!(hash("a"), hash("b"));
}

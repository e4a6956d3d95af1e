//! `[analysis]` and `[readout]` on spiking runs, checked against what the spike files say.

use std::path::Path;
use std::process::{Command, Output};

fn neuroplast(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neuroplast"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn npz<T: ndarray_npy::ReadableElement + Clone>(path: &Path, name: &str) -> Vec<T> {
    let f = std::fs::File::open(path).unwrap();
    let mut z = ndarray_npy::NpzReader::new(f).unwrap();
    let a: ndarray::Array1<T> = z.by_name(name).unwrap();
    a.to_vec()
}

/// `[analysis] spikes` on a COBA run gives, neuron by neuron, the rates (Hz) and ISI CVs one
/// computes from `spikes/exc.npz` directly, and the network rate in summary.json is their mean.
#[test]
fn spike_statistics_of_a_coba_run_equal_the_spike_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let coba = examples().join("coba.toml");
    let o = neuroplast(
        &[
            "run",
            coba.to_str().unwrap(),
            "--out",
            "r",
            "--steps",
            "3000",
            "--set",
            "analysis.spikes={ population = \"exc\" }",
            "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = summary(&d.join("r"));
    let a = &s["analysis"]["spikes"];
    assert_eq!(a["population"], "exc");
    assert_eq!(a["units"], 3200);
    assert_eq!(a["rate_unit"], "Hz");
    let steps: Vec<u64> = npz(&d.join("r/spikes/exc.npz"), "step");
    let ids: Vec<u32> = npz(&d.join("r/spikes/exc.npz"), "neuron");
    assert!(steps.len() > 10_000, "the network is active");
    let (n, t_s) = (3200usize, 3000.0 * 0.1 / 1000.0);
    let mut per: Vec<Vec<u64>> = vec![Vec::new(); n];
    for (&t, &i) in steps.iter().zip(&ids) {
        per[i as usize].push(t);
    }
    let want_rate: Vec<f64> = per.iter().map(|ts| ts.len() as f64 / t_s).collect();
    let want_cv: Vec<f64> = per
        .iter()
        .map(|ts| {
            let isi: Vec<f64> = ts.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
            if isi.len() < 2 {
                return f64::NAN;
            }
            let m = isi.iter().sum::<f64>() / isi.len() as f64;
            let v = isi.iter().map(|x| (x - m).powi(2)).sum::<f64>() / isi.len() as f64;
            v.sqrt() / m
        })
        .collect();
    let rate: Vec<f64> = npz(&d.join("r/analysis/spike_statistics.npz"), "rate");
    let cv: Vec<f64> = npz(&d.join("r/analysis/spike_statistics.npz"), "isi_cv");
    assert_eq!(rate.len(), n);
    for i in 0..n {
        assert!(
            (rate[i] - want_rate[i]).abs() <= 1e-9 * want_rate[i].max(1.0),
            "neuron {i}: rate {} vs {}",
            rate[i],
            want_rate[i]
        );
        assert!(
            (cv[i].is_nan() && want_cv[i].is_nan()) || (cv[i] - want_cv[i]).abs() < 1e-12,
            "neuron {i}: cv {} vs {}",
            cv[i],
            want_cv[i]
        );
    }
    let mean = want_rate.iter().sum::<f64>() / n as f64;
    let got = a["network_rate"].as_f64().unwrap();
    assert!((got - mean).abs() < 1e-9 * mean, "{got} vs {mean}");
    // ... and the engine's own count of the run agrees
    let engine_rate = s["populations"]["exc"]["mean_rate_hz"].as_f64().unwrap();
    assert!((engine_rate - mean).abs() < 1e-9 * mean);
}

/// `[analysis] avalanches` on a spiking run: activity counted per bin from the spikes, the
/// fits in summary.json, and the single-run distribution figures drawn.
#[test]
fn avalanches_of_a_spiking_run_with_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let coba = examples().join("coba.toml");
    let o = neuroplast(
        &[
            "run",
            coba.to_str().unwrap(),
            "--out",
            "r",
            "--steps",
            "3000",
            "--set",
            "analysis.avalanches={ population = \"exc\", bin_steps = 10, duration_window = [1, 20], size_window = [1, 400] }",
            "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = summary(&d.join("r"));
    let av = &s["analysis"]["avalanches"];
    assert_eq!(av["population"], "exc");
    assert_eq!(av["bin_steps"], 10);
    assert_eq!(av["bins_analysed"], 300);
    assert!(av["count"].as_u64().unwrap() > 0, "{av}");
    let sizes: Vec<u64> = npz(&d.join("r/analysis/avalanches.npz"), "size");
    let spikes: Vec<u64> = npz(&d.join("r/spikes/exc.npz"), "step");
    // avalanches are above-threshold stretches: their sizes cannot exceed the spikes
    assert!(sizes.iter().sum::<u64>() <= spikes.len() as u64);
    for f in ["plots/avalanche_size.png", "plots/avalanche_duration.png"] {
        assert!(d.join("r").join(f).is_file(), "{f}");
    }
    // a population whose spikes are not recorded is refused naming the key
    let o = neuroplast(
        &[
            "validate",
            coba.to_str().unwrap(),
            "--set",
            "analysis.avalanches={ population = \"nope\" }",
        ],
        d,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("analysis.avalanches.population") && err.contains("nope"),
        "{err}"
    );
}

/// `[readout]` on a spiking run: 40 input neurons in four groups of 10; group g fires at
/// 80 Hz in every fourth 50 ms window (windows g, g + 4, …) and is silent otherwise, and drives
/// 40 excitatory neurons one to one. A readout of the excitatory neurons' spike counts per
/// 50 ms bin, labelled by the input group that spiked most in the bin, decodes the active
/// group far above chance (0.25).
#[test]
fn readout_of_binned_spike_counts_decodes_the_active_group() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let windows = 160u32; // 8 s
    let times: Vec<String> = (0..40u32)
        .map(|i| {
            let g = i / 10;
            let t: Vec<String> = (0..windows)
                .filter(|k| k % 4 == g)
                .flat_map(|k| {
                    (0..4).map(move |j| f64::from(k * 50 + 1 + j * 12) + 0.5 * f64::from(i % 10))
                })
                .map(|t| format!("{t:.1}"))
                .collect();
            format!("[{}]", t.join(", "))
        })
        .collect();
    let text = format!(
        "[simulation]\ndt_ms = 0.5\nduration_ms = {}.0\nseed = 3\n\n\
         [populations.inp]\nmodel = \"SpikeSourceArray\"\nn = 40\nparams = {{ spike_times = [{}] }}\n\n\
         [populations.exc]\nmodel = \"IF_curr_exp\"\nn = 40\nparams = {{ tau_refrac = 2.0 }}\n\n\
         [projections.drive]\npre = \"inp\"\npost = \"exc\"\nconnector = {{ kind = \"one_to_one\" }}\nreceptor = \"excitatory\"\nweight = 4.0\ndelay_ms = 0.5\n\n\
         [record.inp]\nspikes = true\n[record.exc]\nspikes = true\n\n\
         [readout]\npopulation = \"exc\"\nbin_ms = 50.0\ntrain_bins = 100\ntest_bins = 50\nlabels = {{ population = \"inp\", groups = 4 }}\n",
        windows * 50,
        times.join(", ")
    );
    std::fs::write(d.join("r.toml"), text).unwrap();
    let o = neuroplast(&["run", "r.toml", "--out", "r", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = summary(&d.join("r"));
    let ro = &s["readout"];
    let acc = ro["accuracy"].as_f64().unwrap_or_else(|| panic!("{ro}"));
    assert!(acc > 0.9, "{ro}");
    // labels from a population that is not recorded are refused naming the key
    let o = neuroplast(
        &["validate", "r.toml", "--set", "record.inp.spikes=false"],
        d,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("readout.labels.population"), "{err}");
}

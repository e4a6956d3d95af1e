//! `neuroplast sweep`: a grid of parameter values × seeds, run in parallel jobs, one complete
//! results directory per point, plus `sweep.csv` and `plots/sweep.png`. Any experiment file:
//! SORN (which may carry the grid in `[sweep]`), spiking or protocol (grid from `--param` and
//! `--seeds`); sweep.csv lists the summary values of the file's kind.
//!
//! Every point is validated before the first one runs. Each point directory is written
//! atomically; Ctrl-C stops the running points (a SORN or spiking point then writes a
//! resumable results directory marked `"interrupted": true`), and `sweep.csv` lists only the
//! completed ones. Running the same sweep again with `--force` redoes it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use neuroplast_config::schema::{AvalancheSpec, Seeds};
use neuroplast_config::{ConfigError, Experiment};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::run::{simulate, RunOptions};
use crate::session::{refuse, stop_requested, Outcome};

/// Arguments of `neuroplast sweep`.
#[derive(clap::Args)]
pub struct SweepArgs {
    /// Experiment file (TOML).
    exp: PathBuf,
    /// A swept value list, `key.path=v1,v2,...` (use `;` between values that contain commas,
    /// e.g. `sorn.ip_clamp=[0,1];[-inf,inf]`). Repeat for a grid (product of all lists).
    /// Replaces the file's `[sweep] params`.
    #[arg(long = "param", value_name = "KEY.PATH=V1,V2,...")]
    params: Vec<String>,
    /// Seeds: a list `1,2,5` or an inclusive range `1..5` (default: the file's
    /// `[sweep] seeds`, else its `simulation.seed`).
    #[arg(long)]
    seeds: Option<String>,
    /// Points run at the same time (each is a single-threaded run unless simulation.threads
    /// says otherwise).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Sweep directory (default: `results/<experiment name>-sweep`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Steps per point (overrides simulation.steps, or a spiking file's duration; a protocol
    /// file's phases set its length).
    #[arg(long)]
    steps: Option<u64>,
    /// Fixed overrides for every point, e.g. `--set sorn.ne=400` (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    set: Vec<String>,
    /// summary.json value plotted against the first swept parameter and averaged per point
    /// (a dotted path; default: the file's `[sweep] metric`, else connection_fraction_ee for
    /// SORN, `populations.<first>.mean_rate_hz` for spiking files, the protocol's headline
    /// figure for protocol files).
    #[arg(long)]
    metric: Option<String>,
    /// Replace the sweep directory if it exists.
    #[arg(long)]
    force: bool,
    /// No progress bar or messages on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// One swept key and its values (TOML text).
#[derive(Serialize, Deserialize)]
struct Axis {
    key: String,
    values: Vec<String>,
}

fn parse_axis(p: &str) -> Result<Axis, ConfigError> {
    let (key, list) = p.split_once('=').ok_or_else(|| {
        ConfigError::new(
            "--param",
            "",
            format!("expected key.path=v1,v2,..., got {p:?}"),
        )
    })?;
    let sep = if list.contains(';') { ';' } else { ',' };
    let values: Vec<String> = list.split(sep).map(|v| v.trim().to_string()).collect();
    if key.trim().is_empty() || values.iter().any(|v| v.is_empty()) {
        return Err(ConfigError::new(
            "--param",
            key.trim(),
            format!("empty key or value in {p:?}"),
        ));
    }
    if key.trim() == "simulation.seed" {
        return Err(ConfigError::new(
            "--param",
            "simulation.seed",
            "the seeds are a sweep's own axis: use --seeds 1,2,5 or --seeds 1..5",
        ));
    }
    Ok(Axis {
        key: key.trim().to_string(),
        values,
    })
}

fn parse_seeds(s: &str) -> Result<Vec<u64>, ConfigError> {
    let bad = || {
        ConfigError::new(
            "--seeds",
            "",
            format!("expected a list like 1,2,5 or a range like 1..5, got {s:?}"),
        )
    };
    let seeds: Vec<u64> = if let Some((a, b)) = s.split_once("..") {
        let (a, b): (u64, u64) = (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        );
        if a > b {
            return Err(bad());
        }
        (a..=b).collect()
    } else {
        s.split(',')
            .map(|v| v.trim().parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?
    };
    if seeds.is_empty() {
        return Err(bad());
    }
    Ok(seeds)
}

/// A directory-name-safe rendering of a value.
fn slug(v: &str) -> String {
    v.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One grid point.
struct Point {
    name: String,
    seed: u64,
    values: Vec<String>,
    exp: Box<dyn Experiment>,
}

/// Run one point into `dir` without output; its summary.json, or `None` when Ctrl-C stopped
/// it (the point then leaves a resumable results directory whose summary says
/// `"interrupted": true`).
fn run_point(exp: &dyn Experiment, dir: &Path) -> Result<Option<Value>> {
    let engine = exp.build()?;
    let opts = RunOptions {
        steps: engine.remaining().unwrap_or(exp.steps()),
        quiet: true,
        announce: false,
        build_s: 0.0,
        resumed_from: None,
    };
    let w = simulate(exp, engine, dir, &opts)?;
    Ok((w.outcome() == Outcome::Finished).then_some(w.summary))
}

/// Look up a dotted path in a JSON value.
fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

pub(crate) fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

fn json_field(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `neuroplast sweep`.
pub fn sweep(a: SweepArgs) -> Result<Outcome> {
    let text = std::fs::read_to_string(&a.exp).map_err(|e| {
        ConfigError::new(
            a.exp.display().to_string(),
            "",
            format!("cannot read file: {e}"),
        )
    })?;
    let base = a.exp.parent().unwrap_or(Path::new("."));
    // The file's [sweep] section (validated with the rest of the file) supplies what the
    // command line leaves out.
    let mut file = neuroplast_config::from_str(&text, &a.exp.display().to_string(), base, &a.set)?;
    // Only SORN files have a [sweep] section; spiking and protocol files take the grid from
    // --param and --seeds.
    let section = file.sweep();
    if let Some(s) = a.steps {
        // refused for protocols (their phases set the length) and for 0
        file.set_steps(s)?;
    }
    let axes: Vec<Axis> = if !a.params.is_empty() {
        a.params
            .iter()
            .map(|p| parse_axis(p))
            .collect::<Result<_, _>>()?
    } else if let Some(sw) = section
        .as_ref()
        .filter(|s| !s.params.is_empty() || s.seeds.is_some() || a.seeds.is_some())
    {
        sw.params
            .iter()
            .map(|(k, v)| Axis {
                key: k.clone(),
                values: v
                    .as_array()
                    .map(|a| a.iter().map(|x| x.to_string()).collect())
                    .unwrap_or_default(),
            })
            .collect()
    } else if a.seeds.is_some() {
        // Seeds only: every point is the file as it is, with another seed.
        Vec::new()
    } else {
        refuse!(
            "nothing to sweep: give --param key.path=v1,v2,..., --seeds, or a [sweep] section (params and/or seeds) in {}",
            a.exp.display()
        );
    };
    let seeds = match (&a.seeds, section.as_ref().and_then(|s| s.seeds.clone())) {
        (Some(s), _) => parse_seeds(s)?,
        (None, Some(Seeds::Range(r))) => parse_seeds(&r)?,
        (None, Some(Seeds::List(l))) if !l.is_empty() => l,
        // none given: the file's own seed, so that a point is what `neuroplast run` gives
        _ => vec![file.seed()],
    };
    let metric = a
        .metric
        .clone()
        .or_else(|| section.as_ref().and_then(|s| s.metric.clone()))
        .unwrap_or_else(|| file.default_metric());
    if a.jobs == 0 {
        refuse!("--jobs must be ≥ 1");
    }
    // The grid: every combination of values, then every seed; validated before anything runs.
    let mut combos: Vec<Vec<String>> = vec![vec![]];
    for axis in &axes {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                axis.values
                    .iter()
                    .map(move |v| [c.clone(), vec![v.clone()]].concat())
            })
            .collect();
    }
    let mut points = Vec::new();
    for values in &combos {
        for &seed in &seeds {
            let mut set = a.set.clone();
            set.extend(
                axes.iter()
                    .zip(values)
                    .map(|(x, v)| format!("{}={v}", x.key)),
            );

            let label: Vec<String> = axes
                .iter()
                .zip(values)
                .map(|(x, v)| format!("{}={}", x.key.rsplit('.').next().unwrap_or(&x.key), slug(v)))
                .collect();
            let name = if label.is_empty() {
                format!("seed{seed}")
            } else {
                format!("{}__seed{seed}", label.join("__"))
            };
            let mut exp = neuroplast_config::from_str(
                &text,
                &format!("{} [{name}]", a.exp.display()),
                base,
                &set,
            )?;
            exp.set_seed(seed)?;
            if let Some(s) = a.steps {
                exp.set_steps(s)?;
            }
            points.push(Point {
                name,
                seed,
                values: values.clone(),
                exp,
            });
        }
    }
    let out = a.out.clone().unwrap_or_else(|| {
        let stem = a.exp.file_stem().unwrap_or_default().to_string_lossy();
        PathBuf::from("results").join(format!("{stem}-sweep"))
    });
    crate::session::check_out(&out, a.force, "choose another --out")?;
    if out.exists() {
        std::fs::remove_dir_all(&out)
            .with_context(|| format!("cannot remove {}", out.display()))?;
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    if !a.quiet {
        eprintln!(
            "sweep: {} points ({} value combinations × {} seeds) with {} job(s) → {}",
            points.len(),
            combos.len(),
            seeds.len(),
            a.jobs,
            out.display()
        );
    }
    let pb = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(points.len() as u64), ProgressDrawTarget::stderr())
    };
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} points · ETA {eta}")
            .expect("valid template"),
    );

    // Workers take the next point; results are stored by index, so the CSV order is the grid's.
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Value, String>>>> =
        Mutex::new((0..points.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..a.jobs.min(points.len()) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                if k >= points.len() || stop_requested() {
                    break;
                }
                let p = &points[k];
                let r = match run_point(&*p.exp, &out.join(&p.name)) {
                    Ok(Some(summary)) => Some(Ok(summary)),
                    Ok(None) => None,
                    Err(e) => Some(Err(crate::session::chain(&e))),
                };
                results.lock().expect("no worker panics")[k] = r;
                pb.inc(1);
            });
        }
    });
    pb.finish_and_clear();
    let results = results.into_inner().expect("no worker panics");

    let infos: Vec<PointInfo> = points
        .iter()
        .map(|p| PointInfo {
            name: p.name.clone(),
            seed: p.seed,
            values: p.values.clone(),
        })
        .collect();
    let grid = Grid {
        axes,
        combos,
        seeds,
        metric,
    };
    // Same fields as `SweepMeta`, which `replot` reads back.
    let meta = serde_json::json!({
        "axes": &grid.axes,
        "seeds": &grid.seeds,
        "metric": &grid.metric,
        "points": &infos,
    });
    std::fs::write(
        out.join("sweep.json"),
        serde_json::to_string_pretty(&meta)? + "\n",
    )?;
    let avalanches = points.first().and_then(|p| p.exp.analysis().avalanches);
    let (failed, missing) = write_outputs(&out, &grid, &infos, &results, avalanches.as_ref())?;
    println!(
        "wrote {} ({} points, {} failed{})",
        out.join("sweep.csv").display(),
        points.len() - missing,
        failed,
        if missing > 0 {
            format!(", {missing} not run (interrupted)")
        } else {
            String::new()
        }
    );
    if missing > 0 {
        return Ok(Outcome::Interrupted);
    }
    let summaries: Vec<&Value> = results
        .iter()
        .filter_map(|r| r.as_ref()?.as_ref().ok())
        .collect();
    if let Some(first) = summaries.first() {
        if !summaries
            .iter()
            .any(|s| lookup(s, &grid.metric).is_some_and(Value::is_number))
        {
            let mut keys = Vec::new();
            numeric_paths(first, "", &mut keys);
            bail!(
                "the metric {:?} is not a number in the points' summary.json, so sweep_mean.csv \
                 and plots/sweep.png are empty (the runs themselves are in {}); numbers there: \
                 {}. Redraw with another metric by editing \"metric\" in sweep.json and \
                 running `neuroplast plot {}`",
                grid.metric,
                out.display(),
                keys.join(", "),
                out.display()
            );
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {} points failed; see the error column of sweep.csv",
            points.len()
        );
    }
    Ok(Outcome::Finished)
}

/// The dotted paths of every number in `v` (what `--metric` can name).
fn numeric_paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Number(_) => out.push(prefix.to_string()),
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                numeric_paths(x, &p, out);
            }
        }
        _ => {}
    }
}

/// The summary.json values sweep.csv lists, by the kind of file swept (told by the first
/// summary: spiking and protocol summaries say `"kind"`, SORN ones do not).
fn csv_fields(results: &[Option<Result<Value, String>>]) -> Vec<String> {
    let first = results.iter().find_map(|r| r.as_ref()?.as_ref().ok());
    match first.and_then(|s| s["kind"].as_str()) {
        Some("spiking") => {
            let mut f: Vec<String> = ["steps", "interrupted", "wall_seconds", "synaptic_events"]
                .map(String::from)
                .into();
            if let Some(pops) = first.and_then(|s| s["populations"].as_object()) {
                f.extend(pops.keys().map(|p| format!("populations.{p}.mean_rate_hz")));
            }
            f.push("spike_hash".into());
            f
        }
        Some("protocol") => {
            let mut f = vec!["wall_seconds".to_string()];
            if let Some(r) = first.map(|s| &s["results"]) {
                numeric_paths(r, "results", &mut f);
            }
            f
        }
        _ => [
            "steps",
            "interrupted",
            "wall_seconds",
            "mean_rate_e",
            "mean_rate_i",
            "connection_fraction_ee",
            "spike_hash",
            "analysis.avalanches.count",
            "analysis.avalanches.duration.exponent",
            "analysis.avalanches.duration.llr_normalized",
            "analysis.avalanches.size.exponent",
            "analysis.avalanches.size.llr_normalized",
            "analysis.weights_ee.best",
            "analysis.weights_ee.lognormal.sigma",
        ]
        .map(String::from)
        .into(),
    }
}

/// A point's identity, as written in sweep.json.
#[derive(Serialize, Deserialize)]
struct PointInfo {
    name: String,
    seed: u64,
    values: Vec<String>,
}

/// The grid of a sweep.
struct Grid {
    axes: Vec<Axis>,
    combos: Vec<Vec<String>>,
    seeds: Vec<u64>,
    metric: String,
}

/// `sweep.json`: what `neuroplast plot SWEEP_DIR` needs to redraw a sweep.
#[derive(Serialize, Deserialize)]
struct SweepMeta {
    axes: Vec<Axis>,
    seeds: Vec<u64>,
    metric: String,
    points: Vec<PointInfo>,
}

/// sweep.csv, sweep_mean.csv, the sweep figures and the pooled avalanche fits from the
/// points' summaries (`None`: not run). Returns (failed, not run).
fn write_outputs(
    out: &Path,
    grid: &Grid,
    points: &[PointInfo],
    results: &[Option<Result<Value, String>>],
    avalanches: Option<&AvalancheSpec>,
) -> Result<(usize, usize)> {
    let Grid {
        axes,
        combos,
        seeds,
        metric,
    } = grid;
    // sweep.csv
    let mut cols = vec!["point".to_string(), "seed".to_string()];
    cols.extend(axes.iter().map(|x| x.key.clone()));
    let mut extra = csv_fields(results);
    if !extra.contains(metric) {
        extra.push(metric.clone());
    }
    cols.extend(extra.iter().map(|s| s.to_string()));
    cols.push("error".into());
    let mut csv = cols
        .iter()
        .map(|c| csv_field(c))
        .collect::<Vec<_>>()
        .join(",")
        + "\n";
    let (mut failed, mut missing) = (0, 0);
    for (p, r) in points.iter().zip(results) {
        let mut row = vec![p.name.clone(), p.seed.to_string()];
        row.extend(p.values.iter().cloned());
        match r {
            Some(Ok(s)) => {
                row.extend(extra.iter().map(|f| json_field(lookup(s, f))));
                row.push(String::new());
            }
            Some(Err(e)) => {
                failed += 1;
                row.extend(extra.iter().map(|_| String::new()));
                row.push(e.clone());
            }
            None => {
                missing += 1;
                continue;
            }
        }
        csv += &(row
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(",")
            + "\n");
    }
    let tmp = out.join(".sweep.csv.tmp");
    std::fs::write(&tmp, csv)?;
    std::fs::rename(&tmp, out.join("sweep.csv"))?;

    // Per value combination: the metric's mean, min and max over seeds (sweep_mean.csv).
    let metric_of = |combo: &[String], seed: u64| -> Option<f64> {
        points
            .iter()
            .zip(results)
            .find(|(p, _)| p.seed == seed && p.values == combo)
            .and_then(|(_, r)| r.as_ref()?.as_ref().ok())
            .and_then(|s| lookup(s, metric)?.as_f64())
    };
    let mut mean_csv = axes
        .iter()
        .map(|x| csv_field(&x.key))
        .chain(["metric", "runs", "mean", "min", "max"].map(String::from))
        .collect::<Vec<_>>()
        .join(",")
        + "\n";
    let mut means = Vec::new();
    for combo in combos {
        let v: Vec<f64> = seeds.iter().filter_map(|&s| metric_of(combo, s)).collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let (lo, hi) = v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                (l.min(x), h.max(x))
            });
        means.push(if v.is_empty() { f64::NAN } else { mean });
        let mut row: Vec<String> = combo.iter().map(|c| csv_field(c)).collect();
        row.push(csv_field(metric));
        row.push(v.len().to_string());
        if v.is_empty() {
            row.extend(["", "", ""].map(String::from));
        } else {
            row.extend([mean, lo, hi].map(|x| x.to_string()));
        }
        mean_csv += &(row.join(",") + "\n");
    }
    std::fs::write(out.join("sweep_mean.csv"), mean_csv)?;

    // The metric against the first swept parameter (numeric values only): one line per seed
    // for a single axis, else one line per combination of the other axes (mean over seeds).
    // (A seeds-only sweep has no axis to plot against: sweep_mean.csv holds its summary.)
    let xs: Option<Vec<f64>> = axes
        .first()
        .and_then(|x0| x0.values.iter().map(|v| v.parse().ok()).collect());
    if let Some(xs) = xs {
        let mut lines: Vec<(String, Vec<f64>)> = Vec::new();
        if axes.len() == 1 {
            for &seed in seeds {
                let ys = combos
                    .iter()
                    .map(|c| metric_of(c, seed).unwrap_or(f64::NAN))
                    .collect();
                lines.push((format!("seed {seed}"), ys));
            }
        } else {
            // combos vary the first axis slowest: x index = k / stride.
            let stride = combos.len() / axes[0].values.len();
            for j in 0..stride {
                let label = axes[1..]
                    .iter()
                    .zip(&combos[j][1..])
                    .map(|(x, v)| format!("{}={v}", x.key.rsplit('.').next().unwrap_or(&x.key)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let ys = (0..xs.len()).map(|i| means[i * stride + j]).collect();
                lines.push((format!("{label} (mean)"), ys));
            }
        }
        let series: Vec<(&str, &[f64])> = lines
            .iter()
            .map(|(n, y)| (n.as_str(), y.as_slice()))
            .collect();
        crate::plots::lines(
            &out.join("plots/sweep.png"),
            &format!("{} vs {}", metric, axes[0].key),
            &axes[0].key,
            metric,
            &xs,
            &series,
        )?;
    }
    // Every run's E→E connection fraction over time in one figure, one colour per value
    // combination (at most 10 combinations × 10 seeds drawn).
    let mut curves: Vec<(String, usize, Vec<f64>, Vec<f64>)> = Vec::new();
    for (c, combo) in combos.iter().enumerate().take(10) {
        let mut first = true;
        for (p, _) in points
            .iter()
            .zip(results)
            .filter(|(p, r)| &p.values == combo && matches!(r, Some(Ok(_))))
            .take(10)
        {
            let dir = out.join(&p.name);
            let (Ok(f), Ok(s)) = (
                ndarray_npy::read_npy::<_, ndarray::Array1<f64>>(
                    dir.join("connection_fraction.npy"),
                ),
                ndarray_npy::read_npy::<_, ndarray::Array1<u64>>(
                    dir.join("connection_fraction_steps.npy"),
                ),
            ) else {
                continue;
            };
            let label = if first {
                let runs = points.iter().filter(|q| &q.values == combo).count();
                let what = axes
                    .iter()
                    .zip(combo)
                    .map(|(x, v)| format!("{}={v}", x.key.rsplit('.').next().unwrap_or(&x.key)))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "{} ({runs} runs)",
                    if what.is_empty() { "all".into() } else { what }
                )
            } else {
                String::new()
            };
            first = false;
            curves.push((label, c, s.iter().map(|&v| v as f64).collect(), f.to_vec()));
        }
    }
    if let Some((_, _, x, _)) = curves.first() {
        let same: Vec<&(String, usize, Vec<f64>, Vec<f64>)> =
            curves.iter().filter(|(_, _, xs, _)| xs == x).collect();
        let series: Vec<(&str, &[f64])> = same
            .iter()
            .map(|(n, _, _, y)| (n.as_str(), y.as_slice()))
            .collect();
        let groups: Vec<usize> = same.iter().map(|(_, g, _, _)| *g).collect();
        crate::plots::lines_grouped(
            &out.join("plots/connection_fraction.png"),
            "E→E connection fraction",
            "step",
            "existing / possible synapses",
            x,
            &series,
            &groups,
        )?;
    }
    if let Some(spec) = avalanches {
        let groups: Vec<(Vec<String>, Vec<PathBuf>)> = combos
            .iter()
            .map(|c| {
                let dirs = points
                    .iter()
                    .zip(results)
                    .filter(|(p, r)| &p.values == c && matches!(r, Some(Ok(_))))
                    .map(|(p, _)| out.join(&p.name))
                    .collect();
                (c.clone(), dirs)
            })
            .collect();
        let keys: Vec<String> = axes.iter().map(|x| x.key.clone()).collect();
        crate::pooled::write_pooled(out, &keys, &groups, spec)?;
    }
    Ok((failed, missing))
}

/// `neuroplast plot SWEEP_DIR`: redraw a sweep's tables and figures from its sweep.json and
/// the points' summaries (e.g. after a run was added or a figure changed).
pub fn replot(dir: &Path) -> Result<()> {
    let path = dir.join("sweep.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let meta: SweepMeta = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a sweep description", path.display()))?;
    let points = meta.points;
    let mut combos: Vec<Vec<String>> = Vec::new();
    for p in &points {
        if !combos.contains(&p.values) {
            combos.push(p.values.clone());
        }
    }
    let grid = Grid {
        axes: meta.axes,
        combos,
        seeds: meta.seeds,
        metric: meta.metric,
    };
    let results: Vec<Option<Result<Value, String>>> = points
        .iter()
        .map(|p| {
            let t = std::fs::read_to_string(dir.join(&p.name).join("summary.json")).ok()?;
            Some(serde_json::from_str(&t).map_err(|e| e.to_string()))
        })
        .collect();
    let avalanches = points
        .iter()
        .map(|p| dir.join(&p.name).join("config.toml"))
        .find(|c| c.is_file())
        .and_then(|c| neuroplast_config::load(&c, &[]).ok())
        .and_then(|e| e.analysis().avalanches);
    let (failed, missing) = write_outputs(dir, &grid, &points, &results, avalanches.as_ref())?;
    println!(
        "redrew {} ({} points with results, {} failed, {} missing)",
        dir.display(),
        points.len() - missing - failed,
        failed,
        missing
    );
    Ok(())
}

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
use neuroplast_config::schema::Seeds;
use neuroplast_config::{ConfigError, Experiment};
use serde_json::Value;

use crate::session::{refuse, stop_requested, Outcome};
use crate::simulate::{simulate, RunOptions};
use crate::sweep_report::{lookup, numeric_paths, write_outputs, Axis, Grid, PointInfo};

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

//! What a sweep directory holds besides its points, made from the points' summary.json
//! files: `sweep.csv`, `sweep_mean.csv`, `plots/sweep.png`, the connection-fraction figure
//! and the pooled avalanche fits (`pooled`). `sweep` writes them once its points ran; `plot
//! SWEEP_DIR` redraws them from `sweep.json` ([`replot`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use neuroplast_config::schema::AvalancheSpec;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::results::csv_field;

/// One swept key and its values (TOML text).
#[derive(Serialize, Deserialize)]
pub(crate) struct Axis {
    pub(crate) key: String,
    pub(crate) values: Vec<String>,
}

/// Look up a dotted path in a JSON value.
pub(crate) fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fn json_field(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The dotted paths of every number in `v` (what `--metric` can name).
pub(crate) fn numeric_paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
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
pub(crate) struct PointInfo {
    pub(crate) name: String,
    pub(crate) seed: u64,
    pub(crate) values: Vec<String>,
}

/// The grid of a sweep.
pub(crate) struct Grid {
    pub(crate) axes: Vec<Axis>,
    pub(crate) combos: Vec<Vec<String>>,
    pub(crate) seeds: Vec<u64>,
    pub(crate) metric: String,
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
pub(crate) fn write_outputs(
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

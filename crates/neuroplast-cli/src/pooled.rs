//! Avalanches pooled over the seeds of each sweep point, as Del Papa et al. 2017 pool the runs
//! of one network size (50 in Fig. 2): `pooled.csv`, `pooled.json` and, per point, the pooled
//! duration and size distributions with their power-law fits in `plots/`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ndarray::Array1;
use ndarray_npy::NpzReader;
use neuroplast_config::schema::AvalancheSpec;
use neuroplast_core::analysis::report::{pooled_report, Fit, PowerLawReport};
use serde_json::{json, Value};

use crate::figures::distribution_plot;
use crate::results::csv_field;

fn read_run(dir: &Path) -> Result<(Vec<u64>, Vec<u64>)> {
    let path = dir.join("analysis/avalanches.npz");
    let f =
        std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut npz = NpzReader::new(f).with_context(|| format!("cannot read {}", path.display()))?;
    let d: Array1<u64> = npz.by_name("duration")?;
    let s: Array1<u64> = npz.by_name("size")?;
    Ok((d.to_vec(), s.to_vec()))
}

fn fit_fields(f: &Fit<PowerLawReport>) -> Vec<String> {
    match f {
        Fit::Done(r) => {
            let (ta, tl) = match &r.truncated {
                Fit::Done([a, l]) => (a.to_string(), l.to_string()),
                Fit::Failed { .. } => (String::new(), String::new()),
            };
            vec![
                r.exponent.to_string(),
                r.exponent_se.to_string(),
                r.at_bound.to_string(),
                r.llr_normalized.to_string(),
                ta,
                tl,
            ]
        }
        Fit::Failed { .. } => vec![String::new(); 6],
    }
}

/// Pool, fit and write `pooled.csv`, `pooled.json` and the plots for each group of run
/// directories (one group per value combination of the swept `keys`).
pub fn write_pooled(
    out: &Path,
    keys: &[String],
    groups: &[(Vec<String>, Vec<PathBuf>)],
    spec: &AvalancheSpec,
) -> Result<()> {
    let (dw, sw) = (
        spec.duration_window.unwrap_or([1, 2]),
        spec.size_window.unwrap_or([1, 2]),
    );
    let mut cols: Vec<String> = keys.to_vec();
    cols.extend(["runs", "avalanches"].map(String::from));
    for q in ["duration", "size"] {
        for f in [
            "exponent",
            "exponent_se",
            "at_bound",
            "llr_normalized",
            "truncated_exponent",
            "truncated_lambda",
        ] {
            cols.push(format!("{q}_{f}"));
        }
    }
    cols.push("size_vs_duration_slope".into());
    let mut csv = cols.join(",") + "\n";
    let mut all = Vec::new();
    for (k, (values, dirs)) in groups.iter().enumerate() {
        if dirs.is_empty() {
            continue;
        }
        let (mut d, mut s) = (Vec::new(), Vec::new());
        for dir in dirs {
            let (dd, ss) = read_run(dir)?;
            d.extend(dd);
            s.extend(ss);
        }
        let rep = pooled_report(&d, &s, dirs.len(), dw, sw);
        let mut row: Vec<String> = values.iter().map(|v| csv_field(v)).collect();
        row.push(dirs.len().to_string());
        row.push(rep.count.to_string());
        row.extend(fit_fields(&rep.duration));
        row.extend(fit_fields(&rep.size));
        row.push(match &rep.size_vs_duration_slope {
            Fit::Done(g) => g.to_string(),
            Fit::Failed { .. } => String::new(),
        });
        csv += &(row.join(",") + "\n");
        let label = keys
            .iter()
            .zip(values)
            .map(|(key, v)| format!("{}={v}", key.rsplit('.').next().unwrap_or(key)))
            .collect::<Vec<_>>()
            .join(", ");
        let title = |q: &str| format!("{q}, {} runs pooled ({label})", dirs.len());
        distribution_plot(
            &out.join(format!("plots/pooled_{k}_duration.png")),
            &title("avalanche durations"),
            "duration T (steps)",
            (&d, "pooled data"),
            &rep.duration,
        )?;
        distribution_plot(
            &out.join(format!("plots/pooled_{k}_size.png")),
            &title("avalanche sizes"),
            "size S",
            (&s, "pooled data"),
            &rep.size,
        )?;
        let mut v = serde_json::to_value(&rep)?;
        v["point"] = json!(k);
        v["values"] = keys
            .iter()
            .zip(values)
            .map(|(key, v)| (key.clone(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
            .into();
        all.push(v);
    }
    std::fs::write(out.join("pooled.csv"), csv)?;
    std::fs::write(
        out.join("pooled.json"),
        serde_json::to_string_pretty(&Value::Array(all))? + "\n",
    )?;
    Ok(())
}

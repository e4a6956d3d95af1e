//! Files and figures of the `characters` protocol (Gupta & Long 2007 / snn-rl).
//!
//! ```text
//! data/weights_initial.npy   f64 (neurons, 15)   weights before training, row-major 5×3 pixels
//! data/weights_final.npy     f64 (neurons, 15)   weights after training
//! data/response.npy          u32 (neurons, characters, test presentations)  test spike counts
//! data/train_winners.npy     i32 (epochs, characters × spikes per char)  first neuron to fire
//!                            in each training interval (−1: none)
//! plots/response.png         neuron × character: test presentations with a spike
//! plots/weights.png          weight rows as 5×3 images, before (top) and after (bottom)
//! plots/training.png         per epoch: presentations won by the neuron that answers the
//!                            character at test, and distinct winners, as fractions
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ndarray::{Array2, Array3};
use ndarray_npy::read_npy;
use neuroplast_core::experiments::characters::Params;

use crate::plots::{heatmaps, lines, Panel};

/// Draw the figures into `dir/plots` from the data files.
pub fn plot(dir: &Path, p: &Params) -> Result<Vec<PathBuf>> {
    let letters = p
        .characters
        .letters("protocol.characters")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let data = dir.join("data");
    let plots = dir.join("plots");
    let load2 = |name: &str| -> Result<Array2<f64>> {
        let path = data.join(name);
        read_npy(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    let w0 = load2("weights_initial.npy")?;
    let w1 = load2("weights_final.npy")?;
    let resp_path = data.join("response.npy");
    let resp: Array3<u32> =
        read_npy(&resp_path).with_context(|| format!("cannot read {}", resp_path.display()))?;
    let win_path = data.join("train_winners.npy");
    let winners: Array2<i32> =
        read_npy(&win_path).with_context(|| format!("cannot read {}", win_path.display()))?;
    let n = w1.nrows();
    let chars = resp.shape()[1];
    let mut out = Vec::new();

    // Response matrix: presentations with at least one spike.
    let mut answered = vec![0.0; n * chars];
    for j in 0..n {
        for c in 0..chars {
            answered[j * chars + c] = (0..resp.shape()[2])
                .filter(|&k| resp[[j, c, k]] > 0)
                .count() as f64;
        }
    }
    let title = format!(
        "test: output neuron (rows) × character (columns {}), presentations with a spike",
        letters.iter().collect::<String>()
    );
    let path = plots.join("response.png");
    heatmaps(
        &path,
        &title,
        &[Panel {
            title: "response",
            rows: n,
            cols: chars,
            values: &answered,
        }],
        1,
        false,
    )?;
    out.push(path);

    // Weight rows as 5×3 images.
    let titles: Vec<String> = (0..n)
        .map(|j| format!("n{j} before"))
        .chain((0..n).map(|j| format!("n{j} after")))
        .collect();
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|j| w0.row(j).to_vec())
        .chain((0..n).map(|j| w1.row(j).to_vec()))
        .collect();
    let panels: Vec<Panel<'_>> = titles
        .iter()
        .zip(&rows)
        .map(|(t, v)| Panel {
            title: t,
            rows: 5,
            cols: 3,
            values: v,
        })
        .collect();
    let path = plots.join("weights.png");
    heatmaps(
        &path,
        "weights of each output neuron as 5×3 images (top: initial, bottom: trained)",
        &panels,
        n.min(13),
        false,
    )?;
    out.push(path);

    // Training curve: per epoch, the fraction of presentations won by the neuron that
    // answers that character at test, and the fraction of neurons that won anything.
    let answer: Vec<Option<usize>> = (0..chars)
        .map(|c| {
            let best = (0..n).max_by_key(|&j| (answered[j * chars + c] as u32, n - j))?;
            (answered[best * chars + c] > 0.0).then_some(best)
        })
        .collect();
    let epochs = winners.nrows();
    let per_char = winners.ncols() / chars.max(1);
    let mut matched = Vec::with_capacity(epochs);
    let mut distinct = Vec::with_capacity(epochs);
    for e in 0..epochs {
        let row = winners.row(e);
        let hits = row
            .iter()
            .enumerate()
            .filter(|(k, &w)| w >= 0 && answer[k / per_char.max(1)] == Some(w as usize))
            .count();
        matched.push(hits as f64 / row.len().max(1) as f64);
        let mut seen = vec![false; n];
        for &w in row.iter().filter(|&&w| w >= 0) {
            seen[w as usize] = true;
        }
        distinct.push(seen.iter().filter(|&&s| s).count() as f64 / n as f64);
    }
    let x: Vec<f64> = (1..=epochs).map(|e| e as f64).collect();
    let path = plots.join("training.png");
    lines(
        &path,
        "training: winners per epoch",
        "epoch",
        "fraction",
        &x,
        &[
            ("won by the neuron that answers at test", &matched),
            ("distinct winners / neurons", &distinct),
        ],
    )?;
    out.push(path);
    Ok(out)
}

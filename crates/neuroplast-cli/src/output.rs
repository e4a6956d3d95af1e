//! The results directory: what `neuroplast run` writes, and the atomic write itself.
//!
//! ```text
//! DIR/config.toml            fully resolved configuration (seed, version, every parameter)
//! DIR/summary.json           what happened: steps, timing, rates, hash, connectivity
//! DIR/checkpoint.bin         complete state for `neuroplast resume` (if output.checkpoint)
//! DIR/activity_e.npy, activity_i.npy   active units per step (u32); element k belongs to
//!                            step `activity_first_step` + k (in summary.json; 1 for a fresh run)
//! DIR/spikes/e.npz, i.npz    step (u64), neuron (u32): one entry per spike
//! DIR/connection_fraction.npy, connection_fraction_steps.npy   samples (f64) and their steps (u64)
//! DIR/thresholds.npy, thresholds_steps.npy                     T_E snapshots (samples × N_E) and steps
//! DIR/weights/final.npz      ee_post, ee_pre, ee_w, ei_post, ei_pre, ei_w, ie_post, ie_pre, ie_w, te, ti
//! DIR/weights/step_<t>.npz   ee_* and ei_* snapshots
//! DIR/plots/*.png            raster, activity, weight histogram, connection fraction
//! ```
//! Everything is written into a hidden sibling `DIR/../.DIR.tmp-<pid>` and renamed into
//! place at the end, so DIR is either absent, the previous complete result, or the new
//! complete result — never half-written.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ndarray::{ArrayView1, ArrayView2};
use ndarray_npy::{write_npy, NpzWriter, WritableElement};
use neuroplast_core::monitor::{Recorder, SparseSnapshot};
use neuroplast_core::sorn::Sorn;

/// A temporary directory that becomes `target` on [`StagedDir::commit`] and is removed if
/// dropped without committing.
pub struct StagedDir {
    tmp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Create the staging directory beside `target`.
    pub fn new(target: &Path) -> Result<Self> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let name = target
            .file_name()
            .with_context(|| format!("{} has no directory name", target.display()))?
            .to_string_lossy()
            .into_owned();
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        Ok(StagedDir {
            tmp,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Move the staged directory to its target, replacing an existing one.
    pub fn commit(mut self) -> Result<PathBuf> {
        let old = self.target.with_file_name(format!(
            ".{}.old-{}",
            self.target
                .file_name()
                .unwrap_or_default()
                .to_string_lossy(),
            std::process::id()
        ));
        let replacing = self.target.exists();
        if replacing {
            fs::rename(&self.target, &old)
                .with_context(|| format!("cannot move aside {}", self.target.display()))?;
        }
        fs::rename(&self.tmp, &self.target)
            .with_context(|| format!("cannot rename into {}", self.target.display()))?;
        if replacing {
            if old.is_dir() {
                fs::remove_dir_all(&old).ok();
            } else {
                fs::remove_file(&old).ok();
            }
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            fs::remove_dir_all(&self.tmp).ok();
        }
    }
}

/// Write `v` as a one-dimensional `.npy` file.
pub fn npy<T: WritableElement>(path: &Path, v: &[T]) -> Result<()> {
    write_npy(path, &ArrayView1::from(v))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Read a one-dimensional `.npy` file written by [`npy`].
pub fn read_npy_vec<T: ndarray_npy::ReadableElement + Clone>(path: &Path) -> Result<Vec<T>> {
    let a: ndarray::Array1<T> = ndarray_npy::read_npy(path)
        .with_context(|| format!("cannot read {} (was the run finished?)", path.display()))?;
    Ok(a.to_vec())
}

fn npz(path: &Path) -> Result<NpzWriter<BufWriter<File>>> {
    if let Some(p) = path.parent() {
        fs::create_dir_all(p)?;
    }
    let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(NpzWriter::new(BufWriter::new(f)))
}

fn add<T: WritableElement>(w: &mut NpzWriter<BufWriter<File>>, name: &str, v: &[T]) -> Result<()> {
    w.add_array(name, &ArrayView1::from(v))
        .with_context(|| format!("cannot write array {name}"))
}

fn add_sparse(w: &mut NpzWriter<BufWriter<File>>, prefix: &str, s: &SparseSnapshot) -> Result<()> {
    add(w, &format!("{prefix}_post"), &s.post)?;
    add(w, &format!("{prefix}_pre"), &s.pre)?;
    add(w, &format!("{prefix}_w"), &s.w)
}

/// Write every recording and the final weights into `dir`.
pub fn write_recordings(dir: &Path, rec: &Recorder, sorn: &Sorn) -> Result<()> {
    if rec.spec.activity {
        // Element k belongs to step activity_first_step + k (no step array: 8 bytes/step).
        npy(&dir.join("activity_e.npy"), &rec.activity_e)?;
        npy(&dir.join("activity_i.npy"), &rec.activity_i)?;
    }
    if rec.spec.spikes != neuroplast_core::monitor::SpikeWindow::None {
        for (name, ev) in [("e", &rec.spikes_e), ("i", &rec.spikes_i)] {
            let mut w = npz(&dir.join("spikes").join(format!("{name}.npz")))?;
            let steps: Vec<u64> = ev.steps.iter().copied().collect();
            let ids: Vec<u32> = ev.ids.iter().copied().collect();
            add(&mut w, "step", &steps)?;
            add(&mut w, "neuron", &ids)?;
            w.finish()?;
        }
    }
    if rec.spec.connection_fraction_every.is_some() {
        npy(
            &dir.join("connection_fraction.npy"),
            &rec.connection_fraction,
        )?;
        npy(
            &dir.join("connection_fraction_steps.npy"),
            &rec.connection_steps,
        )?;
    }
    if rec.spec.thresholds_every.is_some() {
        let ne = sorn.params().ne;
        let te = ArrayView2::from_shape((rec.threshold_steps.len(), ne), &rec.thresholds)?;
        write_npy(dir.join("thresholds.npy"), &te).context("cannot write thresholds.npy")?;
        npy(&dir.join("thresholds_steps.npy"), &rec.threshold_steps)?;
    }
    for snap in &rec.weights {
        let mut w = npz(&dir.join("weights").join(format!("step_{}.npz", snap.step)))?;
        add_sparse(&mut w, "ee", &snap.w_ee)?;
        add_sparse(&mut w, "ei", &snap.w_ei)?;
        w.finish()?;
    }
    let mut w = npz(&dir.join("weights").join("final.npz"))?;
    add_sparse(&mut w, "ee", &SparseSnapshot::of(sorn.w_ee()))?;
    add_sparse(&mut w, "ei", &SparseSnapshot::of(sorn.w_ei()))?;
    add_sparse(&mut w, "ie", &SparseSnapshot::of(sorn.w_ie()))?;
    add(&mut w, "te", sorn.te())?;
    add(&mut w, "ti", sorn.ti())?;
    w.finish()?;
    Ok(())
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), if known.
pub fn peak_rss_mb() -> Option<f64> {
    let s = fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

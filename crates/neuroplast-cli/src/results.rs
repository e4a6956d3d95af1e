//! The results directory: where a run's [`Recording`]s go, and the atomic write itself.
//!
//! ```text
//! DIR/config.toml                     the fully resolved configuration (`neuroplast run` on it repeats the run)
//! DIR/summary.json                    what happened: steps, timing, rates, hash, analyses (see run.rs)
//! DIR/checkpoint.bin                  the complete state, for `neuroplast resume`
//! DIR/spikes/<pop>.npz                step (u64), neuron (u32): one entry per recorded spike
//! DIR/activity_<pop>.npy              active neurons per step (u32); element k is step
//!                                     `activity_first_step` + k (summary.json)
//! DIR/state/<pop>_<var>.npy (+ _steps.npy)   samples × recorded neurons (f64), and their steps
//! DIR/rate/<pop>.npy (+ _steps.npy)   rate in Hz per bin, first step of each bin
//! DIR/<series>.npy (+ _steps.npy)     network-wide samples (SORN: connection_fraction)
//! DIR/<file>.npy | .npz               arrays written once (weights/final.npz, data/*.npy, readout/trace.npz)
//! DIR/analysis/*.npz                  `[analysis]` data
//! DIR/plots/*.png                     figures (`neuroplast plot DIR` redraws them)
//! ```
//! Steps are 0-based: a spike of step `t` happened in the update from `t·dt` to `(t + 1)·dt`
//! (summary.json `spike_steps_from = 0`; directories written before this convention have
//! no such key, and their SORN spike steps start at 1).
//!
//! Everything is written into a hidden sibling `.DIR.tmp-<pid>` and renamed into place at the
//! end, so DIR is absent, the previous complete result, or the new complete result — never
//! half-written. A resumed run continues the streams of DIR in the staged copy.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ndarray::{ArrayViewD, IxDyn};
use ndarray_npy::{NpzReader, NpzWriter, ReadableElement};
use neuroplast_core::recording::{ArrayChunk, ArrayData, Recording};

use crate::npy::{pack_npz, NpyAppender, NpyElement};

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
        crate::cluster::staging(Some(tmp.clone()));
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
        crate::cluster::staging(None);
        Ok(self.target.clone())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            fs::remove_dir_all(&self.tmp).ok();
            crate::cluster::staging(None);
        }
    }
}

/// Read a one-dimensional `.npy` file.
pub fn read_npy_vec<T: ReadableElement + Clone>(path: &Path) -> Result<Vec<T>> {
    let a: ndarray::Array1<T> = ndarray_npy::read_npy(path)
        .with_context(|| format!("cannot read {} (was the run finished?)", path.display()))?;
    Ok(a.to_vec())
}

/// Read a `.npy` file of any shape: `(shape, values)`.
pub fn read_npy_any<T: ReadableElement + Clone>(path: &Path) -> Result<(Vec<usize>, Vec<T>)> {
    let a: ndarray::ArrayD<T> =
        ndarray_npy::read_npy(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok((a.shape().to_vec(), a.iter().cloned().collect()))
}

/// The arrays `names` of the `.npz` file at `path` (`None` if the file does not exist).
pub fn read_npz<T: ReadableElement + Clone>(
    path: &Path,
    names: &[&str],
) -> Result<Option<Vec<Vec<T>>>> {
    if !path.exists() {
        return Ok(None);
    }
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut z = NpzReader::new(f).with_context(|| format!("{} is not an .npz", path.display()))?;
    let mut out = Vec::new();
    for name in names {
        let a: ndarray::ArrayD<T> = z.by_name(name).with_context(|| {
            format!(
                "{}: array {name:?} missing or of another type",
                path.display()
            )
        })?;
        out.push(a.iter().cloned().collect());
    }
    Ok(Some(out))
}

/// The spikes of `spikes/<pop>.npz`: (steps, neuron ids).
pub fn read_spikes(dir: &Path, pop: &str) -> Result<Option<(Vec<u64>, Vec<u32>)>> {
    let path = dir.join("spikes").join(format!("{pop}.npz"));
    let Some(steps) = read_npz::<u64>(&path, &["step"])? else {
        return Ok(None);
    };
    let ids = read_npz::<u32>(&path, &["neuron"])?.expect("the file exists");
    Ok(Some((
        steps.into_iter().next().unwrap_or_default(),
        ids.into_iter().next().unwrap_or_default(),
    )))
}

/// Write an [`ArrayChunk`] as `<file>.npy` (one unnamed array) or `<file>.npz`.
pub fn write_arrays(dir: &Path, chunk: &ArrayChunk) -> Result<()> {
    let base = dir.join(&chunk.file);
    if let Some(p) = base.parent() {
        fs::create_dir_all(p)?;
    }
    fn view<'a, T>(shape: &[usize], v: &'a [T]) -> Result<ArrayViewD<'a, T>> {
        ArrayViewD::from_shape(IxDyn(shape), v).context("array shape and length disagree")
    }
    if let [one] = chunk.arrays.as_slice() {
        if one.name.is_empty() {
            let path = base.with_extension("npy");
            let r = match &one.data {
                ArrayData::F64(v) => ndarray_npy::write_npy(&path, &view(&one.shape, v)?),
                ArrayData::U32(v) => ndarray_npy::write_npy(&path, &view(&one.shape, v)?),
                ArrayData::U64(v) => ndarray_npy::write_npy(&path, &view(&one.shape, v)?),
                ArrayData::U8(v) => ndarray_npy::write_npy(&path, &view(&one.shape, v)?),
                ArrayData::I32(v) => ndarray_npy::write_npy(&path, &view(&one.shape, v)?),
            };
            return r.with_context(|| format!("cannot write {}", path.display()));
        }
    }
    let path = base.with_extension("npz");
    let f = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = NpzWriter::new(BufWriter::new(f));
    for a in &chunk.arrays {
        let r = match &a.data {
            ArrayData::F64(v) => w.add_array(a.name.as_str(), &view(&a.shape, v)?),
            ArrayData::U32(v) => w.add_array(a.name.as_str(), &view(&a.shape, v)?),
            ArrayData::U64(v) => w.add_array(a.name.as_str(), &view(&a.shape, v)?),
            ArrayData::U8(v) => w.add_array(a.name.as_str(), &view(&a.shape, v)?),
            ArrayData::I32(v) => w.add_array(a.name.as_str(), &view(&a.shape, v)?),
        };
        r.with_context(|| format!("cannot write {}", path.display()))?;
    }
    w.finish()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A streamed 1-D or 2-D array, continued from the file of a resumed run if there is one.
fn stream<T: NpyElement + ReadableElement + Clone>(
    path: &Path,
    cols: Option<usize>,
    previous: Option<&Path>,
) -> Result<NpyAppender<T>> {
    let mut a = match cols {
        None => NpyAppender::new(path)?,
        Some(c) => NpyAppender::with_cols(path, c)?,
    };
    if let Some(old) = previous.filter(|p| p.exists()) {
        let (_, values) = read_npy_any::<T>(old)?;
        a.append(&values)?;
    }
    Ok(a)
}

/// One appended pair of arrays: values (1-D or 2-D) and their steps.
struct Pair<V: NpyElement> {
    values: NpyAppender<V>,
    steps: NpyAppender<u64>,
}

/// The spikes of one population, streamed into hidden `.npy` files and packed into
/// `spikes/<pop>.npz` at the end.
struct SpikeStream {
    population: String,
    steps: NpyAppender<u64>,
    ids: NpyAppender<u32>,
}

/// Where the recordings of a run go: one stream per chunk of a [`Recording`] (opened at the
/// first drain), files written once for its array chunks.
pub struct Sinks {
    dir: PathBuf,
    /// The results directory a resumed run continues (its streams are copied first).
    previous: Option<PathBuf>,
    spikes: Vec<SpikeStream>,
    states: Vec<Pair<f64>>,
    rates: Vec<Pair<f64>>,
    counts: Vec<(NpyAppender<u32>, u64)>,
    series: Vec<Pair<f64>>,
    opened: bool,
}

impl Sinks {
    /// Sinks writing into `dir`, continuing the streams of `previous` (a resumed run).
    pub fn new(dir: &Path, previous: Option<&Path>) -> Sinks {
        Sinks {
            dir: dir.to_path_buf(),
            previous: previous.map(Path::to_path_buf),
            spikes: Vec::new(),
            states: Vec::new(),
            rates: Vec::new(),
            counts: Vec::new(),
            series: Vec::new(),
            opened: false,
        }
    }

    fn prev(&self, rel: &str) -> Option<PathBuf> {
        self.previous.as_ref().map(|p| p.join(rel))
    }

    fn pair(&self, values: &str, cols: Option<usize>) -> Result<Pair<f64>> {
        let steps = format!("{}_steps.npy", values.trim_end_matches(".npy"));
        Ok(Pair {
            values: stream(&self.dir.join(values), cols, self.prev(values).as_deref())?,
            steps: stream(&self.dir.join(&steps), None, self.prev(&steps).as_deref())?,
        })
    }

    /// Open one stream per chunk of the first drain.
    fn open(&mut self, rec: &Recording) -> Result<()> {
        for c in &rec.spikes {
            let d = self.dir.join("spikes");
            let mut s = SpikeStream {
                population: c.population.clone(),
                steps: NpyAppender::new(&d.join(format!(".{}_step.npy", c.population)))?,
                ids: NpyAppender::new(&d.join(format!(".{}_neuron.npy", c.population)))?,
            };
            if let Some(prev) = &self.previous {
                if let Some((steps, ids)) = read_spikes(prev, &c.population)? {
                    s.steps.append(&steps)?;
                    s.ids.append(&ids)?;
                }
            }
            self.spikes.push(s);
        }
        for c in &rec.states {
            let name = format!("state/{}_{}.npy", c.population, c.variable);
            let p = self.pair(&name, Some(c.neurons.len()))?;
            self.states.push(p);
        }
        for c in &rec.rates {
            let p = self.pair(&format!("rate/{}.npy", c.population), None)?;
            self.rates.push(p);
        }
        for c in &rec.counts {
            let name = format!("activity_{}.npy", c.population);
            let a = stream(&self.dir.join(&name), None, self.prev(&name).as_deref())?;
            // a continued stream keeps the first step of the run it continues
            let first = if a.len() > 0 {
                c.first_step - a.len()
            } else {
                c.first_step
            };
            self.counts.push((a, first));
        }
        for c in &rec.series {
            let p = self.pair(&format!("{}.npy", c.name), None)?;
            self.series.push(p);
        }
        self.opened = true;
        Ok(())
    }

    /// Append a drained recording; array chunks are written as files at once.
    pub fn write(&mut self, rec: Recording) -> Result<()> {
        if !self.opened {
            self.open(&rec)?;
        }
        for (s, c) in self.spikes.iter_mut().zip(&rec.spikes) {
            s.steps.append(&c.steps)?;
            s.ids.append(&c.ids)?;
        }
        for (s, c) in self.states.iter_mut().zip(&rec.states) {
            s.values.append(&c.values)?;
            s.steps.append(&c.steps)?;
        }
        for (s, c) in self.rates.iter_mut().zip(&rec.rates) {
            s.values.append(&c.rates)?;
            s.steps.append(&c.steps)?;
        }
        for ((a, _), c) in self.counts.iter_mut().zip(&rec.counts) {
            a.append(&c.counts)?;
        }
        for (s, c) in self.series.iter_mut().zip(&rec.series) {
            s.values.append(&c.values)?;
            s.steps.append(&c.steps)?;
        }
        for chunk in &rec.arrays {
            write_arrays(&self.dir, chunk)?;
        }
        Ok(())
    }

    /// Close every stream (spikes packed into `.npz`); says what was recorded.
    pub fn finish(self) -> Result<Recorded> {
        let mut recorded = Vec::new();
        for s in self.spikes {
            recorded.push((s.population.clone(), s.steps.len()));
            let steps = s.steps.finish()?;
            let ids = s.ids.finish()?;
            pack_npz(
                &self
                    .dir
                    .join("spikes")
                    .join(format!("{}.npz", s.population)),
                &[("step", steps), ("neuron", ids)],
            )?;
        }
        for p in self.states.into_iter().chain(self.rates).chain(self.series) {
            p.values.finish()?;
            p.steps.finish()?;
        }
        let activity_first_step = self.counts.first().map(|(_, f)| *f);
        for (a, _) in self.counts {
            a.finish()?;
        }
        Ok(Recorded {
            spikes: recorded,
            activity_first_step,
        })
    }
}

/// What a run's [`Sinks`] wrote.
pub struct Recorded {
    /// Spikes recorded per population (the whole run, continuations included).
    pub spikes: Vec<(String, u64)>,
    /// The step of the first activity count, if activity was recorded.
    pub activity_first_step: Option<u64>,
}

/// Copy into `to` the files of results directory `from` that a continuation did not write
/// again (array files written once, such as weight snapshots); `summary.json`,
/// `config.toml`, `checkpoint.bin`, `plots/` and `analysis/` are made anew.
pub fn copy_missing(from: &Path, to: &Path) -> Result<()> {
    for entry in walk(from)? {
        let rel = entry.strip_prefix(from).expect("inside the directory");
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .unwrap_or_default();
        let remade = matches!(
            first.as_str(),
            "plots" | "analysis" | "summary.json" | "config.toml" | "checkpoint.bin"
        ) || first.starts_with('.');
        let dest = to.join(rel);
        if remade || dest.exists() {
            continue;
        }
        if let Some(p) = dest.parent() {
            fs::create_dir_all(p)?;
        }
        fs::copy(&entry, &dest).with_context(|| format!("cannot copy {}", entry.display()))?;
    }
    Ok(())
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let p = entry?.path();
        if p.is_dir() {
            out.extend(walk(&p)?);
        } else {
            out.push(p);
        }
    }
    Ok(out)
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), if known.
pub fn peak_rss_mb() -> Option<f64> {
    let s = fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// One CSV field: quoted (inner quotes doubled) when it holds a comma, a quote or a newline.
pub fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

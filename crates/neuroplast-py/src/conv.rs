//! Every conversion between Python values and Rust values: keyword values into the typed
//! values the config resolves, recording and rule names, input and state arrays, and the other
//! way a [`Recording`], a [`Summary`] (any serialisable report) and a SORN state as Python
//! dicts of numpy arrays. Arrays that Rust built are handed to numpy without copying
//! (`into_pyarray` moves the `Vec`'s buffer).

use neuroplast_config::spiking::{ArrayValues, GivenArray};
use neuroplast_core::engine::{Engine, Kind};
use neuroplast_core::monitor::{
    ReadoutRecord, ReadoutTrace, RecordSpec, SpikeWindow, StateFeatures,
};
use neuroplast_core::recording::{ArrayData, Recording};
use neuroplast_core::sorn::input::Input;
use neuroplast_core::sorn::{DenseMatrix, Preset, Rule, Sorn, SornParams, SornState};
use neuroplast_core::sparse::SparseRows;
use numpy::{
    IntoPyArray, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};

use crate::errors::{config_err, core_err};

// ---- Python → Rust -------------------------------------------------------------------------

/// A keyword's value as the typed value the config resolves (no text in between): bool,
/// int (within i64), float, str, lists/tuples and dicts of those. `path` names it in errors
/// (`sorn.noise_sigma`, `sorn.w_ee.p`, `sorn.ip_clamp[1]`).
pub fn config_value(v: &Bound<'_, PyAny>, path: &str) -> PyResult<toml::Value> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(toml::Value::String(s.to_str()?.to_string()));
    }
    // one-dimensional float and integer numpy arrays directly (a projection's synapses can
    // be millions of values); other numpy arrays and scalars as their Python lists and numbers
    if let Ok(a) = v.extract::<PyReadonlyArray1<'_, f64>>() {
        return Ok(toml::Value::Array(
            a.as_array()
                .iter()
                .map(|&x| toml::Value::Float(x))
                .collect(),
        ));
    }
    if let Ok(a) = v.extract::<PyReadonlyArray1<'_, i64>>() {
        return Ok(toml::Value::Array(
            a.as_array()
                .iter()
                .map(|&x| toml::Value::Integer(x))
                .collect(),
        ));
    }
    if v.hasattr("tolist")? && v.hasattr("dtype")? {
        return config_value(&v.call_method0("tolist")?, path);
    }
    if v.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(v.extract::<bool>()?));
    }
    if v.is_instance_of::<PyInt>() {
        return match v.extract::<i64>() {
            Ok(i) => Ok(toml::Value::Integer(i)),
            Err(_) => Err(config_err(
                path,
                format!("integer {v} is out of range (parameter integers are 64-bit signed)"),
            )),
        };
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(v.extract::<f64>()?));
    }
    if let Ok(m) = v.cast::<PyMapping>() {
        return Ok(toml::Value::Table(config_table(m, path)?));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, x) in v.try_iter()?.enumerate() {
            let x = x?;
            // numbers without building their key path (only an error needs it)
            if let Ok(f) = x.cast::<PyFloat>() {
                out.push(toml::Value::Float(f.value()));
                continue;
            }
            if x.is_exact_instance_of::<PyInt>() {
                if let Ok(i) = x.extract::<i64>() {
                    out.push(toml::Value::Integer(i));
                    continue;
                }
            }
            out.push(config_value(&x, &format!("{path}[{i}]"))?);
        }
        return Ok(toml::Value::Array(out));
    }
    Err(config_err(
        path,
        format!(
            "cannot use a value of type {} ({}); give a bool, int, float, str, list or dict",
            v.get_type().name()?,
            v.repr()?
        ),
    ))
}

/// A dict of keyword values (string keys) as a config table; `path` prefixes the keys.
pub fn config_table(m: &Bound<'_, PyMapping>, path: &str) -> PyResult<toml::Table> {
    let mut prefix: Vec<String> = (!path.is_empty())
        .then(|| path.to_string())
        .into_iter()
        .collect();
    tables_into(m, &mut prefix, None)
}

/// A dict of an experiment's tables as a config table, with its one-dimensional float and
/// integer numpy arrays (at any depth of dicts) taken out beside it with their key paths, for
/// [`SpikingExperiment::from_tables`](neuroplast_config::spiking::SpikingExperiment::from_tables):
/// a projection's synapse arrays are copied once instead of becoming a value each.
pub fn config_tables(m: &Bound<'_, PyMapping>) -> PyResult<(toml::Table, Vec<GivenArray>)> {
    let mut arrays = Vec::new();
    let table = tables_into(m, &mut Vec::new(), Some(&mut arrays))?;
    Ok((table, arrays))
}

/// The table of `m` at key path `path`; with `arrays`, its numpy arrays go there instead.
fn tables_into(
    m: &Bound<'_, PyMapping>,
    path: &mut Vec<String>,
    mut arrays: Option<&mut Vec<GivenArray>>,
) -> PyResult<toml::Table> {
    let mut t = toml::Table::new();
    for item in m.items()?.try_iter()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        let Ok(key) = k.extract::<String>() else {
            return Err(config_err(
                &path.join("."),
                format!("keys must be strings, got {}", k.repr()?),
            ));
        };
        path.push(key.clone());
        let given = arrays.is_some().then(|| numpy_values(&v)).flatten();
        match (given, arrays.as_deref_mut()) {
            (Some(values), Some(arrays)) => arrays.push(GivenArray {
                path: path.clone(),
                values,
            }),
            _ => {
                let value = match v.cast::<PyMapping>() {
                    Ok(sub) => toml::Value::Table(tables_into(sub, path, arrays.as_deref_mut())?),
                    Err(_) => config_value(&v, &path.join("."))?,
                };
                t.insert(key, value);
            }
        }
        path.pop();
    }
    Ok(t)
}

/// The values of a one-dimensional float64 or int64 numpy array.
fn numpy_values(v: &Bound<'_, PyAny>) -> Option<ArrayValues> {
    if let Ok(a) = v.extract::<PyReadonlyArray1<'_, f64>>() {
        return Some(ArrayValues::F64(a.as_array().to_vec()));
    }
    let a = v.extract::<PyReadonlyArray1<'_, i64>>().ok()?;
    Some(ArrayValues::I64(a.as_array().to_vec()))
}

/// Recording names of `Sorn.run`: `activity`, `spikes[:K]` (all, or the last K steps of the
/// call), `connection_fraction[:k]`, `thresholds[:k]`, `weights[:k]` (`:k` = every k steps,
/// default 1; weights default 1000), `internal` (the thresholded drive before input, every
/// step). `t` is the network's current step, `steps` the steps of the call.
pub fn record_spec(names: &[String], t: u64, steps: u64) -> PyResult<RecordSpec> {
    let mut spec = RecordSpec::default();
    let mut seen: Vec<&str> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let (what, every) = match name.split_once(':') {
            Some((w, k)) => (
                w,
                Some(k.parse::<u64>().ok().filter(|&k| k >= 1).ok_or_else(|| {
                    config_err(
                        &format!("record[{i}]"),
                        format!("{name:?}: the interval after ':' must be an integer ≥ 1"),
                    )
                })?),
            ),
            None => (name.as_str(), None),
        };
        if seen.contains(&what) {
            return Err(config_err(
                &format!("record[{i}]"),
                format!("{what:?} is asked for twice; give it once"),
            ));
        }
        seen.push(what);
        if every.is_some() && matches!(what, "activity" | "internal") {
            return Err(config_err(
                &format!("record[{i}]"),
                format!("{name:?}: {what} is recorded every step and takes no ':k'"),
            ));
        }
        match what {
            "activity" => spec.activity = true,
            "spikes" => {
                // the last K steps of this call: recorded from step t + steps − K on, so that
                // a run drained in slices keeps exactly them
                spec.spikes = every.map_or(SpikeWindow::All, |k| {
                    SpikeWindow::From((t + steps).saturating_sub(k))
                });
            }
            "connection_fraction" => spec.connection_fraction_every = Some(every.unwrap_or(1)),
            "thresholds" => spec.thresholds_every = Some(every.unwrap_or(1)),
            "weights" => spec.weights_every = Some(every.unwrap_or(1000)),
            "internal" => {
                spec.readout = Some(ReadoutRecord {
                    after_step: t,
                    features: StateFeatures::Internal,
                })
            }
            other => {
                return Err(config_err(
                    &format!("record[{i}]"),
                    format!(
                        "unknown recording {other:?}; allowed: activity, spikes[:K], \
                         connection_fraction[:k], thresholds[:k], weights[:k], internal"
                    ),
                ))
            }
        }
    }
    Ok(spec)
}

/// Rule names (`stdp`, `ip`, `sn`, `istdp`, `sp`).
pub fn rules(names: &[String], what: &str) -> PyResult<Vec<Rule>> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| Rule::parse(n, &format!("{what}[{i}]")).map_err(core_err))
        .collect()
}

/// A (steps × units) float64 array as input to E units 0…units−1.
pub fn input_matrix(a: &PyReadonlyArray2<'_, f64>, steps: u64, ne: usize) -> PyResult<Input> {
    let shape = a.shape();
    let (t, units) = (shape[0], shape[1]);
    if t as u64 != steps {
        return Err(core_err(neuroplast_core::Error::ShapeMismatch {
            what: "inputs".into(),
            expected: format!("({steps}, units): one row per step"),
            got: format!("({t}, {units})"),
        }));
    }
    let view = a.as_array();
    // Core layout: units × T, row-major.
    let mut data = Vec::with_capacity(t * units);
    for u in 0..units {
        data.extend(view.column(u).iter().copied());
    }
    Input::matrix(
        (0..units as u32).collect(),
        data,
        [units, t],
        false,
        ne,
        "inputs",
    )
    .map_err(core_err)
}

/// A 2-D float64 array as a [`DenseMatrix`].
pub fn dense(a: &PyReadonlyArray2<'_, f64>) -> DenseMatrix {
    let shape = a.shape();
    DenseMatrix {
        rows: shape[0],
        cols: shape[1],
        values: a.as_array().iter().copied().collect(),
    }
}

/// The arrays of `SornCore.set_state` as a [`SornState`] (checked by the core).
#[allow(clippy::too_many_arguments)] // reason: the seven arrays of a SORN state, by name
pub fn sorn_state(
    x: &PyReadonlyArray1<'_, f64>,
    y: &PyReadonlyArray1<'_, f64>,
    te: &PyReadonlyArray1<'_, f64>,
    ti: &PyReadonlyArray1<'_, f64>,
    w_ee: &PyReadonlyArray2<'_, f64>,
    w_ei: &PyReadonlyArray2<'_, f64>,
    w_ie: &PyReadonlyArray2<'_, f64>,
) -> SornState {
    let v = |a: &PyReadonlyArray1<'_, f64>| a.as_array().to_vec();
    SornState {
        x: v(x),
        y: v(y),
        te: v(te),
        ti: v(ti),
        w_ee: dense(w_ee),
        w_ei: dense(w_ei),
        w_ie: dense(w_ie),
    }
}

// ---- Rust → Python -------------------------------------------------------------------------

/// Where a recording sits in its run: what [`recording`] adds besides the chunks.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    /// The kind of engine that recorded it (picks the layout).
    pub kind: Kind,
    /// The step count when the call started: the first step it recorded.
    pub first_step: u64,
    /// The step count when it ended: steps `first_step ≤ t < last_step` were recorded.
    pub last_step: u64,
    /// The step in ms, if the engine has one.
    pub dt_ms: Option<f64>,
}

impl Span {
    /// The span of `engine` from step `first_step` to now.
    pub fn of(engine: &dyn Engine, first_step: u64) -> Span {
        Span {
            kind: engine.kind(),
            first_step,
            last_step: engine.step_count(),
            dt_ms: engine.dt_ms(),
        }
    }
}

fn array<'py>(py: Python<'py>, data: ArrayData, shape: &[usize]) -> PyResult<Bound<'py, PyAny>> {
    Ok(match data {
        ArrayData::F64(v) => v.into_pyarray(py).reshape(shape)?.into_any(),
        ArrayData::U32(v) => v.into_pyarray(py).reshape(shape)?.into_any(),
        ArrayData::U64(v) => v.into_pyarray(py).reshape(shape)?.into_any(),
        ArrayData::U8(v) => v.into_pyarray(py).reshape(shape)?.into_any(),
        ArrayData::I32(v) => v.into_pyarray(py).reshape(shape)?.into_any(),
    })
}

/// A [`Recording`] as the dict `run` returns; every kind's layout is written down here, once.
/// Steps are 0-based: a spike of step `t` happened in the update from `t` to `t + 1`.
///
/// Every kind: `first_step`, `last_step` (the recorded steps are `first_step ≤ t <
/// last_step`), `dt_ms` (spiking and protocol runs), and `arrays` = {file: {name: array}}
/// for arrays written once (SORN's `weights/final`, `readout/trace`; a protocol's data).
///
/// SORN (the keys of `neuroplast.sorn.Sorn.run`): `activity_e`/`activity_i` (active units
/// per step), `spikes_e`/`spikes_i` = {"step", "neuron"}, `thresholds` (samples × N_E) with
/// `thresholds_steps`, `<series>` with `<series>_steps` (`connection_fraction`), `weights` =
/// a list of {"step", "ee_post", "ee_pre", "ee_w", "ei_post", "ei_pre", "ei_w"}.
///
/// Spiking and protocol runs: `spikes` = {pop: (steps, neurons)}, `state` = {"pop.var":
/// (steps, neurons, values[samples × neurons])}, `rate` = {pop: (bin start steps, Hz)},
/// `activity` = {pop: active neurons per step} with `activity_first_step`, `series` = {name:
/// (steps, values)}.
pub fn recording<'py>(
    py: Python<'py>,
    rec: Recording,
    span: &Span,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("first_step", span.first_step)?;
    d.set_item("last_step", span.last_step)?;
    if let Some(dt) = span.dt_ms {
        d.set_item("dt_ms", dt)?;
    }
    let arrays = PyDict::new(py);
    if span.kind == Kind::Sorn {
        for c in rec.spikes {
            let s = PyDict::new(py);
            s.set_item("step", c.steps.into_pyarray(py))?;
            s.set_item("neuron", c.ids.into_pyarray(py))?;
            d.set_item(format!("spikes_{}", c.population), s)?;
        }
        for c in rec.counts {
            d.set_item(
                format!("activity_{}", c.population),
                c.counts.into_pyarray(py),
            )?;
        }
        for c in rec.states {
            // SORN's one sampled per-unit variable: T_E ("thresholds", as the record name)
            let key = format!("{}s", c.variable);
            let k = c.neurons.len();
            let n = c.steps.len();
            d.set_item(&key, c.values.into_pyarray(py).reshape([n, k])?)?;
            d.set_item(format!("{key}_steps"), c.steps.into_pyarray(py))?;
        }
        for c in rec.series {
            d.set_item(&c.name, c.values.into_pyarray(py))?;
            d.set_item(format!("{}_steps", c.name), c.steps.into_pyarray(py))?;
        }
        let weights = PyList::empty(py);
        for c in rec.arrays {
            let snapshot = c
                .file
                .strip_prefix("weights/step_")
                .and_then(|s| s.parse::<u64>().ok());
            let a = PyDict::new(py);
            if let Some(step) = snapshot {
                a.set_item("step", step)?;
            }
            for x in c.arrays {
                a.set_item(&x.name, array(py, x.data, &x.shape)?)?;
            }
            match snapshot {
                Some(_) => weights.append(a)?,
                None => arrays.set_item(&c.file, a)?,
            }
        }
        if !weights.is_empty() {
            d.set_item("weights", weights)?;
        }
    } else {
        let spikes = PyDict::new(py);
        for c in rec.spikes {
            spikes.set_item(
                &c.population,
                (c.steps.into_pyarray(py), c.ids.into_pyarray(py)),
            )?;
        }
        let state = PyDict::new(py);
        for c in rec.states {
            let k = c.neurons.len().max(1);
            let samples = c.values.len() / k;
            let values = c
                .values
                .into_pyarray(py)
                .reshape([samples, c.neurons.len()])?;
            state.set_item(
                format!("{}.{}", c.population, c.variable),
                (c.steps.into_pyarray(py), c.neurons.into_pyarray(py), values),
            )?;
        }
        let rate = PyDict::new(py);
        for c in rec.rates {
            rate.set_item(
                &c.population,
                (c.steps.into_pyarray(py), c.rates.into_pyarray(py)),
            )?;
        }
        let activity = PyDict::new(py);
        for c in rec.counts {
            d.set_item("activity_first_step", c.first_step)?;
            activity.set_item(&c.population, c.counts.into_pyarray(py))?;
        }
        let series = PyDict::new(py);
        for c in rec.series {
            series.set_item(
                &c.name,
                (c.steps.into_pyarray(py), c.values.into_pyarray(py)),
            )?;
        }
        for c in rec.arrays {
            let a = PyDict::new(py);
            for x in c.arrays {
                a.set_item(&x.name, array(py, x.data, &x.shape)?)?;
            }
            arrays.set_item(&c.file, a)?;
        }
        d.set_item("spikes", spikes)?;
        d.set_item("state", state)?;
        d.set_item("rate", rate)?;
        d.set_item("activity", activity)?;
        d.set_item("series", series)?;
    }
    if !arrays.is_empty() {
        d.set_item("arrays", arrays)?;
    }
    Ok(d)
}

/// SORN's `internal` recording (the readout trace of `Sorn.run`): steps × width uint8.
pub fn internal<'py>(py: Python<'py>, tr: ReadoutTrace, ne: usize) -> PyResult<Bound<'py, PyAny>> {
    let n = tr.len();
    let width = if n == 0 { ne } else { tr.width };
    Ok(tr.states.into_pyarray(py).reshape([n, width])?.into_any())
}

/// Any serialisable report (an engine's [`Summary`](neuroplast_core::engine::Summary), an
/// analysis) as Python values: maps → dict, sequences → list, numbers → int/float, text → str.
pub fn to_py<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let v = serde_json::to_value(value)
        .map_err(|e| config_err("", format!("cannot convert a report: {e}")))?;
    json(py, &v)
}

/// A JSON value as Python values.
pub fn json<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value as V;
    Ok(match v {
        V::Null => py.None().into_bound(py),
        V::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        V::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.into_pyobject(py)?.into_any(),
            (None, Some(i)) => i.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        V::String(s) => PyString::new(py, s).into_any(),
        V::Array(a) => {
            let l = PyList::empty(py);
            for x in a {
                l.append(json(py, x)?)?;
            }
            l.into_any()
        }
        V::Object(m) => {
            let d = PyDict::new(py);
            for (k, x) in m {
                d.set_item(k, json(py, x)?)?;
            }
            d.into_any()
        }
    })
}

fn put_matrix(py: Python<'_>, d: &Bound<'_, PyDict>, key: &str, m: &SparseRows) -> PyResult<()> {
    let (mut post, mut pre, mut w) = (Vec::new(), Vec::new(), Vec::new());
    for (i, j, v) in m.triplets() {
        post.push(i);
        pre.push(j);
        w.push(v);
    }
    d.set_item(format!("{key}_post"), post.into_pyarray(py))?;
    d.set_item(format!("{key}_pre"), pre.into_pyarray(py))?;
    d.set_item(format!("{key}_w"), w.into_pyarray(py))?;
    d.set_item(format!("{key}_shape"), (m.n_rows(), m.n_cols()))?;
    Ok(())
}

/// The network state as numpy arrays.
pub fn state_dict<'py>(py: Python<'py>, s: &Sorn) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("t", s.t())?;
    d.set_item("x", s.x().to_vec().into_pyarray(py))?;
    d.set_item("y", s.y().to_vec().into_pyarray(py))?;
    d.set_item("te", s.te().to_vec().into_pyarray(py))?;
    d.set_item("ti", s.ti().to_vec().into_pyarray(py))?;
    put_matrix(py, &d, "w_ee", s.w_ee())?;
    put_matrix(py, &d, "w_ei", s.w_ei())?;
    put_matrix(py, &d, "w_ie", s.w_ie())?;
    d.set_item(
        "active_rules",
        s.active_rules()
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>(),
    )?;
    d.set_item("spike_hash", format!("{:016x}", s.spike_hash()))?;
    Ok(d)
}

/// The parameters as TOML (what `Sorn.params()` shows: the resolved `[sorn]` table).
pub fn params_toml(p: &SornParams) -> PyResult<String> {
    toml::to_string(p).map_err(|e| config_err("sorn", format!("cannot write parameters: {e}")))
}

/// Every preset's name.
pub fn preset_names() -> Vec<&'static str> {
    Preset::ALL.iter().map(|p| p.name()).collect()
}

//! Spiking networks from Python (`neuroplast.spiking.Network` wraps [`NetworkCore`]): a
//! network built from a spiking experiment file, run through [`run_detached`], recordings
//! handed over as numpy arrays, checkpoints refused when they hold another network.

use std::path::PathBuf;

use neuroplast_config::spiking::SpikingExperiment;
use neuroplast_config::Experiment;
use neuroplast_core::checkpoint;
use neuroplast_core::engine::Engine;
use neuroplast_core::spiking::network::Network;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::conv::{self, Span};
use crate::errors::{config_err, core_err, ToPyResult};
use crate::run::{self, run_detached};

/// A spiking network built from an experiment file.
#[pyclass(module = "neuroplast._neuroplast", name = "NetworkCore")]
pub struct NetworkCore {
    net: Network,
    exp: SpikingExperiment,
}

impl NetworkCore {
    /// Build the network of `exp`.
    pub fn new(exp: SpikingExperiment) -> PyResult<NetworkCore> {
        let net = exp.build().to_py()?;
        Ok(NetworkCore { net, exp })
    }
}

#[pymethods]
impl NetworkCore {
    /// Load a spiking experiment file (with `key.path=value` overrides) and build its network.
    #[staticmethod]
    #[pyo3(signature = (path, overrides=Vec::new()))]
    fn from_file(path: PathBuf, overrides: Vec<String>) -> PyResult<Self> {
        let exp = neuroplast_config::load(&path, &overrides).to_py()?;
        match exp.as_any().downcast_ref::<SpikingExperiment>() {
            Some(e) => NetworkCore::new(e.clone()),
            None => Err(pyo3::exceptions::PyValueError::new_err(format!(
                "{} is a {} experiment, not a spiking network ([populations]); load it with \
                 neuroplast.load_experiment",
                path.display(),
                exp.kind().name()
            ))),
        }
    }

    /// Build the network of a spiking experiment given as data (the file's tables as a dict:
    /// `simulation`, `populations`, `projections`, …; what `neuroplast.Network`'s builder
    /// writes).
    #[staticmethod]
    #[pyo3(signature = (spec, name="<python>"))]
    fn from_dict(spec: &Bound<'_, pyo3::types::PyMapping>, name: &str) -> PyResult<Self> {
        NetworkCore::new(experiment_of(spec, name)?)
    }

    /// Build the network of a spiking experiment file's text.
    #[staticmethod]
    #[pyo3(signature = (text, name="<text>"))]
    fn from_toml(text: &str, name: &str) -> PyResult<Self> {
        NetworkCore::new(SpikingExperiment::from_str(text, name, &[]).to_py()?)
    }

    /// The resolved experiment file (every parameter explicit; it repeats the run).
    #[getter]
    fn resolved_toml(&self) -> String {
        Experiment::resolved_toml(&self.exp)
    }

    /// Steps the file asks for.
    #[getter]
    fn steps(&self) -> u64 {
        self.exp.steps()
    }

    /// Time step, ms.
    #[getter]
    fn dt_ms(&self) -> f64 {
        self.net.dt_ms()
    }

    /// Steps simulated so far.
    #[getter]
    fn t(&self) -> u64 {
        self.net.step_count()
    }

    /// FNV-1a hash of every spike so far (equal to the CLI's summary.json for the same run).
    #[getter]
    fn spike_hash(&self) -> String {
        format!("{:016x}", self.net.spike_hash())
    }

    /// (name, size, model) of every population.
    fn populations(&self) -> Vec<(String, usize, String)> {
        self.net
            .populations()
            .iter()
            .map(|p| (p.name().to_string(), p.len(), p.model().to_string()))
            .collect()
    }

    /// Spikes emitted so far per population.
    fn spike_counts(&self) -> Vec<(String, u64)> {
        self.net
            .populations()
            .iter()
            .map(|p| (p.name().to_string(), p.spike_count()))
            .collect()
    }

    /// Synaptic events so far (Σ spikes × out-degree).
    fn synaptic_events(&self) -> u64 {
        self.net.synaptic_events()
    }

    /// The figures of the run so far (summary.json's engine entries).
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        conv::to_py(py, &Engine::summary(&self.net))
    }

    /// Use `threads` threads (results do not change).
    fn set_threads(&mut self, threads: usize) -> PyResult<()> {
        self.net.set_threads(threads).map_err(core_err)
    }

    /// A state variable of every neuron of a population.
    fn state<'py>(
        &self,
        py: Python<'py>,
        population: &str,
        variable: &str,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let pop = self.population(population)?;
        let values = pop.state(variable).ok_or_else(|| {
            pyo3::exceptions::PyKeyError::new_err(format!(
                "{} has no state variable {variable:?}; it has: {}",
                pop.model(),
                pop.state_names().join(", ")
            ))
        })?;
        Ok(values.into_pyarray(py))
    }

    /// Apply this network's tables with parameters or current-source waveforms edited, from
    /// the next step on (`Network::retune`); returns the key paths that changed. The
    /// structure (populations, sizes, models, sources' targets) must stay; an error changes
    /// nothing.
    #[pyo3(signature = (spec, name="<python>"))]
    fn retune(
        &mut self,
        spec: &Bound<'_, pyo3::types::PyMapping>,
        name: &str,
    ) -> PyResult<Vec<String>> {
        let exp = experiment_of(spec, name)?;
        self.exp.check_retune(&exp).to_py()?;
        let changed = self.net.retune(&exp.builder().to_py()?).map_err(core_err)?;
        self.exp = exp;
        Ok(changed)
    }

    /// A `noise` current source's current into each of its targets over the draw period of
    /// the last step run (nA; `CurrentSource::noise_values`).
    fn noise_values<'py>(
        &self,
        py: Python<'py>,
        source: &str,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let names: Vec<&str> = self
            .exp
            .file
            .sources
            .0
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        let Some(k) = names.iter().position(|n| *n == source) else {
            return Err(pyo3::exceptions::PyKeyError::new_err(format!(
                "no current source {source:?}; the sources are {names:?}"
            )));
        };
        match self.net.current_sources()[k].noise_values() {
            Some(v) => Ok(v.to_vec().into_pyarray(py)),
            None => Err(config_err(
                &format!("sources.{source}"),
                "not a noise source (only noise sources hold drawn values)".to_string(),
            )),
        }
    }

    /// The parameters of `population`'s model that can be given per neuron.
    fn parameters(&self, population: &str) -> PyResult<Vec<String>> {
        let index = self.population_index(population)?;
        Ok(self.exp.models[index]
            .per_neuron_params()
            .iter()
            .map(|s| (*s).to_string())
            .collect())
    }

    /// The state variables of `population`'s neurons.
    fn state_names(&self, population: &str) -> PyResult<Vec<String>> {
        let index = self.population_index(population)?;
        Ok(self.net.populations()[index]
            .state_names()
            .iter()
            .map(|s| (*s).to_string())
            .collect())
    }

    /// Set `name` of every neuron of `population`: a state variable (`v`, a Poisson `rate`),
    /// checked by the core. Errors name `<population>.<name>[<neuron>]`, the key of the call.
    /// A model parameter is refused here with a ConfigError: parameters change through
    /// `retune` (the Python `Network.set` does that).
    fn set(
        &mut self,
        population: &str,
        name: &str,
        values: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<()> {
        let key = format!("{population}.{name}");
        let index = self.population_index(population)?;
        let model = &self.exp.models[index];
        let pop = self
            .net
            .population_mut(population)
            .expect("found by population_index");
        if pop.state(name).is_none() {
            let params = model.per_neuron_params();
            return Err(config_err(
                &key,
                if params.contains(&name) {
                    format!(
                        "{name} is a parameter of {} (not a state variable): change it with \
                         Network.set or Network.retune",
                        model.name()
                    )
                } else {
                    format!(
                        "{} has no state variable or parameter {name:?}; state: {}; parameters: {}",
                        model.name(),
                        pop.state_names().join(", "),
                        params.join(", ")
                    )
                },
            ));
        }
        pop.set_state(name, values.as_slice()?).map_err(|e| {
            // the core names the file's `populations.<pop>.<name>…`; the call said `<pop>.<name>`
            core_err(match e {
                neuroplast_core::Error::Config { path, msg } => neuroplast_core::Error::Config {
                    path: path
                        .strip_prefix("populations.")
                        .map_or(path.clone(), str::to_string),
                    msg,
                },
                other => other,
            })
        })
    }

    /// Synaptic weights of a projection, in storage order (with `pre`/`post` from
    /// `connections`).
    fn weights<'py>(
        &self,
        py: Python<'py>,
        projection: &str,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let p = self.projection(projection)?;
        Ok(p.synapses.weights().into_owned().into_pyarray(py))
    }

    /// Presynaptic neuron, postsynaptic neuron and delay (steps) of every synapse of a
    /// projection (the order of `weights`).
    #[allow(clippy::type_complexity)] // reason: three named arrays, as the docstring says
    fn connections<'py>(
        &self,
        py: Python<'py>,
        projection: &str,
    ) -> PyResult<(
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<u32>>,
    )> {
        let p = self.projection(projection)?;
        let m = p.synapses.len();
        let (mut pre, mut post, mut delay) = (
            Vec::with_capacity(m),
            Vec::with_capacity(m),
            Vec::with_capacity(m),
        );
        for (i, j, _, d) in p.synapses.iter() {
            pre.push(i);
            post.push(j);
            delay.push(d);
        }
        Ok((
            pre.into_pyarray(py),
            post.into_pyarray(py),
            delay.into_pyarray(py),
        ))
    }

    /// Freeze (`false`) or unfreeze (`true`) a projection's plasticity from the next step on.
    fn set_plastic(&mut self, projection: &str, plastic: bool) -> PyResult<()> {
        self.net.set_plastic(projection, plastic).map_err(core_err)
    }

    /// Add `amount` to the dopamine of the `reward_stdp` projections (all, or `projection`);
    /// returns how many received it.
    #[pyo3(signature = (amount, projection=None))]
    fn reward(&mut self, amount: f64, projection: Option<&str>) -> PyResult<usize> {
        self.net.reward(amount, projection).map_err(core_err)
    }

    /// Run `steps` steps through `run_detached` (GIL released, Ctrl-C between 50 ms slices,
    /// `progress(done)` between them); returns (steps done, the recording of this call as
    /// `conv::recording`'s dict, with `profile` when `profile` is true).
    #[pyo3(signature = (steps, progress=None, profile=false))]
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        steps: u64,
        progress: Option<Bound<'py, PyAny>>,
        profile: bool,
    ) -> PyResult<(u64, Bound<'py, PyDict>)> {
        let start = self.net.step_count();
        Engine::set_profile(&mut self.net, profile);
        let outcome = run_detached(py, &mut self.net, steps, progress.as_ref());
        let prof = run::profile(&self.net);
        Engine::set_profile(&mut self.net, false);
        let (done, rec) = outcome?;
        let d = conv::recording(py, rec, &Span::of(&self.net, start))?;
        if let Some(p) = prof {
            d.set_item("profile", conv::json(py, &p)?)?;
        }
        Ok((done, d))
    }

    /// Overwrite a projection's weights (one per synapse, in the order of `weights`, or one
    /// for all); errors name `<projection>.weight`.
    fn set_weights(&mut self, projection: &str, values: PyReadonlyArray1<'_, f64>) -> PyResult<()> {
        self.projection(projection)?;
        self.net
            .set_weights(projection, values.as_slice()?)
            .map_err(core_err)
    }

    /// The whole network as checkpoint bytes (`load_bytes` continues it bit-exactly).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::new();
        checkpoint::write_network(&self.net, &mut out)
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
        Ok(PyBytes::new(py, &out))
    }

    /// Replace the network by one decoded from `to_bytes` output of a network of the same
    /// file: `Experiment::restore` refuses another network naming what differs (ConfigError),
    /// unreadable bytes are a CheckpointError. The threads stay.
    fn load_bytes(&mut self, data: &[u8]) -> PyResult<()> {
        Experiment::restore(&self.exp, data).to_py()?;
        // NOTE: restore's engine is a `Box<dyn Engine>`, which cannot give back the `Network`
        // this class needs for its accessors; decode the (checked) bytes again.
        let threads = self.net.threads();
        let mut net = checkpoint::network_from_bytes(data).map_err(core_err)?;
        net.set_threads(threads).map_err(core_err)?;
        self.net = net;
        Ok(())
    }
}

impl NetworkCore {
    fn population_index(&self, name: &str) -> PyResult<usize> {
        self.net
            .populations()
            .iter()
            .position(|p| p.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self.net.populations().iter().map(|p| p.name()).collect();
                pyo3::exceptions::PyKeyError::new_err(format!(
                    "no population {name:?}; the populations are {names:?}"
                ))
            })
    }

    fn population(&self, name: &str) -> PyResult<&neuroplast_core::spiking::network::Population> {
        Ok(&self.net.populations()[self.population_index(name)?])
    }

    fn projection(&self, name: &str) -> PyResult<&neuroplast_core::spiking::network::Projection> {
        self.net.projection(name).ok_or_else(|| {
            let names: Vec<&str> = self
                .net
                .projections()
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            pyo3::exceptions::PyKeyError::new_err(format!(
                "no projection {name:?}; the projections are {names:?}"
            ))
        })
    }
}

/// A spiking experiment from its tables as a dict (resolved and checked, not built).
fn experiment_of(
    spec: &Bound<'_, pyo3::types::PyMapping>,
    name: &str,
) -> PyResult<SpikingExperiment> {
    let (table, arrays) = conv::config_tables(spec)?;
    SpikingExperiment::from_tables(table, arrays, name, std::path::Path::new(".")).to_py()
}

/// Check a spiking experiment given as data without building it (ConfigError naming the key).
#[pyfunction]
#[pyo3(signature = (spec, name="<python>"))]
fn spiking_check(spec: &Bound<'_, pyo3::types::PyMapping>, name: &str) -> PyResult<()> {
    experiment_of(spec, name).map(|_| ())
}

/// A spiking experiment given as data, as the text of an experiment file.
#[pyfunction]
fn spiking_toml(spec: &Bound<'_, pyo3::types::PyMapping>) -> PyResult<String> {
    let table = conv::config_table(spec, "")?;
    toml::to_string(&table).map_err(|e| config_err("", format!("cannot write TOML: {e}")))
}

/// A spiking experiment file's text as data (its tables as a dict).
#[pyfunction]
#[pyo3(signature = (text, name="<text>"))]
fn spiking_dict<'py>(py: Python<'py>, text: &str, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let table = neuroplast_config::parse_toml(text, name, &[]).to_py()?;
    conv::to_py(py, &table)
}

/// Model `name` given as its table (a dict of the `[models.<name>]` fields), parsed and
/// checked: `{name, kind, syntax, parameters, variables, targets, reads}`.
#[pyfunction]
fn model_info<'py>(
    py: Python<'py>,
    name: &str,
    table: &Bound<'_, pyo3::types::PyMapping>,
) -> PyResult<Bound<'py, PyAny>> {
    let table = conv::config_table(table, &format!("models.{name}"))?;
    let info = neuroplast_config::library::describe(name, table).to_py()?;
    conv::to_py(py, &info)
}

/// The model library (`examples/models/`): `{name: table}`.
#[pyfunction]
fn library_models<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    let all: std::collections::BTreeMap<String, _> =
        neuroplast_config::library::all().into_iter().collect();
    conv::to_py(py, &all)
}

/// Register the class and the functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NetworkCore>()?;
    m.add_function(wrap_pyfunction!(spiking_check, m)?)?;
    m.add_function(wrap_pyfunction!(spiking_toml, m)?)?;
    m.add_function(wrap_pyfunction!(spiking_dict, m)?)?;
    m.add_function(wrap_pyfunction!(model_info, m)?)?;
    m.add_function(wrap_pyfunction!(library_models, m)?)?;
    Ok(())
}

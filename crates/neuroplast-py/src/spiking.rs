//! Spiking networks from Python: a network built from a spiking experiment file, run with the
//! GIL released, recordings handed over as numpy arrays (`neuroplast.spiking.Network` wraps it).

use std::path::PathBuf;
use std::time::Instant;

use neuroplast_config::spiking::SpikingExperiment;
use neuroplast_config::AnyExperiment;
use neuroplast_core::checkpoint;
use neuroplast_core::spiking::monitor::Recordings;
use neuroplast_core::spiking::network::Network;
use numpy::{IntoPyArray, PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::errors::{core_err, ToPyResult};
use crate::SLICE;

/// A spiking network built from an experiment file.
#[pyclass(module = "neuroplast._neuroplast", name = "NetworkCore")]
pub struct NetworkCore {
    net: Network,
    exp: SpikingExperiment,
    acc: Recordings,
}

fn append(acc: &mut Recordings, chunk: Recordings) {
    if acc.spikes.is_empty() && acc.states.is_empty() && acc.rates.is_empty() {
        *acc = chunk;
        return;
    }
    for (a, c) in acc.spikes.iter_mut().zip(chunk.spikes) {
        a.steps.extend(c.steps);
        a.ids.extend(c.ids);
    }
    for (a, c) in acc.states.iter_mut().zip(chunk.states) {
        a.steps.extend(c.steps);
        a.values.extend(c.values);
    }
    for (a, c) in acc.rates.iter_mut().zip(chunk.rates) {
        a.steps.extend(c.steps);
        a.rates.extend(c.rates);
    }
}

#[pymethods]
impl NetworkCore {
    /// Load a spiking experiment file (with `key.path=value` overrides) and build its network.
    #[staticmethod]
    #[pyo3(signature = (path, overrides=Vec::new()))]
    fn from_file(path: PathBuf, overrides: Vec<String>) -> PyResult<Self> {
        let exp = match AnyExperiment::load(&path, &overrides).to_py()? {
            AnyExperiment::Spiking(e) => *e,
            AnyExperiment::Sorn(_) => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "{} is a SORN experiment (it has [sorn]); use neuroplast.load_experiment or neuroplast.Sorn",
                    path.display()
                )))
            }
            AnyExperiment::Protocol(_) => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "{} is a protocol experiment (it has [protocol]); run it with neuroplast.run_protocol",
                    path.display()
                )))
            }
        };
        let net = exp.build().to_py()?;
        Ok(NetworkCore {
            net,
            exp,
            acc: Recordings::default(),
        })
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
        let pop = self.net.population(population).ok_or_else(|| {
            pyo3::exceptions::PyKeyError::new_err(format!("no population {population:?}"))
        })?;
        let values = pop.state(variable).ok_or_else(|| {
            pyo3::exceptions::PyKeyError::new_err(format!(
                "{} has no state variable {variable:?}; it has: {}",
                pop.model(),
                pop.state_names().join(", ")
            ))
        })?;
        Ok(values.into_pyarray(py))
    }

    /// Overwrite a state variable of every neuron (e.g. Poisson `rate`).
    fn set_state(
        &mut self,
        population: &str,
        variable: &str,
        values: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<()> {
        let pop = self.net.population_mut(population).ok_or_else(|| {
            pyo3::exceptions::PyKeyError::new_err(format!("no population {population:?}"))
        })?;
        let values = values.as_slice()?;
        pop.set_state(variable, values).map_err(core_err)
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
    #[allow(clippy::type_complexity)]
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

    /// Run `steps` steps with the GIL released (Ctrl-C between 50 ms slices), calling
    /// `progress(done)` between slices; recordings accumulate until `take_recordings`.
    #[pyo3(signature = (steps, progress=None))]
    fn run(
        &mut self,
        py: Python<'_>,
        steps: u64,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let mut done = 0;
        while done < steps {
            let left = steps - done;
            let net = &mut self.net;
            let (n, chunk) = py.detach(|| {
                let t0 = Instant::now();
                let mut n = 0;
                // 64 steps at a time: the 50 ms slices (and Ctrl-C) stay responsive on any network
                let per = 64.min(left);
                while n < left {
                    let k = per.min(left - n);
                    net.run(k);
                    n += k;
                    if t0.elapsed() > SLICE {
                        break;
                    }
                }
                (n, net.drain())
            });
            append(&mut self.acc, chunk);
            done += n;
            py.check_signals()?;
            if let Some(cb) = &progress {
                cb.call1((done,))?;
            }
        }
        Ok(done)
    }

    /// Everything recorded since the last call, as a dict:
    /// `spikes` {population: (steps, neurons)}, `state` {"population.variable": (steps,
    /// neurons, values[samples × neurons])}, `rate` {population: (bin start steps, Hz)}.
    fn take_recordings<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let rec = std::mem::take(&mut self.acc);
        let out = PyDict::new(py);
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
            let values = c.values.into_pyarray(py).reshape([samples, k])?;
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
        out.set_item("spikes", spikes)?;
        out.set_item("state", state)?;
        out.set_item("rate", rate)?;
        Ok(out)
    }

    /// The whole network as checkpoint bytes (`from_bytes` continues it bit-exactly).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::new();
        checkpoint::write_network(&self.net, &mut out)
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
        Ok(PyBytes::new(py, &out))
    }

    /// Replace the network by one decoded from `to_bytes` output (same experiment file).
    fn load_bytes(&mut self, data: &[u8]) -> PyResult<()> {
        let threads = self.net.threads();
        self.net = checkpoint::network_from_bytes(data).map_err(core_err)?;
        self.net.set_threads(threads).map_err(core_err)?;
        self.acc = Recordings::default();
        Ok(())
    }
}

impl NetworkCore {
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

/// `"spiking"` for a file with `[populations]`, `"sorn"` for one with `[sorn]`, `"protocol"`
/// for one with `[protocol]` (validated).

#[pyfunction]
#[pyo3(signature = (path, overrides=Vec::new()))]
fn experiment_kind(path: PathBuf, overrides: Vec<String>) -> PyResult<&'static str> {
    Ok(match AnyExperiment::load(&path, &overrides).to_py()? {
        AnyExperiment::Spiking(_) => "spiking",
        AnyExperiment::Sorn(_) => "sorn",
        AnyExperiment::Protocol(_) => "protocol",
    })
}

/// Register the class and function.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NetworkCore>()?;
    m.add_function(wrap_pyfunction!(experiment_kind, m)?)
}

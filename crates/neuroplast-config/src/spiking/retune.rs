//! What may change in a running network: [`SpikingExperiment::check_retune`] compares a new
//! description with the running one section by section. Neuron parameters and current
//! sources' waveforms may differ (`Network::retune` applies them); anything else would be
//! silently ignored by the running network while its description said otherwise, so it is
//! refused naming the first section that differs.

use super::SpikingExperiment;
use crate::{ConfigError, Result};

impl SpikingExperiment {
    /// Check that `new` is this experiment with at most its populations' `params` and its
    /// sources' `waveform`s changed. Populations of other names, sizes or models are left to
    /// `Network::retune`, which names what it keeps.
    pub fn check_retune(&self, new: &SpikingExperiment) -> Result<()> {
        let (a, b) = (&self.file, &new.file);
        let differs = |path: &str| -> Result<()> {
            Err(ConfigError::new(
                &new.name,
                path,
                "differs from the running network's, which can change only its neuron \
                 parameters (populations.<name>.params) and current sources' waveforms \
                 (sources.<name>.waveform)",
            ))
        };
        if a.simulation != b.simulation {
            return differs("simulation");
        }
        if a.models != b.models {
            return differs("models");
        }
        let same_populations = a.populations.0.len() == b.populations.0.len()
            && a.populations
                .0
                .iter()
                .zip(&b.populations.0)
                .all(|((na, pa), (nb, pb))| na == nb && pa.n == pb.n && pa.model == pb.model);
        if same_populations {
            for ((_, pa), (name, pb)) in a.populations.0.iter().zip(&b.populations.0) {
                if pa.init != pb.init {
                    return differs(&format!("populations.{name}.init"));
                }
            }
        }
        if a.projections != b.projections {
            return differs("projections");
        }
        if a.sources.0.len() == b.sources.0.len() {
            for ((na, sa), (nb, sb)) in a.sources.0.iter().zip(&b.sources.0) {
                if na != nb {
                    return differs("sources");
                }
                if sa.population != sb.population || sa.neurons != sb.neurons {
                    return differs(&format!("sources.{nb}"));
                }
            }
        }
        let rest = [
            ("record", a.record != b.record),
            ("output", a.output != b.output),
            ("schedule", a.schedule != b.schedule),
            ("analysis", a.analysis != b.analysis),
            ("readout", a.readout != b.readout),
        ];
        match rest.iter().find(|(_, d)| *d) {
            Some((path, _)) => differs(path),
            None => Ok(()),
        }
    }
}

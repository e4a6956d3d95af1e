//! A SORN file as an [`Experiment`](crate::Experiment).

use neuroplast_core::engine::{Engine, Kind, Summary};
use neuroplast_core::monitor::SpikeWindow;
use neuroplast_core::readout::{Method, ReadoutSpec};

use super::SornExperiment;
use crate::experiment::{flag_error, OutputOptions, ReadoutPlan, RestoreError};
use crate::schema::AnalysisSection;
use crate::{ConfigError, Result};

impl crate::Experiment for SornExperiment {
    fn kind(&self) -> Kind {
        Kind::Sorn
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn seed(&self) -> u64 {
        self.file.simulation.seed
    }

    fn set_seed(&mut self, seed: u64) -> Result<()> {
        self.file.simulation.seed = seed;
        Ok(())
    }

    fn steps(&self) -> u64 {
        self.file.simulation.steps
    }

    fn set_steps(&mut self, steps: u64) -> Result<()> {
        if steps == 0 {
            return Err(flag_error(&self.name, "--steps", "must be ≥ 1, got 0"));
        }
        let mut next = self.clone();
        next.file.simulation.steps = steps;
        next.validate_rest()?;
        *self = next;
        Ok(())
    }

    fn dt_ms(&self) -> Option<f64> {
        None
    }

    fn threads(&self) -> usize {
        self.file.simulation.threads
    }

    fn set_threads(&mut self, threads: usize) -> Result<()> {
        if threads == 0 {
            return Err(flag_error(&self.name, "--threads", "must be ≥ 1, got 0"));
        }
        self.file.simulation.threads = threads;
        Ok(())
    }

    fn chunk_steps(&self) -> u64 {
        (self.steps() / 500).clamp(1, 20_000)
    }

    fn build(&self) -> Result<Box<dyn Engine>> {
        Ok(Box::new(self.build_simulation()?))
    }

    fn restore(&self, bytes: &[u8]) -> std::result::Result<Box<dyn Engine>, RestoreError> {
        let mut sim =
            neuroplast_core::checkpoint::from_bytes(bytes).map_err(RestoreError::Unreadable)?;
        if sim.sorn.params() != &self.params {
            return Err(RestoreError::Differs(ConfigError::new(
                &self.name,
                "sorn",
                "the checkpoint holds a network with other SORN parameters; config.toml must \
                 not be edited before resuming",
            )));
        }
        sim.sorn
            .set_threads(self.threads())
            .map_err(RestoreError::Unreadable)?;
        Ok(Box::new(sim))
    }

    fn resolved_toml(&self) -> String {
        SornExperiment::resolved_toml(self)
    }

    fn output(&self) -> OutputOptions {
        let o = &self.file.output;
        OutputOptions {
            checkpoint: o.checkpoint,
            plots: o.plots,
            raster_steps: o.raster_steps,
        }
    }

    fn analysis(&self) -> AnalysisSection {
        self.file.analysis.clone()
    }

    fn readout(&self) -> Option<ReadoutPlan> {
        self.readout_spec().map(ReadoutPlan::Symbols)
    }

    fn sweep(&self) -> Option<crate::schema::SweepSection> {
        self.file.sweep.clone()
    }

    fn default_metric(&self) -> String {
        "connection_fraction_ee".into()
    }

    fn recorded_from(&self, population: &str) -> Option<u64> {
        if population != "e" && population != "i" {
            return None;
        }
        match self.record_spec().spikes {
            SpikeWindow::None => None,
            SpikeWindow::All => Some(0),
            SpikeWindow::From(first) => Some(first),
            SpikeWindow::LastSteps(k) => Some(self.steps().saturating_sub(k)),
        }
    }

    fn warnings(&self) -> Vec<String> {
        let steps = self.steps();
        self.file
            .schedule
            .iter()
            .enumerate()
            .filter(|(_, e)| e.step >= steps)
            .map(|(i, e)| {
                format!(
                    "warning: schedule[{i}].step = {} is not before the run's end ({steps} \
                     steps): it takes effect only in a longer run or a resume",
                    e.step
                )
            })
            .collect()
    }

    fn describe(&self, engine: &dyn Engine) -> String {
        let s = engine.summary();
        let n = |k: &str| s.number(k).unwrap_or(f64::NAN);
        let syn = |k: &str| {
            s.get("synapses")
                .and_then(|v| v.number(k))
                .unwrap_or(f64::NAN)
        };
        let mut out = format!(
            "SORN · preset {} · N_E = {} · N_I = {} · seed {} · {} steps\n  synapses: E→E {}, \
             I→E {}, E→I {} · network memory {:.1} MiB · recordings ≈ {:.1} MiB\n  rules at \
             start: {}\n  schedule events: {}\n",
            self.preset.name(),
            self.params.ne,
            self.params.ni,
            self.seed(),
            self.steps(),
            syn("ee"),
            syn("ei"),
            syn("ie"),
            n("network_mb"),
            self.recording_bytes(self.steps()) as f64 / 1048576.0,
            self.params
                .plasticity
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>()
                .join(", "),
            self.file.schedule.len(),
        );
        if let Some(ro) = self.readout_spec() {
            out += &describe_readout(&ro, self.steps());
        }
        out
    }

    fn summary(&self) -> Summary {
        let mut s = Summary::new();
        s.insert("kind", "sorn")
            .insert("preset", self.preset.name())
            .insert("seed", self.seed());
        s
    }

    fn clone_box(&self) -> Box<dyn crate::Experiment> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `readout: …` for `validate`: method, features, target and phases.
fn describe_readout(ro: &ReadoutSpec, steps: u64) -> String {
    use neuroplast_core::monitor::StateFeatures;
    use neuroplast_core::readout::Target;
    let first = steps - ro.train_steps - ro.test_steps;
    let method = match &ro.method {
        Method::Logistic(o) => format!("logistic regression (C = {})", o.c),
        Method::Ridge { lambda, .. } if *lambda == 0.0 => "pseudo-inverse".to_string(),
        Method::Ridge { lambda, .. } => format!("ridge (λ = {lambda})"),
    };
    let features = match ro.features {
        StateFeatures::X => "x(t)",
        StateFeatures::Internal => "the drive before input",
        StateFeatures::Both => "x(t) and the drive before input",
    };
    let target = match ro.target {
        Target::Position => "position in the word",
        Target::Symbol => "symbol",
    };
    format!(
        "  readout: {method} on {features} → {target} at t + {}; trains on steps {}–{}, tests on \
         {}–{}\n",
        ro.predict_ahead,
        first + 1,
        first + ro.train_steps,
        first + ro.train_steps + 1,
        steps
    )
}

//! What every command shares: refusals (exit status 2), Ctrl-C, output-path checks, the
//! fingerprint of a resolved configuration, the progress bar. Command modules use this one and
//! never each other.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A refusal before anything ran or was written (bad arguments, a directory in the way, an
/// edited configuration): exit status 2, like a [`neuroplast_config::ConfigError`].
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Return early with a [`Refused`] error (`format!` arguments).
macro_rules! refuse {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::session::Refused(format!($($arg)*))))
    };
}
pub(crate) use refuse;

/// What a run command ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// All steps ran.
    Finished,
    /// Ctrl-C stopped it early; results and a checkpoint were written.
    Interrupted,
}

/// Set by Ctrl-C: every run in this process stops at its next chunk and writes its results.
static STOP: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed; installs the handler on first use.
pub fn stop_requested() -> bool {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // If another handler exists already, Ctrl-C keeps its default action.
        ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst)).ok();
    });
    STOP.load(Ordering::SeqCst)
}

/// Stop every run of this process at its next chunk, as Ctrl-C does (under mpirun: SIGUSR1,
/// which the launcher passes on to every rank).
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Refuse an output path that is a file, or an existing directory that may not be replaced
/// (`replace`: `--force`, or the run continuing in place); `hint` says what to do instead.
pub fn check_out(out: &Path, replace: bool, hint: &str) -> Result<()> {
    if out.exists() && !out.is_dir() {
        refuse!(
            "{} is a file, not a results directory; {hint}",
            out.display()
        );
    }
    if out.exists() && !replace {
        refuse!(
            "{} exists; pass --force to replace it, or {hint}",
            out.display()
        );
    }
    Ok(())
}

/// Fingerprint of a resolved configuration (`config.toml` as neuroplast writes it): the parts
/// a continuation must agree on with its checkpoint. Left out: the run's length and thread
/// count (they change between run and resume), what to write and analyse afterwards
/// (`[output]`, `[analysis]`, `[readout]`, `[sweep]`) and the version note.
pub fn config_fingerprint(resolved_toml: &str) -> String {
    let mut table: toml::Table = match resolved_toml.parse() {
        Ok(t) => t,
        Err(_) => return String::new(),
    };
    for k in ["meta", "output", "analysis", "readout", "sweep"] {
        table.remove(k);
    }
    if let Some(toml::Value::Table(sim)) = table.get_mut("simulation") {
        for k in ["steps", "duration_ms", "threads"] {
            sim.remove(k);
        }
    }
    let text = toml::to_string(&table).unwrap_or_default();
    let mut h = neuroplast_core::hash::Fnv1a::default();
    for b in text.bytes() {
        h.write_u64(u64::from(b));
    }
    format!("{:016x}", h.finish())
}

/// Refuse to resume from `dir` if its `config.toml` is not the file the run wrote
/// (`config_fingerprint` in its summary.json; the file itself is hashed, not a re-resolution of
/// it, so a newer neuroplast agrees with an older one's fingerprint). A summary without a
/// fingerprint (written before neuroplast recorded one) is not checked.
pub fn check_unedited(dir: &Path) -> Result<()> {
    let Ok(config) = std::fs::read_to_string(dir.join("config.toml")) else {
        return Ok(());
    };
    let Ok(text) = std::fs::read_to_string(dir.join("summary.json")) else {
        return Ok(());
    };
    let Ok(summary) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(());
    };
    let Some(recorded) = summary["config_fingerprint"].as_str() else {
        return Ok(());
    };
    if recorded != config_fingerprint(&config) {
        refuse!(
            "{}/config.toml was edited after the run (it no longer matches config_fingerprint \
             {recorded} in summary.json); a continuation runs the checkpoint's network, so the \
             configuration must stay as it was (only [output], [analysis], [readout] and \
             [sweep] may change): undo the edit, or `neuroplast run` the edited file",
            dir.display()
        );
    }
    Ok(())
}

/// A progress bar over `steps` steps on stderr (hidden when `quiet`; indicatif draws nothing
/// when stderr is not a terminal).
pub fn progress(steps: u64, quiet: bool) -> ProgressBar {
    let pb = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr())
    };
    pb.set_style(
        ProgressStyle::with_template(
            "{bar:40} {human_pos}/{human_len} steps · {per_sec} · ETA {eta}",
        )
        .expect("valid template"),
    );
    pb
}

/// The error and its causes, `: `-separated, leaving out a cause whose text the message
/// already holds (many library errors repeat their source in their own text).
pub fn chain(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if msg.contains(&s) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&s);
    }
    msg
}

//! Analysis of recordings: pure functions over plain slices, no I/O, no state.
//!
//! | module | what |
//! |---|---|
//! | [`avalanches`] | neuronal avalanches (durations, sizes) from a per-step activity series, as in Del Papa 2017 |
//! | [`report`] | the avalanche analysis of a run as Del Papa 2017 report it (fits per window, LLR, cut-off) |
//! | [`powerlaw`] | discrete power law, exponential and truncated power law: maximum-likelihood fits, the log-likelihood ratio test, samplers |
//! | [`stats`] | a binary [`stats::Raster`] and the `sorn` package's spike statistics, with its bugs fixed |
//! | [`weights`] | lognormal / normal / exponential fits of synaptic weights |
//!
//! Everything here is deterministic and never panics on empty or degenerate input: such input
//! gives [`crate::Error::Config`] (with a key path under `analysis.`) or `None`.
//!
//! ```
//! use neuroplast_core::analysis::avalanches::{avalanches, Threshold};
//!
//! // θ = ⌊⟨a⟩/2⌋ = ⌊16/7/2⌋ = ⌊16/14⌋ = 1; runs with a > 1: [3], [4, 5] and a final [3],
//! // which is still open at the end of the series and is dropped (Del Papa's rule).
//! let av = avalanches(&[3, 0, 4, 5, 1, 0, 3], Threshold::HalfMean).unwrap();
//! assert_eq!(av.theta, 1);
//! assert_eq!(av.durations, vec![1, 2]);
//! assert_eq!(av.sizes, vec![2, 3 + 4]);
//! ```

pub mod avalanches;
pub mod powerlaw;
pub mod report;
pub mod stats;
pub mod weights;

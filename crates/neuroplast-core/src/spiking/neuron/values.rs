//! A population's state arrays at its own precision: `f64` (every model) or `f32` (models that
//! can run in single precision, chosen per population with `precision = "f32"`).
//!
//! [`NeuronModel::state`](super::NeuronModel::state) hands out `f64` arrays, which is what
//! every built-in model keeps. The network reads and writes state through
//! [`NeuronModel::values`](super::NeuronModel::values) and friends instead, which return one of
//! the two views below, so that monitors, state reads and writes, synaptic delivery and
//! neuron-value reads of synapse models work the same for a population of either precision.

pub use crate::lang::Precision;

use super::ModelSpec;

impl ModelSpec {
    /// Check that the model can keep its state in `precision`; the error names `path` (the
    /// population's `precision` key) and the models that can.
    pub fn check_precision(&self, precision: Precision, path: &str) -> crate::Result<()> {
        crate::ensure!(
            precision == Precision::F64 || self.has_f32(),
            path,
            "{} runs in f64 only; \"f32\" is available for: {}",
            self.name(),
            ModelSpec::names_with_f32()
                .iter()
                .map(|&m| if m == "equations" {
                    "equation models"
                } else {
                    m
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(())
    }
}

/// A state array, read-only, at the population's precision.
#[derive(Clone, Copy, Debug)]
pub enum StateRef<'a> {
    /// Double precision.
    F64(&'a [f64]),
    /// Single precision.
    F32(&'a [f32]),
}

impl StateRef<'_> {
    /// Number of neurons.
    pub fn len(&self) -> usize {
        match self {
            StateRef::F64(s) => s.len(),
            StateRef::F32(s) => s.len(),
        }
    }

    /// `true` for an empty array.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of neuron `i`, widened to `f64` (exact).
    #[inline]
    pub fn get(&self, i: usize) -> f64 {
        match self {
            StateRef::F64(s) => s[i],
            StateRef::F32(s) => f64::from(s[i]),
        }
    }

    /// Append every value, widened to `f64`, to `out`.
    pub fn extend_into(&self, out: &mut Vec<f64>) {
        match self {
            StateRef::F64(s) => out.extend_from_slice(s),
            StateRef::F32(s) => out.extend(s.iter().map(|&x| f64::from(x))),
        }
    }

    /// Every value, widened to `f64`.
    pub fn to_vec(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.len());
        self.extend_into(&mut out);
        out
    }
}

/// A state array, writable, at the population's precision.
#[derive(Debug)]
pub enum StateMut<'a> {
    /// Double precision.
    F64(&'a mut [f64]),
    /// Single precision.
    F32(&'a mut [f32]),
}

impl StateMut<'_> {
    /// Overwrite every value (`values.len()` = the array's length), each rounded to the
    /// array's precision.
    pub fn copy_from(&mut self, values: &[f64]) {
        match self {
            StateMut::F64(s) => s.copy_from_slice(values),
            StateMut::F32(s) => {
                assert_eq!(s.len(), values.len(), "copy_from: lengths differ");
                for (d, &v) in s.iter_mut().zip(values) {
                    *d = v as f32;
                }
            }
        }
    }

    /// Add `w` to the value of neuron `i` (an `f32` array adds `w` rounded to `f32`).
    #[inline]
    pub fn add(&mut self, i: usize, w: f64) {
        match self {
            StateMut::F64(s) => s[i] += w,
            StateMut::F32(s) => s[i] += w as f32,
        }
    }
}

//! Per-neuron parameters without slowing down the common case.
//!
//! A model's update reads a handful of constants derived from its parameters (`g_leak`,
//! decay factors, the threshold, …). When every neuron has the same parameters, these are
//! plain numbers that stay in registers: the [`lanes!`](crate::lanes) macro's `<Name>` struct.
//! When some parameter differs between neurons, the model keeps a `<Name>Lanes`: one
//! [`Lane`] per constant, a per-neuron array for the constants that differ and a short block
//! of copies for those that do not, so that the update still reads one slice per constant and
//! block (it vectorises) and streams memory only for what really varies.
//!
//! The update is written once, generic over [`LaneSet`]: `L::Block` is the uniform struct
//! itself (a copy of the numbers) or a `<Name>Block` of slices of one block of neurons, and
//! both give the constant of local neuron `k` through the same accessor methods. Both derive
//! every constant from a neuron's parameters with the same function, so equal values give the
//! same bits either way.

use serde::{Deserialize, Serialize};

use super::BLOCK;

/// One constant of a model's update across a shard: the same for every neuron (stored as a
/// block of `BLOCK` (64) copies so it reads like an array), or one value per neuron.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Lane {
    /// Every neuron has this value (`BLOCK` copies of it).
    Uniform(Vec<f64>),
    /// One value per neuron of the shard.
    PerNeuron(Vec<f64>),
}

impl Lane {
    /// The lane of `values` (one per neuron): uniform when they are all equal (bit for bit).
    pub fn of(values: Vec<f64>) -> Lane {
        match values.first() {
            Some(&v0) if values.iter().all(|v| v.to_bits() == v0.to_bits()) => {
                Lane::Uniform(vec![v0; BLOCK])
            }
            _ => Lane::PerNeuron(values),
        }
    }

    /// The values of neurons `lo..hi` (`hi − lo ≤ BLOCK` for a uniform lane).
    #[inline(always)]
    pub fn block(&self, lo: usize, hi: usize) -> &[f64] {
        match self {
            Lane::Uniform(copies) => &copies[..hi - lo],
            Lane::PerNeuron(values) => &values[lo..hi],
        }
    }

    /// The value of neuron `i`.
    #[inline]
    pub fn at(&self, i: usize) -> f64 {
        match self {
            Lane::Uniform(copies) => copies[0],
            Lane::PerNeuron(values) => values[i],
        }
    }
}

/// The constants of an update, as one value each or as lanes; see the module docs.
pub trait LaneSet {
    /// What the update reads for one block of neurons.
    type Block<'a>: Copy
    where
        Self: 'a;
    /// The constants of neurons `lo..hi` (at most `BLOCK` = 64 of them).
    fn block(&self, lo: usize, hi: usize) -> Self::Block<'_>;
}

/// Declares the constants of a model's update:
///
/// ```text
/// lanes! {
///     /// Constants of the IF_cond_exp update.
///     CondConsts, CondLanes, CondBlock, CondAccess { g_leak, v_rest, … }
/// }
/// ```
///
/// gives `CondConsts` (one `f64` per constant; `Copy`), `CondLanes` (one [`Lane`] per
/// constant, built from the per-neuron `CondConsts` with `CondLanes::of`), `CondBlock<'a>`
/// (one slice per constant) and the accessor trait `CondAccess` with one method per constant
/// taking the local index in the block, implemented by `CondConsts` (ignores the index) and
/// `CondBlock`.
#[macro_export]
macro_rules! lanes {
    ($(#[$doc:meta])* $consts:ident, $lanes:ident, $block:ident, $access:ident { $($c:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[allow(non_snake_case)] // reason: some constants carry their parameter's PyNN name
        pub(crate) struct $consts {
            $(pub(crate) $c: f64,)*
        }

        /// Per-neuron lanes of the constants (see `spiking::neuron::lanes`).
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[allow(non_snake_case)]
        pub(crate) struct $lanes {
            $(pub(crate) $c: $crate::spiking::neuron::lanes::Lane,)*
        }

        /// One block of the lanes.
        #[derive(Clone, Copy, Debug)]
        #[allow(non_snake_case)]
        pub(crate) struct $block<'a> {
            $(pub(crate) $c: &'a [f64],)*
        }

        /// The constants of local neuron `k` of a block.
        #[allow(non_snake_case)]
        pub(crate) trait $access: Copy {
            /// Whether every neuron has the same constants (then the index is ignored).
            const UNIFORM: bool;
            $(
                /// The constant of neuron `k` of the block.
                fn $c(&self, k: usize) -> f64;
            )*
        }

        impl $access for $consts {
            const UNIFORM: bool = true;
            $(
                #[inline(always)]
                fn $c(&self, _k: usize) -> f64 {
                    self.$c
                }
            )*
        }

        impl $access for $block<'_> {
            const UNIFORM: bool = false;
            $(
                #[inline(always)]
                fn $c(&self, k: usize) -> f64 {
                    self.$c[k]
                }
            )*
        }

        impl $crate::spiking::neuron::lanes::LaneSet for $consts {
            type Block<'a> = $consts;
            #[inline(always)]
            fn block(&self, _lo: usize, _hi: usize) -> $consts {
                *self
            }
        }

        impl $crate::spiking::neuron::lanes::LaneSet for $lanes {
            type Block<'a> = $block<'a>;
            #[inline(always)]
            fn block(&self, lo: usize, hi: usize) -> $block<'_> {
                $block { $($c: self.$c.block(lo, hi),)* }
            }
        }

        impl $lanes {
            /// Lanes from the constants of each neuron, in order.
            pub(crate) fn of(per_neuron: &[$consts]) -> $lanes {
                $lanes {
                    $($c: $crate::spiking::neuron::lanes::Lane::of(
                        per_neuron.iter().map(|c| c.$c).collect(),
                    ),)*
                }
            }

            /// The constants of neuron `i`.
            #[allow(dead_code)] // reason: not every model reads single neurons
            pub(crate) fn at(&self, i: usize) -> $consts {
                $consts { $($c: self.$c.at(i),)* }
            }
        }
    };
}

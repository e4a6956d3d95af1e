//! Per-neuron parameters without slowing down the common case.
//!
//! A model's update reads a handful of constants derived from its parameters (`g_leak`,
//! decay factors, the threshold, …). When every neuron has the same parameters, these are
//! plain numbers that stay in registers: the [`lanes!`](crate::lanes) macro's `<Name>` struct.
//! When some parameter differs between neurons, the model keeps a `<Name>Lanes`: every
//! constant of every neuron, stored by blocks of `BLOCK` (64) neurons
//! (`[block][constant][neuron of the block]`), so that the update reads one block's constants
//! through one pointer at fixed offsets and still vectorises.
//!
//! The update is written once, generic over [`LaneSet`]: `L::Block` is the uniform struct
//! itself (a copy of the numbers) or a `<Name>Block` (one block's slice of constants), and
//! both give the constant of local neuron `k` through the same accessor methods. Both derive
//! every constant from a neuron's parameters with the same function, so equal values give the
//! same bits either way.
//!
//! Cost (`neuroplast bench coba --per-neuron [PARAMS]`): the per-neuron update loads every
//! constant from memory (11 loads per vector of neurons for `IF_cond_exp`) where the uniform
//! one keeps them in registers, so a population with any per-neuron parameter runs its
//! update about 1.7× slower (COBA 4k as a whole: 1.4×, measured in docs/spiking.md).

/// The constants of an update, as one value each or as lanes; see the module docs.
pub trait LaneSet {
    /// What the update reads for one block of neurons.
    type Block<'a>: Copy
    where
        Self: 'a;
    /// The constants of neurons `lo..hi` (at most `BLOCK` = 64 of them).
    fn block(&self, lo: usize, hi: usize) -> Self::Block<'_>;
}

/// The position of `name` in `names` (for the [`lanes!`](crate::lanes) accessors, evaluated
/// at compile time); panics (a compile error in a constant) if it is missing.
pub const fn index_of(names: &[&str], name: &str) -> usize {
    let mut i = 0;
    while i < names.len() {
        let (a, b) = (names[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("not a constant of this lanes! list")
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
/// gives `CondConsts` (one `f64` per constant; `Copy`), `CondLanes` (every constant of every
/// neuron by blocks, built from the per-neuron `CondConsts` with `CondLanes::of`),
/// `CondBlock<'a>` (one block's constants, one slice) and the accessor trait `CondAccess` with one method per constant
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

        /// Per-neuron lanes of the constants (see `spiking::neuron::lanes`): blocks of
        /// `BLOCK` neurons, each holding its constants one after the other
        /// (`[block][constant][neuron of the block]`), so that one block's constants are one
        /// slice at one address and the update needs one pointer for all of them.
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        pub(crate) struct $lanes {
            data: Vec<f64>,
        }

        /// One block of the lanes: its constants, `BLOCK` values each.
        #[derive(Clone, Copy, Debug)]
        pub(crate) struct $block<'a> {
            data: &'a [f64],
        }

        impl $lanes {
            /// The constants' names, in storage order.
            const NAMES: &'static [&'static str] = &[$(stringify!($c)),*];
            /// Values per block: every constant for `BLOCK` neurons.
            const STRIDE: usize = Self::NAMES.len() * $crate::spiking::neuron::BLOCK;
        }

        /// The constants of local neuron `k` of a block.
        #[allow(non_snake_case)]
        pub(crate) trait $access: Copy {
            /// Whether every neuron has the same constants (then the index is ignored).
            const UNIFORM: bool;
            /// Check that the block holds `n` values of every constant. Called once before a
            /// block's loop, it lets the compiler drop the per-neuron bounds checks (and so
            /// vectorise the loop); a no-op for uniform constants.
            fn check_len(&self, n: usize);
            $(
                /// The constant of neuron `k` of the block.
                fn $c(&self, k: usize) -> f64;
            )*
        }

        impl $access for $consts {
            const UNIFORM: bool = true;
            #[inline(always)]
            fn check_len(&self, _n: usize) {}
            $(
                #[inline(always)]
                fn $c(&self, _k: usize) -> f64 {
                    self.$c
                }
            )*
        }

        impl $access for $block<'_> {
            const UNIFORM: bool = false;
            #[inline(always)]
            fn check_len(&self, n: usize) {
                assert!(n <= $crate::spiking::neuron::BLOCK);
            }
            $(
                #[inline(always)]
                fn $c(&self, k: usize) -> f64 {
                    const AT: usize = $crate::spiking::neuron::lanes::index_of($lanes::NAMES, stringify!($c))
                        * $crate::spiking::neuron::BLOCK;
                    self.data[AT + k]
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
                const STRIDE: usize = $lanes::STRIDE;
                debug_assert!(lo % $crate::spiking::neuron::BLOCK == 0 && hi - lo <= $crate::spiking::neuron::BLOCK);
                let b = lo / $crate::spiking::neuron::BLOCK;
                // a slice of constant length: the accessors' indices need no bounds checks
                let data: &[f64; STRIDE] = self.data[b * STRIDE..(b + 1) * STRIDE]
                    .try_into()
                    .expect("one block of constants");
                $block { data }
            }
        }

        impl $lanes {
            /// Lanes from the constants of each neuron, in order.
            pub(crate) fn of(per_neuron: &[$consts]) -> $lanes {
                const B: usize = $crate::spiking::neuron::BLOCK;
                let blocks = per_neuron.len().div_ceil(B);
                let mut data = vec![0.0; blocks * Self::STRIDE];
                for (i, c) in per_neuron.iter().enumerate() {
                    let base = (i / B) * Self::STRIDE + i % B;
                    $(data[base + $crate::spiking::neuron::lanes::index_of(Self::NAMES, stringify!($c)) * B] = c.$c;)*
                }
                $lanes { data }
            }

            /// The constants of neuron `i`.
            #[allow(dead_code)] // reason: not every model reads single neurons
            pub(crate) fn at(&self, i: usize) -> $consts {
                const B: usize = $crate::spiking::neuron::BLOCK;
                let base = (i / B) * Self::STRIDE + i % B;
                $consts { $($c: self.data[base + $crate::spiking::neuron::lanes::index_of(Self::NAMES, stringify!($c)) * B],)* }
            }
        }
    };
}

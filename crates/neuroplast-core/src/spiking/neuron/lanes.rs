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
//! Most heterogeneous populations differ in one parameter (a bias current, a threshold).
//! Lanes therefore know which constants differ (`mask`) and `visit` runs the update compiled
//! for that case: no differing constant → the uniform update; exactly one → that constant
//! read from one column over the whole population and the rest from registers (a
//! `Masked` set); more → the blocked lanes above.
//!
//! Cost (`neuroplast bench coba --per-neuron [PARAMS]`, `IF_cond_exp`, which visits its
//! lanes): one per-neuron parameter costs one more array read per neuron in a
//! memory-bound update (≈ 1.05–1.12× the uniform simulation); every parameter per neuron
//! reads all 11 constants (≈ 1.5×). Figures in docs/spiking.md.

/// The data of lanes as a checkpoint stores it; the mask and uniform values are derived from
/// it when read.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct LanesData {
    /// `[block][constant][neuron of the block]`.
    pub data: Vec<f64>,
}

/// One step of a model's update, handed to its lanes' `visit` (each model implements its
/// visit trait for `Step<'_, Model>`): the model, the external current, the spike list.
pub(crate) struct Step<'s, M> {
    /// The population.
    pub m: &'s mut M,
    /// External current of each neuron (empty: none).
    pub current: &'s [f64],
    /// The step's spikes are appended here.
    pub spikes: &'s mut Vec<u32>,
}

/// Lanes `T` read through the constants in the mask `M` only (see [`lanes!`](crate::lanes)).
/// It holds the lanes by value: a borrowed wrapper could not meet the update's bound for
/// every block lifetime.
pub struct Masked<T, const M: u32>(pub T);

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
///     CondConsts, CondLanes, CondBlock, CondAccess, CondVisit { g_leak, v_rest, … }
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
    ($(#[$doc:meta])* $consts:ident, $lanes:ident, $block:ident, $access:ident, $visit:ident { $($c:ident),* $(,)? }) => {
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
        ///
        /// It also knows which constants do differ between neurons (`mask`, bit `i` for the
        /// `i`-th constant) and the value of those that do not (`uniform`): [`visit`]
        /// (`$lanes::visit`) runs an update that reads only the differing ones from memory.
        /// Both are derived from the data (also when read from a checkpoint, which stores the
        /// data alone).
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(
            from = "crate::spiking::neuron::lanes::LanesData",
            into = "crate::spiking::neuron::lanes::LanesData"
        )]
        pub(crate) struct $lanes {
            data: Vec<f64>,
            mask: u32,
            uniform: $consts,
            /// When exactly one constant differs between neurons: its values, neuron by
            /// neuron (so an update can run over any range of neurons in one loop).
            column: Vec<f64>,
        }

        /// The constants of a range of neurons. `M = u32::MAX` (full lanes): every constant
        /// from one block of `BLOCK` neurons (`data`). Otherwise `M` has one bit, the one
        /// constant that differs between neurons, read from `column` (any range of neurons);
        /// the others come from `uniform`, kept in registers by the update.
        #[derive(Clone, Copy, Debug)]
        pub(crate) struct $block<'a, const M: u32 = { u32::MAX }> {
            /// Full lanes: the block's `STRIDE` values; otherwise empty.
            data: &'a [f64],
            /// One differing constant: its values for the range; otherwise empty.
            column: &'a [f64],
            /// Neurons in the range.
            n: usize,
            // a copy, not a reference: the update then keeps these values in registers (read
            // through a reference, a value used only on a spike became a gather)
            uniform: $consts,
        }

        /// An update written once, run on uniform constants or on any lanes (see
        /// [`$lanes::visit`]).
        pub(crate) trait $visit {
            /// What the update returns.
            type Out;
            /// Run the update over `set`.
            fn visit<S>(self, set: &S) -> Self::Out
            where
                S: $crate::spiking::neuron::lanes::LaneSet,
                for<'a> S::Block<'a>: $access;
        }

        impl From<$crate::spiking::neuron::lanes::LanesData> for $lanes {
            fn from(d: $crate::spiking::neuron::lanes::LanesData) -> $lanes {
                $lanes::with_data(d.data)
            }
        }

        impl From<$lanes> for $crate::spiking::neuron::lanes::LanesData {
            fn from(l: $lanes) -> $crate::spiking::neuron::lanes::LanesData {
                $crate::spiking::neuron::lanes::LanesData { data: l.data }
            }
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
            #[allow(dead_code)] // reason: updates that visit their lanes ask `BLOCKED`
            const UNIFORM: bool;
            /// Whether the update must ask for blocks of at most `BLOCK` neurons, aligned
            /// to `BLOCK` (full lanes); otherwise any range of neurons is one block.
            const BLOCKED: bool;
            /// The constants read per neuron: bit `i` for the `i`-th of the list (0 when
            /// uniform, every bit for full lanes).
            #[allow(dead_code)] // reason: only updates that visit their lanes ask
            const MASK: u32;
            /// Whether constant `name` is the same for every neuron of these constants.
            #[allow(dead_code)] // reason: only updates that visit their lanes ask
            fn same_for_all(name: &str) -> bool {
                Self::MASK & 1u32
                    .checked_shl($crate::spiking::neuron::lanes::index_of($lanes::NAMES, name) as u32)
                    .unwrap_or(u32::MAX)
                    == 0
            }
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
            const MASK: u32 = 0;
            const BLOCKED: bool = false;
            #[inline(always)]
            fn check_len(&self, _n: usize) {}
            $(
                #[inline(always)]
                fn $c(&self, _k: usize) -> f64 {
                    self.$c
                }
            )*
        }

        impl<const M: u32> $access for $block<'_, M> {
            const UNIFORM: bool = false;
            const MASK: u32 = M;
            const BLOCKED: bool = M == u32::MAX;
            #[inline(always)]
            fn check_len(&self, n: usize) {
                assert!(n == self.n && (!Self::BLOCKED || n <= $crate::spiking::neuron::BLOCK));
            }
            $(
                #[inline(always)]
                fn $c(&self, k: usize) -> f64 {
                    const I: usize = $crate::spiking::neuron::lanes::index_of($lanes::NAMES, stringify!($c));
                    const AT: usize = I * $crate::spiking::neuron::BLOCK;
                    if M == u32::MAX {
                        // the block's lane of this constant, as long as the block: the
                        // update's `k < n` bounds it (a check the compiler drops; indexing
                        // the whole block instead forced a scalar epilogue on every block)
                        self.data[AT..AT + self.n][k]
                    } else if M & (1 << I) != 0 {
                        self.column[..self.n][k]
                    } else {
                        self.uniform.$c
                    }
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
                let data = &self.data[b * STRIDE..(b + 1) * STRIDE];
                $block { data, column: &[], n: hi - lo, uniform: self.uniform }
            }
        }

        impl<const M: u32> $crate::spiking::neuron::lanes::LaneSet
            for $crate::spiking::neuron::lanes::Masked<$lanes, M>
        {
            type Block<'a> = $block<'a, M> where Self: 'a;
            #[inline(always)]
            fn block(&self, lo: usize, hi: usize) -> $block<'_, M> {
                $block { data: &[], column: &self.0.column[lo..hi], n: hi - lo, uniform: self.0.uniform }
            }
        }

        impl $lanes {
            /// Lanes from the constants of each neuron, in order.
            pub(crate) fn of(per_neuron: &[$consts]) -> $lanes {
                const B: usize = $crate::spiking::neuron::BLOCK;
                let blocks = per_neuron.len().div_ceil(B);
                let mut data = vec![0.0; blocks * Self::STRIDE];
                // the last block's unused places repeat the last neuron (never read by an
                // update; they keep a constant that is the same for every neuron uniform)
                let last = per_neuron.last().copied();
                let padding = (per_neuron.len()..blocks * B).filter_map(|_| last);
                for (i, c) in per_neuron.iter().copied().chain(padding).enumerate() {
                    let base = (i / B) * Self::STRIDE + i % B;
                    $(data[base + $crate::spiking::neuron::lanes::index_of(Self::NAMES, stringify!($c)) * B] = c.$c;)*
                }
                $lanes::with_data(data)
            }

            /// Lanes over `data` (laid out as [`of`](Self::of) writes it), with the mask of
            /// the constants that differ between its values and the value of the others.
            fn with_data(data: Vec<f64>) -> $lanes {
                const B: usize = $crate::spiking::neuron::BLOCK;
                let mut mask = 0u32;
                let mut first = [0.0f64; Self::NAMES.len()];
                for (j, f) in first.iter_mut().enumerate() {
                    *f = data.get(j * B).copied().unwrap_or(0.0);
                    let varies = data
                        .chunks(Self::STRIDE)
                        .flat_map(|b| b.get(j * B..(j + 1) * B).unwrap_or(&[]))
                        .any(|x| x.to_bits() != f.to_bits());
                    if varies {
                        mask |= 1u32.checked_shl(j as u32).unwrap_or(0);
                    }
                }
                if Self::NAMES.len() > 32 {
                    mask = u32::MAX; // more constants than bits: every one from memory
                }
                let uniform = $consts {
                    $($c: first[$crate::spiking::neuron::lanes::index_of(Self::NAMES, stringify!($c))],)*
                };
                let column = if mask.count_ones() == 1 {
                    let j = mask.trailing_zeros() as usize;
                    data.chunks(Self::STRIDE).flat_map(|b| b[j * B..(j + 1) * B].iter().copied()).collect()
                } else {
                    Vec::new()
                };
                $lanes { data, mask, uniform, column }
            }

            /// Runs `v` over these lanes, reading from memory only the constants that differ
            /// between neurons: the update is compiled once for no differing constant (then it
            /// is the uniform update), once for each single one, and once for any other set.
            /// All give the same bits; they differ only in what they load. The lanes are
            /// handed back with the update's result.
            #[allow(dead_code)] // reason: not every model's update visits its lanes yet
            pub(crate) fn visit<V: $visit>(self, v: V) -> ($lanes, V::Out) {
                use $crate::spiking::neuron::lanes::{index_of, Masked};
                match self.mask {
                    0 => {
                        let out = v.visit(&self.uniform);
                        (self, out)
                    }
                    $(
                        m if m == const { 1 << index_of($lanes::NAMES, stringify!($c)) } => {
                            let masked = Masked::<Self, { 1 << index_of($lanes::NAMES, stringify!($c)) }>(self);
                            let out = v.visit(&masked);
                            (masked.0, out)
                        }
                    )*
                    _ => {
                        let out = v.visit(&self);
                        (self, out)
                    }
                }
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

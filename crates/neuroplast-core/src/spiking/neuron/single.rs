//! The `f32` state of a built-in neuron model (every one of them has it) built with
//! `precision = "f32"`: its named arrays and, for a model with one, the refractory counter. A
//! model keeps its `f64` arrays empty while it holds one of these, and runs its update, generic
//! over the precision, on whichever it has.

use serde::{Deserialize, Serialize};

/// The state arrays (in the order of the model's `state_names`) and the refractory counter
/// (empty for a model without one), in `f32`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Single {
    pub(crate) arrays: Vec<Vec<f32>>,
    pub(crate) refrac: Vec<f32>,
}

impl Single {
    /// The `f64` arrays rounded to `f32`; the `f64` vectors are left empty.
    pub(crate) fn take<const N: usize>(
        arrays: [&mut Vec<f64>; N],
        refrac: &mut Vec<f64>,
    ) -> Box<Single> {
        let round = |x: &mut Vec<f64>| -> Vec<f32> {
            std::mem::take(x).into_iter().map(|v| v as f32).collect()
        };
        Box::new(Single {
            arrays: arrays.into_iter().map(round).collect(),
            refrac: round(refrac),
        })
    }

    /// Number of neurons.
    pub(crate) fn len(&self) -> usize {
        self.arrays.first().map_or(0, Vec::len)
    }

    /// Array `name` of `names` (the model's state names).
    pub(crate) fn get(&self, names: &[&str], name: &str) -> Option<&[f32]> {
        let k = names.iter().position(|&n| n == name)?;
        self.arrays.get(k).map(Vec::as_slice)
    }

    /// Array `name` of `names`, mutable.
    pub(crate) fn get_mut(&mut self, names: &[&str], name: &str) -> Option<&mut [f32]> {
        let k = names.iter().position(|&n| n == name)?;
        self.arrays.get_mut(k).map(Vec::as_mut_slice)
    }
}

/// The arrays one step of a LIF update runs over: `v`, the two synaptic variables
/// (conductances or currents) and the refractory counter, of precision `F`.
pub(crate) struct Arrays<'a, F> {
    pub(crate) v: &'a mut [F],
    pub(crate) syn: [&'a mut [F]; 2],
    pub(crate) refrac: &'a mut [F],
}

/// [`Arrays`] of the precision a model holds.
pub(crate) enum Either<'a> {
    F64(Arrays<'a, f64>),
    F32(Arrays<'a, f32>),
}

/// The arrays of a model that holds `f64` arrays `[v, syn_a, syn_b]` and `refrac`, or
/// `single` when its state is `f32`.
pub(crate) fn arrays<'a>(
    single: Option<&'a mut Single>,
    [v, a, b]: [&'a mut Vec<f64>; 3],
    refrac: &'a mut Vec<f64>,
) -> Either<'a> {
    match single {
        None => Either::F64(Arrays {
            v,
            syn: [a, b],
            refrac,
        }),
        Some(s) => match s.arrays.as_mut_slice() {
            [v, a, b] => Either::F32(Arrays {
                v,
                syn: [a, b],
                refrac: &mut s.refrac,
            }),
            _ => unreachable!("a LIF model's f32 state has three arrays"),
        },
    }
}

/// The [`NeuronModel`](super::NeuronModel) methods that read and write the state at its
/// precision, for a model with a field `single: Option<Box<Single>>` whose `state`,
/// `state_mut` and `receptor_state` return `None` while it is set, and state names `$names`.
/// Receptor `r` is array `r + 1`; with `instant_receptors`, the model's receptors are the
/// network's `f64` input buffer (no state array). Used inside the model's `impl NeuronModel`.
macro_rules! f32_state_access {
    ($names:expr, instant_receptors) => {
        $crate::spiking::neuron::single::f32_state_access!(@values $names);

        fn receptor_values(&mut self, _r: usize) -> Option<$crate::spiking::neuron::StateMut<'_>> {
            None
        }
    };
    ($names:expr) => {
        $crate::spiking::neuron::single::f32_state_access!(@values $names);

        fn receptor_values(&mut self, r: usize) -> Option<$crate::spiking::neuron::StateMut<'_>> {
            use $crate::spiking::neuron::StateMut;
            if self.single.is_none() {
                return self.receptor_state(r).map(StateMut::F64);
            }
            let s = self.single.as_deref_mut()?;
            s.arrays[1..].get_mut(r).map(|x| StateMut::F32(x))
        }
    };
    (@values $names:expr) => {
        fn precision(&self) -> $crate::spiking::neuron::Precision {
            match self.single {
                None => $crate::spiking::neuron::Precision::F64,
                Some(_) => $crate::spiking::neuron::Precision::F32,
            }
        }

        fn values(&self, name: &str) -> Option<$crate::spiking::neuron::StateRef<'_>> {
            use $crate::spiking::neuron::StateRef;
            match self.single.as_deref() {
                None => self.state(name).map(StateRef::F64),
                Some(s) => s.get($names, name).map(StateRef::F32),
            }
        }

        fn values_mut(&mut self, name: &str) -> Option<$crate::spiking::neuron::StateMut<'_>> {
            use $crate::spiking::neuron::StateMut;
            if self.single.is_none() {
                return self.state_mut(name).map(StateMut::F64);
            }
            let s = self.single.as_deref_mut()?;
            s.get_mut($names, name).map(StateMut::F32)
        }
    };
}
pub(crate) use f32_state_access;

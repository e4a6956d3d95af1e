//! The two precisions the executors run in: one generic body, `f64` or `f32` per population.
//!
//! Every operation the interpreter performs on a value goes through [`Float`], so the `f32`
//! executor is the `f64` one with other types (no second copy of the code). Build-time
//! constants are computed in `f64` and rounded once to the executor's precision.

use std::fmt::Debug;

/// A floating-point type an executor can run in (`f64` or `f32`).
pub trait Float:
    Copy
    + Debug
    + Default
    + PartialEq
    + PartialOrd
    + Send
    + Sync
    + 'static
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Rem<Output = Self>
    + std::ops::Neg<Output = Self>
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// The name used in messages and checkpoints (`"f64"`, `"f32"`).
    const NAME: &'static str;
    /// Rounds an `f64` to this type.
    fn from_f64(x: f64) -> Self;
    /// Widens to `f64` (exact).
    fn to_f64(self) -> f64;
    /// The slice itself when this type is `f64` (no copy needed), else `None`.
    fn native(s: &[f64]) -> Option<&[Self]>;
    /// `e^x`.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Base-10 logarithm.
    fn log10(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// `self^y`.
    fn powf(self, y: Self) -> Self;
    /// `self^k` for a small whole `k`, by repeated multiplication (what `x**2` lowers to).
    fn powi(self, k: i32) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Tangent.
    fn tan(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Hyperbolic sine.
    fn sinh(self) -> Self;
    /// Hyperbolic cosine.
    fn cosh(self) -> Self;
    /// Arc sine.
    fn asin(self) -> Self;
    /// Arc cosine.
    fn acos(self) -> Self;
    /// Arc tangent.
    fn atan(self) -> Self;
    /// The larger of `self` and `other` (IEEE `maxNum`: a NaN loses).
    fn max(self, other: Self) -> Self;
    /// Largest whole number ≤ self.
    fn floor(self) -> Self;
    /// Smallest whole number ≥ self.
    fn ceil(self) -> Self;
    /// Whole part (towards zero).
    fn trunc(self) -> Self;
    /// `e^x − 1`, accurate near 0.
    fn exp_m1(self) -> Self;
    /// `if c { a } else { b }` as a bitwise blend. Written this way so that a loop storing
    /// `c ? a : d[k]` back into `d[k]` keeps an unconditional store (LLVM otherwise turns it
    /// into a masked store, which is very slow on AMD processors). Same value as the branch.
    fn blend(c: bool, a: Self, b: Self) -> Self;
}

macro_rules! impl_float {
    ($t:ty, $bits:ty, $name:literal, |$s:ident| $native:expr) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NAME: &'static str = $name;
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn native($s: &[f64]) -> Option<&[Self]> {
                $native
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn log10(self) -> Self {
                <$t>::log10(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn powf(self, y: Self) -> Self {
                <$t>::powf(self, y)
            }
            #[inline(always)]
            fn powi(self, k: i32) -> Self {
                // repeated multiplication, left to right: x*x, x*x*x, … (what a hand-written
                // kernel writes for x² and x³; the same bits on every platform)
                match k {
                    0 => 1.0,
                    1 => self,
                    2 => self * self,
                    3 => self * self * self,
                    4 => {
                        let s = self * self;
                        s * s
                    }
                    -1 => 1.0 / self,
                    -2 => 1.0 / (self * self),
                    _ => <$t>::powi(self, k),
                }
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn sin(self) -> Self {
                <$t>::sin(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                <$t>::cos(self)
            }
            #[inline(always)]
            fn tan(self) -> Self {
                <$t>::tan(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn sinh(self) -> Self {
                <$t>::sinh(self)
            }
            #[inline(always)]
            fn cosh(self) -> Self {
                <$t>::cosh(self)
            }
            #[inline(always)]
            fn asin(self) -> Self {
                <$t>::asin(self)
            }
            #[inline(always)]
            fn acos(self) -> Self {
                <$t>::acos(self)
            }
            #[inline(always)]
            fn atan(self) -> Self {
                <$t>::atan(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline(always)]
            fn floor(self) -> Self {
                <$t>::floor(self)
            }
            #[inline(always)]
            fn ceil(self) -> Self {
                <$t>::ceil(self)
            }
            #[inline(always)]
            fn trunc(self) -> Self {
                <$t>::trunc(self)
            }
            #[inline(always)]
            fn exp_m1(self) -> Self {
                <$t>::exp_m1(self)
            }
            #[inline(always)]
            fn blend(c: bool, a: Self, b: Self) -> Self {
                let m = (c as $bits).wrapping_neg();
                <$t>::from_bits((a.to_bits() & m) | (b.to_bits() & !m))
            }
        }
    };
}

impl_float!(f64, u64, "f64", |s| Some(s));
impl_float!(f32, u32, "f32", |_s| None);

/// The precision of an executor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// 64-bit floating point (the default; what the built-in models use).
    #[default]
    F64,
    /// 32-bit floating point: half the memory traffic, twice the values per vector instruction.
    F32,
}

/// An array of values at either precision, read-only: a population's state variable
/// (`NeuronModel::values`), or the neuron values a synapse program reads.
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

    /// Copy every value, widened to `f64`, into `out` (of the same length).
    pub fn copy_to(&self, out: &mut [f64]) {
        match self {
            StateRef::F64(s) => out.copy_from_slice(s),
            StateRef::F32(s) => {
                assert_eq!(s.len(), out.len(), "copy_to: lengths differ");
                for (d, &v) in out.iter_mut().zip(*s) {
                    *d = f64::from(v);
                }
            }
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

/// An array of values at either precision, writable: a population's state variable or the
/// variable synaptic input is added to (`NeuronModel::receptor_values`,
/// [`NeuronExec::target_mut`](crate::lang::NeuronExec::target_mut)).
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

    /// Add `w` to the value of neuron `i` (an `f32` array adds `w` rounded to `f32`; ignored
    /// when `i` is out of range).
    #[inline]
    pub fn add(&mut self, i: usize, w: f64) {
        match self {
            StateMut::F64(s) => {
                if let Some(x) = s.get_mut(i) {
                    *x += w;
                }
            }
            StateMut::F32(s) => {
                if let Some(x) = s.get_mut(i) {
                    *x += w as f32;
                }
            }
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powi_small_exponents_are_products() {
        let x = 1.1f64;
        assert_eq!(Float::powi(x, 2), x * x);
        assert_eq!(Float::powi(x, 3), x * x * x);
        assert_eq!(Float::powi(x, 0), 1.0);
        assert_eq!(Float::powi(2.0f32, -1), 0.5);
        assert!(f64::native(&[1.0]).is_some());
        assert!(f32::native(&[1.0]).is_none());
    }
}

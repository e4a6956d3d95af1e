//! The integration of both Hodgkin–Huxley models, generic over the precision of the state
//! (`f64`, or `f32` for a population built with `precision = "f32"`): the gating rates, the
//! time derivatives and one step over a shard's arrays (equations and schemes in the module
//! docs of `hh`). The constants (parameters, `dt`, the conductance decays) are `f64`, rounded to
//! `F` where they are used; in `f64` every operation is the one of the models' equations, in
//! the same order.

use super::{HhAccess, TraubAccess};
use crate::lang::Float;
use crate::spiking::neuron::lanes::LaneSet;
use crate::spiking::neuron::BLOCK;

/// `x / (1 − e^{−x/s})`, continuous at `x = 0` (where it is `s`).
#[inline]
fn x_over_one_minus_exp<F: Float>(x: F, s: F) -> F {
    if (x / s).abs() < F::from_f64(1e-9) {
        s + F::from_f64(0.5) * x
    } else {
        x / (F::ONE - (-x / s).exp())
    }
}

/// Classic HH rates `(α_m, β_m, α_h, β_h, α_n, β_n)` in 1/ms at `v` mV (Neurapse's formulas).
#[inline]
pub(super) fn hh_rates<F: Float>(v: F) -> [F; 6] {
    let f = F::from_f64;
    let am = f(0.1) * x_over_one_minus_exp(v + f(40.0), f(10.0));
    let bm = f(4.0) * (f(-0.0556) * (v + f(65.0))).exp();
    let ah = f(0.07) * (f(-0.05) * (v + f(65.0))).exp();
    let bh = F::ONE / (F::ONE + (f(-0.1) * (v + f(35.0))).exp());
    let an = f(0.01) * x_over_one_minus_exp(v + f(55.0), f(10.0));
    let bn = f(0.125) * (-(v + f(65.0)) / f(80.0)).exp();
    [am, bm, ah, bh, an, bn]
}

/// Time derivatives of `(V, m, h, n)` of neuron `k` of a block for input density `i`, the
/// gating rates scaled by `s`.
#[inline]
fn hh_deriv<A: HhAccess, F: Float>(c: &A, k: usize, s: F, y: [F; 4], i: F) -> [F; 4] {
    let (f, one) = (F::from_f64, F::ONE);
    let [v, m, h, n] = y;
    let i_na = f(c.g_na(k)) * (m * m * m) * h * (v - f(c.e_na(k)));
    let n2 = n * n;
    let i_k = f(c.g_k(k)) * (n2 * n2) * (v - f(c.e_k(k)));
    let i_l = f(c.g_l(k)) * (v - f(c.e_l(k)));
    let [am, bm, ah, bh, an, bn] = hh_rates(v);
    [
        (i - i_na - i_k - i_l) / f(c.cm(k)),
        s * (am * (one - m) - bm * m),
        s * (ah * (one - h) - bh * h),
        s * (an * (one - n) - bn * n),
    ]
}

/// The arrays one step of `HH_squid` runs over: the state, of precision `F`, and the spike
/// flags.
pub(super) struct SquidArrays<'a, F> {
    pub(super) v: &'a mut [F],
    pub(super) m: &'a mut [F],
    pub(super) h: &'a mut [F],
    pub(super) n: &'a mut [F],
    pub(super) fired: &'a mut [bool],
}

/// One step of `HH_squid` (Euler, or RK4 with `rk4`; the gating rates scaled by
/// `rate_scale`); uniform constants run as one block of the whole shard, per-neuron lanes in
/// blocks of [`BLOCK`]. The inputs are rounded to `F` as they are added.
pub(super) fn squid_step<L, F: Float>(
    s: SquidArrays<'_, F>,
    lanes: &L,
    syn: &mut [f64],
    current: &[f64],
    dt: f64,
    rate_scale: f64,
    rk4: bool,
) where
    L: LaneSet,
    for<'a> L::Block<'a>: HhAccess,
{
    let f = F::from_f64;
    let (dt, sc) = (f(dt), f(rate_scale));
    let (half, two, six) = (f(0.5), f(2.0), f(6.0));
    let SquidArrays { v, m, h, n, fired } = s;
    let len = v.len();
    let mut base = 0;
    while base < len {
        let end = if <L::Block<'_> as HhAccess>::UNIFORM {
            len
        } else {
            (base + BLOCK).min(len)
        };
        let c = lanes.block(base, end);
        c.check_len(end - base);
        for k in 0..end - base {
            let i = base + k;
            let ext = if current.is_empty() { 0.0 } else { current[i] };
            let input = f(c.i_offset(k)) + f(c.na_to_density(k)) * (f(syn[i]) + f(ext));
            syn[i] = 0.0;
            let y = [v[i], m[i], h[i], n[i]];
            let k1 = hh_deriv(&c, k, sc, y, input);
            let y1: [F; 4] = if rk4 {
                let y2 = std::array::from_fn(|j| y[j] + half * dt * k1[j]);
                let k2 = hh_deriv(&c, k, sc, y2, input);
                let y3 = std::array::from_fn(|j| y[j] + half * dt * k2[j]);
                let k3 = hh_deriv(&c, k, sc, y3, input);
                let y4 = std::array::from_fn(|j| y[j] + dt * k3[j]);
                let k4 = hh_deriv(&c, k, sc, y4, input);
                std::array::from_fn(|j| {
                    y[j] + dt / six * (k1[j] + two * k2[j] + two * k3[j] + k4[j])
                })
            } else {
                std::array::from_fn(|j| y[j] + dt * k1[j])
            };
            let th = f(c.v_spike(k));
            fired[i] = y[0] < th && y1[0] >= th;
            [v[i], m[i], h[i], n[i]] = y1;
        }
        base = end;
    }
}

/// Traub–Miles rates `(α_m, β_m, α_h, β_h, α_n, β_n)` in 1/ms at `u = V − v_offset`.
#[inline]
fn traub_rates<F: Float>(u: F) -> [F; 6] {
    let f = F::from_f64;
    // a (c − u) / (e^{(c−u)/s} − 1) = a · (u − c) / (1 − e^{−(u−c)/s})
    let am = f(0.32) * x_over_one_minus_exp(u - f(13.0), f(4.0));
    let bm = f(0.28) * x_over_one_minus_exp(-(u - f(40.0)), f(5.0));
    let ah = f(0.128) * ((f(17.0) - u) / f(18.0)).exp();
    let bh = f(4.0) / (F::ONE + ((f(40.0) - u) / f(5.0)).exp());
    let an = f(0.032) * x_over_one_minus_exp(u - f(15.0), f(5.0));
    let bn = f(0.5) * ((f(10.0) - u) / f(40.0)).exp();
    [am, bm, ah, bh, an, bn]
}

/// Steady-state gates `(m, h, n)` of the Traub model at `v` mV.
pub(super) fn traub_rest(v: f64, v_offset: f64) -> (f64, f64, f64) {
    let [am, bm, ah, bh, an, bn] = traub_rates(v - v_offset);
    (am / (am + bm), ah / (ah + bh), an / (an + bn))
}

/// Time derivatives of `(V, m, h, n)` of neuron `k` of a block with conductances `ge`, `gi`
/// and input `i` nA.
#[inline]
fn traub_deriv<A: TraubAccess, F: Float>(c: &A, k: usize, y: [F; 4], ge: F, gi: F, i: F) -> [F; 4] {
    let (f, one) = (F::from_f64, F::ONE);
    let [v, m, h, n] = y;
    let n2 = n * n;
    let i_ion = f(c.gbar_Na(k)) * (m * m * m) * h * (v - f(c.e_rev_Na(k)))
        + f(c.gbar_K(k)) * (n2 * n2) * (v - f(c.e_rev_K(k)))
        + f(c.g_leak(k)) * (v - f(c.e_rev_leak(k)))
        + ge * (v - f(c.e_rev_E(k)))
        + gi * (v - f(c.e_rev_I(k)));
    let [am, bm, ah, bh, an, bn] = traub_rates(v - f(c.v_offset(k)));
    [
        (i - i_ion) / f(c.cm(k)),
        am * (one - m) - bm * m,
        ah * (one - h) - bh * h,
        an * (one - n) - bn * n,
    ]
}

/// The arrays one step of `HH_cond_exp` runs over: the state, of precision `F`, and the
/// spike flags.
pub(super) struct CondExpArrays<'a, F> {
    pub(super) v: &'a mut [F],
    pub(super) m: &'a mut [F],
    pub(super) h: &'a mut [F],
    pub(super) n: &'a mut [F],
    pub(super) g_exc: &'a mut [F],
    pub(super) g_inh: &'a mut [F],
    pub(super) fired: &'a mut [bool],
}

/// One RK4 step of `HH_cond_exp`; uniform constants run as one block of the whole shard,
/// per-neuron lanes in blocks of [`BLOCK`]. The delivered conductances and the input are
/// rounded to `F` as they are added.
pub(super) fn cond_exp_step<L, F: Float>(
    s: CondExpArrays<'_, F>,
    lanes: &L,
    syn: &mut [f64],
    current: &[f64],
    dt: f64,
) where
    L: LaneSet,
    for<'a> L::Block<'a>: TraubAccess,
{
    let f = F::from_f64;
    let dt = f(dt);
    let (half, two, six) = (f(0.5), f(2.0), f(6.0));
    let CondExpArrays {
        v,
        m,
        h,
        n,
        g_exc,
        g_inh,
        fired,
    } = s;
    let len = v.len();
    let mut base = 0;
    while base < len {
        let end = if <L::Block<'_> as TraubAccess>::UNIFORM {
            len
        } else {
            (base + BLOCK).min(len)
        };
        let c = lanes.block(base, end);
        c.check_len(end - base);
        for k in 0..end - base {
            let i = base + k;
            let (he, fe) = (f(c.half_e(k)), f(c.full_e(k)));
            let (hi, fi) = (f(c.half_i(k)), f(c.full_i(k)));
            let ge = g_exc[i] + f(syn[2 * i]);
            let gi = g_inh[i] + f(syn[2 * i + 1]);
            syn[2 * i] = 0.0;
            syn[2 * i + 1] = 0.0;
            let ext = if current.is_empty() { 0.0 } else { current[i] };
            let input = f(c.i_offset(k)) + f(ext);
            let y = [v[i], m[i], h[i], n[i]];
            let k1 = traub_deriv(&c, k, y, ge, gi, input);
            let y2 = std::array::from_fn(|j| y[j] + half * dt * k1[j]);
            let k2 = traub_deriv(&c, k, y2, ge * he, gi * hi, input);
            let y3 = std::array::from_fn(|j| y[j] + half * dt * k2[j]);
            let k3 = traub_deriv(&c, k, y3, ge * he, gi * hi, input);
            let y4 = std::array::from_fn(|j| y[j] + dt * k3[j]);
            let k4 = traub_deriv(&c, k, y4, ge * fe, gi * fi, input);
            let y1: [F; 4] = std::array::from_fn(|j| {
                y[j] + dt / six * (k1[j] + two * k2[j] + two * k3[j] + k4[j])
            });
            let th = f(c.v_spike(k));
            fired[i] = y[0] < th && y1[0] >= th;
            [v[i], m[i], h[i], n[i]] = y1;
            g_exc[i] = ge * fe;
            g_inh[i] = gi * fi;
        }
        base = end;
    }
}

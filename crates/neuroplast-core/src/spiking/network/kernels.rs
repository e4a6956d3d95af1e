//! Double-exponential kernel synapses (Neurapse's constant synapse): per population, one
//! channel per distinct pair of time constants, each a slow and a fast trace per neuron whose
//! difference is the current; truncated kernels cancel themselves through a ring.

use serde::{Deserialize, Serialize};

use super::Population;
use crate::spiking::projection::Delivery;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct KernelParams {
    pub(crate) decay_slow: f64,
    pub(crate) decay_fast: f64,
    /// Length of the cancellation ring of truncated kernels (0: no projection truncates).
    #[serde(default)]
    pub(crate) ring: usize,
    /// `decay_slow^k`, `decay_fast^k` for `k < ring` (by repeated multiplication, as the
    /// traces decay).
    #[serde(default)]
    pub(crate) pow_slow: Vec<f64>,
    #[serde(default)]
    pub(crate) pow_fast: Vec<f64>,
}

/// The two traces of a kernel channel (current = slow − fast). A truncated kernel is the
/// untruncated one minus the same kernel started `len` steps later: on delivery the weight is
/// added to the traces and its decayed value `w·decay^len` is booked in the cancellation ring
/// for step `t + len`, where it is subtracted before that step's current.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Kernel {
    pub(crate) slow: Vec<f64>,
    pub(crate) fast: Vec<f64>,
    /// Cancellations, `ring` slots of one value per neuron (slot-major).
    #[serde(default)]
    pub(crate) cut_slow: Vec<f64>,
    #[serde(default)]
    pub(crate) cut_fast: Vec<f64>,
}

impl Kernel {
    /// Add this channel's current of step `t` to `current` (after the cancellations of
    /// truncated kernels due at `t`), then decay the traces by one step.
    pub(crate) fn add_current(&mut self, kp: &KernelParams, t: u64, current: &mut [f64]) {
        if kp.ring > 0 {
            let m = self.slow.len();
            let slot = (t % kp.ring as u64) as usize * m;
            let cut_slow = &mut self.cut_slow[slot..slot + m];
            let cut_fast = &mut self.cut_fast[slot..slot + m];
            for ((s, f), (cs, cf)) in self
                .slow
                .iter_mut()
                .zip(&mut self.fast)
                .zip(cut_slow.iter_mut().zip(cut_fast.iter_mut()))
            {
                *s -= *cs;
                *f -= *cf;
                *cs = 0.0;
                *cf = 0.0;
            }
        }
        for ((c, s), f) in current.iter_mut().zip(&mut self.slow).zip(&mut self.fast) {
            *c += *s - *f;
            *s *= kp.decay_slow;
            *f *= kp.decay_fast;
        }
    }

    pub(crate) fn add(&mut self, kp: &KernelParams, l: usize, w: f64, t: u64, len: Option<u32>) {
        match len {
            None => {}
            Some(0) => return,
            Some(len) => {
                let len = len as usize;
                let m = self.slow.len();
                let slot = ((t + len as u64) % kp.ring as u64) as usize * m + l;
                self.cut_slow[slot] += w * kp.pow_slow[len];
                self.cut_fast[slot] += w * kp.pow_fast[len];
            }
        }
        self.slow[l] += w;
        self.fast[l] += w;
    }
}

/// How long a kernel delivery through `delivery` lasts for a synapse of delay `d` steps.
#[inline]
pub(crate) fn kernel_len(delivery: Delivery, d: u32) -> Option<u32> {
    match delivery {
        Delivery::KernelCut {
            steps,
            from_emission,
            ..
        } => Some(if from_emission {
            steps.saturating_sub(d)
        } else {
            steps
        }),
        _ => None,
    }
}

/// The kernel channel of `pop` with these decays, created if new.
pub(super) fn kernel_channel(pop: &mut Population, decay_slow: f64, decay_fast: f64) -> usize {
    if let Some(c) = pop
        .kernels
        .iter()
        .position(|x| x.decay_slow == decay_slow && x.decay_fast == decay_fast)
    {
        return c;
    }
    pop.kernels.push(KernelParams {
        decay_slow,
        decay_fast,
        ring: 0,
        pow_slow: Vec::new(),
        pow_fast: Vec::new(),
    });
    for s in &mut pop.shards {
        let m = (s.hi - s.lo) as usize;
        s.kernels.push(Kernel {
            slow: vec![0.0; m],
            fast: vec![0.0; m],
            cut_slow: Vec::new(),
            cut_fast: Vec::new(),
        });
    }
    pop.kernels.len() - 1
}

/// The cancellation rings of truncated kernels, now that their lengths are known.
pub(super) fn finish_kernel_rings(pops: &mut [Population]) {
    for pop in pops {
        for (c, kp) in pop.kernels.iter_mut().enumerate() {
            if kp.ring == 0 {
                continue;
            }
            let (mut a, mut b) = (1.0, 1.0);
            for _ in 0..kp.ring {
                kp.pow_slow.push(a);
                kp.pow_fast.push(b);
                a *= kp.decay_slow;
                b *= kp.decay_fast;
            }
            for s in &mut pop.shards {
                let m = (s.hi - s.lo) as usize;
                s.kernels[c].cut_slow = vec![0.0; kp.ring * m];
                s.kernels[c].cut_fast = vec![0.0; kp.ring * m];
            }
        }
    }
}

//! Projections: sparse synapses stored by presynaptic neuron (CSR), grouped by delay, and the
//! ring of past spikes that delivers them.
//!
//! Synapses of one presynaptic neuron are stored contiguously, grouped by delay (ascending)
//! and, within a delay, sorted by postsynaptic index. With `D` distinct delays the group of
//! presynaptic neuron `i` and delay index `k` is `seg[i·D + k] .. seg[i·D + k + 1]`. At step
//! `t`, for each delay `d`, the neurons that spiked at step `t − d` (read from the spike ring
//! of the presynaptic population) deliver their group for `d`: one contiguous run of
//! `(post, weight)` per spike, which is what makes delivery fast (spnet's layout; Auryn's
//! `SpikeDelay`). A single delay is the common case and costs nothing extra.
//!
//! Delivery into a range of postsynaptic neurons (a shard) finds the sub-run by binary search,
//! so shards can be updated in parallel and every neuron still receives its inputs in the same
//! order as in a serial run: bit-identical results at any thread count.

use serde::{Deserialize, Serialize};

/// Where a projection's spikes go in the postsynaptic population.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// Add the weight to receptor `r` of the model (`syn[i·R + r]`).
    Receptor(u8),
    /// Add the weight to two receptors (ANNarchy's `['ampa', 'nmda']` targets).
    Receptors2(u8, u8),
    /// Add the weight to double-exponential kernel channel `c` of the population.
    Kernel(u16),
    /// A double-exponential kernel cut off after `steps` steps (counted from the arrival, or
    /// from the emission when `from_emission`, so that a delay `d` leaves `steps − d`).
    KernelCut {
        /// Kernel channel of the population.
        channel: u16,
        /// Length of the kernel in steps.
        steps: u32,
        /// Count the length from the presynaptic spike instead of its arrival.
        from_emission: bool,
    },
    /// Add the weight to the membrane potential `v` (mV).
    VoltageJump,
}

/// A spike history: the spikes of the last `len` steps of one population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpikeRing {
    slots: Vec<Vec<u32>>,
}

impl SpikeRing {
    /// A ring that remembers `len ≥ 1` steps, each with room for `capacity` spikes.
    pub fn new(len: usize, capacity: usize) -> SpikeRing {
        SpikeRing {
            slots: (0..len.max(1))
                .map(|_| Vec::with_capacity(capacity))
                .collect(),
        }
    }

    /// Number of steps remembered.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Always false (a ring remembers at least one step).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Spikes emitted at step `step` (which must be one of the last `len` steps).
    #[inline]
    pub fn at(&self, step: u64) -> &[u32] {
        &self.slots[(step % self.slots.len() as u64) as usize]
    }

    /// Store the spikes of step `step`, overwriting step `step − len`.
    pub fn store(&mut self, step: u64, spikes: &[u32]) {
        let n = self.slots.len() as u64;
        let slot = &mut self.slots[(step % n) as usize];
        slot.clear();
        slot.extend_from_slice(spikes);
    }
}

/// Synapses of one projection (see the module docs for the layout).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Synapses {
    n_pre: usize,
    n_post: usize,
    /// Distinct delays in steps, ascending, each ≥ 1.
    delays: Vec<u32>,
    /// Group starts; `n_pre · delays.len() + 1` entries.
    seg: Vec<u32>,
    /// Postsynaptic index of each synapse.
    post: Vec<u32>,
    /// Weight of each synapse (empty when `uniform` is set).
    weight: Vec<f64>,
    /// The one weight of every synapse, when all are equal and nothing changes them: the
    /// synapses then stream 4 bytes each instead of 12 (Brian2's scalar-delay idea, for
    /// weights).
    uniform: Option<f64>,
}

/// The weights a projection is built from: one per synapse, or one for all (a constant, which
/// then never needs an array of its own).
#[derive(Clone, Copy)]
pub(crate) enum Weights<'a> {
    /// One per synapse, in input order.
    Each(&'a [f64]),
    /// The same for every synapse.
    All(f64),
}

/// The distinct delays of `delay`, ascending (`[1]` for none).
pub(crate) fn distinct(delay: &[u32]) -> Vec<u32> {
    let mut delays: Vec<u32> = delay.to_vec();
    delays.sort_unstable();
    delays.dedup();
    if delays.is_empty() {
        delays.push(1);
    }
    delays
}

impl Synapses {
    /// Build from parallel arrays of pre, post, weight and delay (in steps, ≥ 1).
    ///
    /// Panics if the arrays differ in length or an index is out of range (callers validate).
    pub fn new(
        n_pre: usize,
        n_post: usize,
        pre: &[u32],
        post: &[u32],
        weight: &[f64],
        delay: &[u32],
    ) -> Synapses {
        let m = pre.len();
        assert!(post.len() == m && weight.len() == m && delay.len() == m);
        assert!(
            m < u32::MAX as usize,
            "more than 4·10⁹ synapses in one projection"
        );
        let delays = distinct(delay);
        Synapses::with_delays(
            n_pre,
            n_post,
            pre,
            post,
            Weights::Each(weight),
            delay,
            delays,
        )
    }

    /// As [`new`](Synapses::new), with the list of distinct delays given (ascending, a
    /// superset of `delay`'s values): the part of a projection that one rank of a distributed
    /// run keeps has the whole projection's delay groups, so parts merge group by group.
    pub(crate) fn with_delays(
        n_pre: usize,
        n_post: usize,
        pre: &[u32],
        post: &[u32],
        weight: Weights<'_>,
        delay: &[u32],
        delays: Vec<u32>,
    ) -> Synapses {
        let m = pre.len();
        let nd = delays.len();
        // delay index of each distinct delay value, by lookup table when small
        let max_d = *delays.last().unwrap() as usize;
        let mut k_of = vec![u32::MAX; max_d + 1];
        for (k, &d) in delays.iter().enumerate() {
            k_of[d as usize] = k as u32;
        }
        // counting sort by group = pre · nd + k
        let mut count = vec![0u32; n_pre * nd + 1];
        for s in 0..m {
            let g = pre[s] as usize * nd + k_of[delay[s] as usize] as usize;
            count[g + 1] += 1;
        }
        for g in 0..n_pre * nd {
            count[g + 1] += count[g];
        }
        let seg = count.clone();
        let mut fill = count;
        let mut order = vec![0u32; m];
        for s in 0..m {
            let g = pre[s] as usize * nd + k_of[delay[s] as usize] as usize;
            order[fill[g] as usize] = s as u32;
            fill[g] += 1;
        }
        // within a group, sort by post (stable, so multapses keep their input order)
        for g in 0..n_pre * nd {
            let run = &mut order[seg[g] as usize..seg[g + 1] as usize];
            if run
                .windows(2)
                .any(|w| post[w[0] as usize] > post[w[1] as usize])
            {
                run.sort_by_key(|&s| post[s as usize]);
            }
        }
        let uniform = match weight {
            Weights::All(w) => (m > 0).then_some(w),
            Weights::Each(ws) => match ws.first() {
                Some(&w0) if ws.iter().all(|w| w.to_bits() == w0.to_bits()) => Some(w0),
                _ => None,
            },
        };
        Synapses {
            n_pre,
            n_post,
            delays,
            seg,
            post: order.iter().map(|&s| post[s as usize]).collect(),
            weight: if uniform.is_some() {
                Vec::new()
            } else {
                match weight {
                    Weights::Each(ws) => order.iter().map(|&s| ws[s as usize]).collect(),
                    // one weight for all is uniform, except without synapses
                    Weights::All(_) => Vec::new(),
                }
            },
            uniform,
        }
    }

    /// The synapses onto postsynaptic neurons `lo..hi` (what one rank of a distributed run
    /// stores), with the same delay groups.
    pub(crate) fn retain_posts(&self, lo: u32, hi: u32) -> Synapses {
        let mut seg = Vec::with_capacity(self.seg.len());
        let (mut post, mut weight) = (Vec::new(), Vec::new());
        seg.push(0);
        for g in 0..self.seg.len() - 1 {
            let run = self.seg[g] as usize..self.seg[g + 1] as usize;
            let posts = &self.post[run.clone()];
            // a run is sorted by target: the kept part is one sub-run
            let a = run.start + posts.partition_point(|&j| j < lo);
            let b = run.start + posts.partition_point(|&j| j < hi);
            post.extend_from_slice(&self.post[a..b]);
            if self.uniform.is_none() {
                weight.extend_from_slice(&self.weight[a..b]);
            }
            seg.push(post.len() as u32);
        }
        Synapses {
            n_pre: self.n_pre,
            n_post: self.n_post,
            delays: self.delays.clone(),
            seg,
            post,
            weight,
            uniform: self.uniform,
        }
    }

    /// The whole projection again from the parts [`retain_posts`](Synapses::retain_posts) (or a
    /// partitioned build) kept, given in the order of their (disjoint, ascending) target
    /// ranges: exactly the synapses a one-process build stores, in the same order.
    pub(crate) fn merge(parts: &[Synapses]) -> Synapses {
        let first = &parts[0];
        let groups = first.seg.len() - 1;
        let uniform = match parts.iter().find(|p| !p.is_empty()) {
            Some(p) => p.uniform.filter(|w| {
                parts
                    .iter()
                    .filter(|q| !q.is_empty())
                    .all(|q| q.uniform.map(f64::to_bits) == Some(w.to_bits()))
            }),
            None => None,
        };
        let m: usize = parts.iter().map(Synapses::len).sum();
        let mut seg = Vec::with_capacity(first.seg.len());
        let mut post = Vec::with_capacity(m);
        let mut weight = Vec::with_capacity(if uniform.is_some() { 0 } else { m });
        seg.push(0);
        for g in 0..groups {
            for p in parts {
                let run = p.seg[g] as usize..p.seg[g + 1] as usize;
                post.extend_from_slice(&p.post[run.clone()]);
                if uniform.is_none() {
                    weight.extend(run.map(|s| p.weight(s)));
                }
            }
            seg.push(post.len() as u32);
        }
        Synapses {
            n_pre: first.n_pre,
            n_post: first.n_post,
            delays: first.delays.clone(),
            seg,
            post,
            weight,
            uniform,
        }
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.post.len()
    }

    /// `true` without synapses.
    pub fn is_empty(&self) -> bool {
        self.post.is_empty()
    }

    /// Size of the presynaptic population.
    pub fn n_pre(&self) -> usize {
        self.n_pre
    }

    /// Size of the postsynaptic population.
    pub fn n_post(&self) -> usize {
        self.n_post
    }

    /// Distinct delays in steps, ascending.
    pub fn delays(&self) -> &[u32] {
        &self.delays
    }

    /// Largest delay in steps.
    pub fn max_delay(&self) -> u32 {
        *self.delays.last().unwrap_or(&1)
    }

    /// Out-degree of every presynaptic neuron.
    pub fn out_degrees(&self) -> Vec<u32> {
        let nd = self.delays.len();
        (0..self.n_pre)
            .map(|i| self.seg[(i + 1) * nd] - self.seg[i * nd])
            .collect()
    }

    /// In-degree of every postsynaptic neuron.
    pub fn in_degrees(&self) -> Vec<u32> {
        let mut d = vec![0u32; self.n_post];
        for &j in &self.post {
            d[j as usize] += 1;
        }
        d
    }

    /// All synapses as `(pre, post, weight, delay)`, in storage order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32, f64, u32)> + '_ {
        let nd = self.delays.len();
        (0..self.n_pre * nd).flat_map(move |g| {
            let (i, k) = (g / nd, g % nd);
            (self.seg[g] as usize..self.seg[g + 1] as usize)
                .map(move |s| (i as u32, self.post[s], self.weight(s), self.delays[k]))
        })
    }

    /// The weight of synapse `s` (storage order).
    #[inline]
    pub fn weight(&self, s: usize) -> f64 {
        match self.uniform {
            Some(w) => w,
            None => self.weight[s],
        }
    }

    /// The weights, in storage order (a copy when all synapses share one weight).
    pub fn weights(&self) -> std::borrow::Cow<'_, [f64]> {
        match self.uniform {
            Some(w) => std::borrow::Cow::Owned(vec![w; self.post.len()]),
            None => std::borrow::Cow::Borrowed(&self.weight),
        }
    }

    /// The weights, in storage order, for plasticity and user edits (a shared weight becomes
    /// one weight per synapse first).
    pub fn weights_mut(&mut self) -> &mut [f64] {
        if let Some(w) = self.uniform.take() {
            self.weight = vec![w; self.post.len()];
        }
        &mut self.weight
    }

    /// The weights' storage, one per synapse (a shared weight becomes one weight per synapse
    /// first), for rules that lend it to a model; its length must not change.
    pub(crate) fn weight_vec_mut(&mut self) -> &mut Vec<f64> {
        self.weights_mut();
        &mut self.weight
    }

    /// Whether any presynaptic spike arrives at step `t` (a spike of one of the delays ago).
    #[inline]
    pub fn has_arrivals(&self, t: u64, ring: &SpikeRing) -> bool {
        self.delays
            .iter()
            .any(|&d| u64::from(d) <= t && !ring.at(t - u64::from(d)).is_empty())
    }

    /// Bytes of this projection's storage (targets, weights, group offsets).
    pub fn bytes(&self) -> usize {
        4 * self.post.len() + 8 * self.weight.len() + 4 * self.seg.len() + 4 * self.delays.len()
    }

    /// Postsynaptic index of every synapse, in storage order.
    pub fn posts(&self) -> &[u32] {
        &self.post
    }

    /// Every synapse whose presynaptic spike arrives at step `t`: calls `f(synapse, post)`
    /// with the synapse's storage index (for plastic projections, delivered serially).
    #[inline]
    pub fn arrivals(&self, t: u64, ring: &SpikeRing, mut f: impl FnMut(usize, u32)) {
        let nd = self.delays.len();
        for (k, &d) in self.delays.iter().enumerate() {
            let d = u64::from(d);
            if d > t {
                break;
            }
            for &i in ring.at(t - d) {
                let g = i as usize * nd + k;
                for s in self.seg[g] as usize..self.seg[g + 1] as usize {
                    f(s, self.post[s]);
                }
            }
        }
    }

    /// Like [`arrivals`](Self::arrivals), with the weight of each arriving synapse mutable
    /// (plastic projections; a shared weight becomes one weight per synapse first).
    #[inline]
    pub fn arrivals_mut(
        &mut self,
        t: u64,
        ring: &SpikeRing,
        mut f: impl FnMut(usize, u32, &mut f64),
    ) {
        self.weights_mut();
        let nd = self.delays.len();
        for (k, &d) in self.delays.iter().enumerate() {
            let d = u64::from(d);
            if d > t {
                break;
            }
            for &i in ring.at(t - d) {
                let g = i as usize * nd + k;
                for s in self.seg[g] as usize..self.seg[g + 1] as usize {
                    f(s, self.post[s], &mut self.weight[s]);
                }
            }
        }
    }

    /// Like [`arrivals_mut`](Self::arrivals_mut), with each arriving synapse's delay in steps
    /// as well: `f(synapse, post, delay, &mut weight)` (rules that need the emission step).
    #[inline]
    pub fn arrivals_delayed_mut(
        &mut self,
        t: u64,
        ring: &SpikeRing,
        mut f: impl FnMut(usize, u32, u32, &mut f64),
    ) {
        self.weights_mut();
        let nd = self.delays.len();
        for (k, &d) in self.delays.iter().enumerate() {
            if u64::from(d) > t {
                break;
            }
            for &i in ring.at(t - u64::from(d)) {
                let g = i as usize * nd + k;
                for s in self.seg[g] as usize..self.seg[g + 1] as usize {
                    f(s, self.post[s], d, &mut self.weight[s]);
                }
            }
        }
    }

    /// Like [`deliver`](Self::deliver), with each synapse's delay in steps:
    /// `add(j − lo, w, delay)` (truncated kernels, whose length can depend on the delay).
    #[inline]
    pub fn deliver_delayed(
        &self,
        t: u64,
        ring: &SpikeRing,
        lo: u32,
        hi: u32,
        mut add: impl FnMut(usize, f64, u32),
    ) {
        let nd = self.delays.len();
        for (k, &d) in self.delays.iter().enumerate() {
            if u64::from(d) > t {
                break;
            }
            for &i in ring.at(t - u64::from(d)) {
                let g = i as usize * nd + k;
                let (a, b) = (self.seg[g] as usize, self.seg[g + 1] as usize);
                let run = &self.post[a..b];
                let (first, last) = (
                    run.partition_point(|&j| j < lo),
                    run.partition_point(|&j| j < hi),
                );
                for s in a + first..a + last {
                    add((self.post[s] - lo) as usize, self.weight(s), d);
                }
            }
        }
    }

    /// Deliver the spikes due at step `t` to postsynaptic neurons `lo..hi`: calls
    /// `add(j − lo, w)` for every synapse whose presynaptic spike (read from `ring`) arrives
    /// now, in a fixed order (delay ascending, then spike order, then post ascending).
    #[inline]
    pub fn deliver(
        &self,
        t: u64,
        ring: &SpikeRing,
        lo: u32,
        hi: u32,
        mut add: impl FnMut(usize, f64),
    ) {
        let nd = self.delays.len();
        let whole = lo == 0 && hi as usize >= self.n_post;
        for (k, &d) in self.delays.iter().enumerate() {
            let d = u64::from(d);
            if d > t {
                break;
            }
            for &i in ring.at(t - d) {
                let g = i as usize * nd + k;
                let (mut a, mut b) = (self.seg[g] as usize, self.seg[g + 1] as usize);
                if !whole {
                    let run = &self.post[a..b];
                    let first = run.partition_point(|&j| j < lo);
                    let last = run.partition_point(|&j| j < hi);
                    b = a + last;
                    a += first;
                }
                let posts = &self.post[a..b];
                match self.uniform {
                    Some(w) => {
                        for &j in posts {
                            add((j - lo) as usize, w);
                        }
                    }
                    None => {
                        for (&j, &w) in posts.iter().zip(&self.weight[a..b]) {
                            add((j - lo) as usize, w);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Ring-buffer delivery equals a sorted event queue: every (arrival step, post)
        /// receives the sum of the weights of the spikes that were emitted `delay` steps
        /// earlier, and shards see exactly their part.
        #[test]
        fn ring_delivery_equals_event_queue(
            syn in proptest::collection::vec((0u32..6, 0u32..9, 1u32..7, -5i32..5), 0..60),
            spikes in proptest::collection::vec(proptest::collection::vec(0u32..6, 0..4), 1..25),
            split in 0u32..10,
        ) {
            let pre: Vec<u32> = syn.iter().map(|s| s.0).collect();
            let post: Vec<u32> = syn.iter().map(|s| s.1).collect();
            let delay: Vec<u32> = syn.iter().map(|s| s.2).collect();
            let weight: Vec<f64> = syn.iter().map(|s| f64::from(s.3)).collect();
            let proj = Synapses::new(6, 9, &pre, &post, &weight, &delay);
            let steps = spikes.len() as u64 + 8;
            // reference: an event queue of (arrival step, post, weight), sorted
            let mut queue: Vec<(u64, u32, f64)> = Vec::new();
            for (t, list) in spikes.iter().enumerate() {
                let mut list = list.clone();
                list.sort_unstable();
                list.dedup();
                for &i in &list {
                    for s in 0..syn.len() {
                        if pre[s] == i {
                            queue.push((t as u64 + u64::from(delay[s]), post[s], weight[s]));
                        }
                    }
                }
            }
            queue.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let mut ring = SpikeRing::new(proj.max_delay() as usize + 1, 8);
            let split = split.min(9);
            for t in 0..steps {
                let mut got = vec![0.0; 9];
                proj.deliver(t, &ring, 0, split, |j, w| got[j] += w);
                proj.deliver(t, &ring, split, 9, |j, w| got[split as usize + j] += w);
                let mut want = vec![0.0; 9];
                for &(at, j, w) in &queue {
                    if at == t {
                        want[j as usize] += w;
                    }
                }
                prop_assert_eq!(got, want, "step {}", t);
                let mut list = spikes.get(t as usize).cloned().unwrap_or_default();
                list.sort_unstable();
                list.dedup();
                ring.store(t, &list);
            }
        }
    }

    #[test]
    fn degrees_and_layout() {
        let proj = Synapses::new(
            3,
            4,
            &[0, 0, 2, 0],
            &[3, 1, 2, 0],
            &[1.0, 2.0, 3.0, 4.0],
            &[2, 1, 1, 2],
        );
        assert_eq!(proj.delays(), &[1, 2]);
        assert_eq!(proj.out_degrees(), vec![3, 0, 1]);
        assert_eq!(proj.in_degrees(), vec![1, 1, 1, 1]);
        let all: Vec<_> = proj.iter().collect();
        assert_eq!(
            all,
            vec![
                (0, 1, 2.0, 1),
                (0, 0, 4.0, 2),
                (0, 3, 1.0, 2),
                (2, 2, 3.0, 1)
            ]
        );
    }
}

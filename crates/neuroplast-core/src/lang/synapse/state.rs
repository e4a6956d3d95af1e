//! One projection's synapses in one precision: their arrays and loaded programs, the
//! transposed index, the event-driven variables (integrated exactly between events) and the
//! last spike times.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::lang::error::{ErrorKind, LangResult};
use crate::lang::exec::{run_batch, Scratch};
use crate::lang::float::Float;
use crate::lang::float::StateRef;
use crate::lang::integrate::{Build, BV};
use crate::lang::neuron::{param_values, Layout, Loaded};
use crate::lang::symbolic::{simplify, Builtin, RExpr};
use crate::rng::Rng;

use super::compile::{compile, Part};
use super::def::SynapseModelDef;
use super::lazy::Lazy;

/// An event-driven variable at run time.
#[derive(Clone, Debug, PartialEq)]
struct EventVar {
    /// Its array.
    arr: u16,
    /// `a·dt` (per synapse when `a` is).
    z: BV,
    /// `x∞ = −b/a` (0 where `a = 0`).
    inf: BV,
    /// `b·dt`, the change per step where `a = 0`.
    drift: BV,
    /// `exp(k·z)` for k = 0, 1, … until it underflows (scalar `z` only).
    table: Vec<f64>,
}

fn bv_at(v: &BV, s: usize) -> f64 {
    match v {
        BV::S(x) => *x,
        BV::E(xs) => xs.get(s).copied().unwrap_or(0.0),
    }
}

impl EventVar {
    /// The value `k` steps after `x` for synapse `s`.
    #[inline]
    fn advance(&self, s: usize, x: f64, k: u64) -> f64 {
        let z = bv_at(&self.z, s);
        if z == 0.0 {
            return x + bv_at(&self.drift, s) * k as f64;
        }
        let f = match (&self.z, self.table.get(k as usize)) {
            (BV::S(_), Some(&f)) => f,
            (BV::S(_), None) if self.table.last() == Some(&0.0) => 0.0,
            _ => (k as f64 * z).exp(),
        };
        let inf = bv_at(&self.inf, s);
        inf + (x - inf) * f
    }
}

#[derive(Clone, Debug)]
pub(super) struct SCore<T> {
    pub(super) def: Arc<SynapseModelDef>,
    pub(super) dt: f64,
    pub(super) pre: Vec<u32>,
    pub(super) post: Vec<u32>,
    pub(super) delay: Vec<u32>,
    pub(super) n_post: usize,
    pub(super) post_ptr: Vec<u32>,
    pub(super) by_post: Vec<u32>,
    pub(super) layout: Layout,
    pub(super) params: Vec<BV>,
    pub(super) overrides: BTreeMap<usize, BV>,
    pub(super) arrays: Vec<Vec<T>>,
    pub(super) on_pre: Option<Loaded<T>>,
    pub(super) on_post: Option<Loaded<T>>,
    pub(super) per_step: Option<Loaded<T>>,
    /// The semiglobal variables' equations, over the postsynaptic neurons.
    pub(super) per_post: Option<Loaded<T>>,
    /// `0, 1, …, n_post − 1`: the pre and post index of the per-post program's elements.
    ident: Vec<u32>,
    events: Vec<EventVar>,
    pub(super) last_update: Vec<u64>,
    pub(super) last_pre: Vec<u64>,
    pub(super) last_post: Vec<u64>,
    pub(super) scratch: Scratch<T>,
    pub(super) batch: Vec<u32>,
    pub(super) rng: Rng,
    /// The per-step equations in closed form between events, when they have its shape and
    /// `closed_form` is on (`lazy/`).
    pub(super) lazy: Option<Lazy>,
    /// Whether a closed form is used where one exists (on by default).
    pub(super) closed_form: bool,
}

const NEVER: u64 = u64::MAX;

/// `Lazy::now` before the first call (or after a restore without it): set by the first call.
pub(super) const UNKNOWN: u64 = u64::MAX;

impl<T: Float> SCore<T> {
    #[allow(clippy::too_many_arguments)] // reason: the parts of a projection
    pub(super) fn build(
        def: Arc<SynapseModelDef>,
        pre: &[u32],
        post: &[u32],
        n_post: usize,
        delay_steps: &[u32],
        dt: f64,
        overrides: BTreeMap<usize, BV>,
        rng: Rng,
    ) -> LangResult<SCore<T>> {
        let m = pre.len();
        let src = &def.checked.sources;
        if post.len() != m || (!delay_steps.is_empty() && delay_steps.len() != m) {
            return Err(src.field_error(
                ErrorKind::Value,
                None,
                format!(
                    "{m} presynaptic indices, {} postsynaptic, {} delays",
                    post.len(),
                    delay_steps.len()
                ),
                "one pre, one post index per synapse, and one delay per synapse or none",
            ));
        }
        if let Some(&j) = post.iter().find(|&&j| j as usize >= n_post) {
            return Err(src.field_error(
                ErrorKind::Value,
                None,
                format!("postsynaptic index {j} ≥ {n_post} neurons"),
                "indices below the number of postsynaptic neurons",
            ));
        }
        let default_delay = def
            .checked
            .delay
            .map_or(0, |ms| (ms / dt).round().max(0.0) as u32);
        let delay: Vec<u32> = if delay_steps.is_empty() {
            vec![default_delay; m]
        } else {
            delay_steps.to_vec()
        };
        // transposed index
        let mut post_ptr = vec![0u32; n_post + 1];
        for &j in post {
            post_ptr[j as usize + 1] += 1;
        }
        for j in 0..n_post {
            post_ptr[j + 1] += post_ptr[j];
        }
        let mut fill = post_ptr.clone();
        let mut by_post = vec![0u32; m];
        for (s, &j) in post.iter().enumerate() {
            by_post[fill[j as usize] as usize] = s as u32;
            fill[j as usize] += 1;
        }
        let mut core = SCore {
            def,
            dt,
            pre: pre.to_vec(),
            post: post.to_vec(),
            delay,
            n_post,
            post_ptr,
            by_post,
            layout: Layout::new(0, false, 0, &[]),
            params: Vec::new(),
            overrides,
            arrays: Vec::new(),
            on_pre: None,
            on_post: None,
            per_step: None,
            per_post: None,
            ident: (0..n_post as u32).collect(),
            events: Vec::new(),
            last_update: vec![0; m],
            last_pre: vec![NEVER; m],
            last_post: vec![NEVER; n_post],
            scratch: Scratch::default(),
            batch: Vec::new(),
            rng,
            lazy: None,
            closed_form: true,
        };
        let c = &core.def.checked;
        // a semiglobal variable's array holds one value per postsynaptic neuron
        core.arrays = c
            .vars
            .iter()
            .map(|v| vec![T::ZERO; if v.semiglobal { n_post } else { m }])
            .collect();
        core.recompile()?;
        // initial values: init= constants, then the init statements
        let c = &core.def.checked;
        for (k, v) in c.vars.iter().enumerate() {
            if let Some(e) = &v.init {
                let b = Build {
                    n: m,
                    dt,
                    params: &core.params,
                    derived: vec![],
                    first_derived: 0,
                };
                match b.eval(e) {
                    Some(BV::S(x)) => core.arrays[k].iter_mut().for_each(|a| *a = T::from_f64(x)),
                    Some(BV::E(xs)) => {
                        for (a, x) in core.arrays[k].iter_mut().zip(xs) {
                            *a = T::from_f64(x);
                        }
                    }
                    None => {}
                }
            }
        }
        if !c.init.is_empty() {
            let (reads, targets) = core.ref_slots();
            let mut b = Build {
                n: m,
                dt,
                params: &core.params,
                derived: vec![],
                first_derived: core.arrays.len() as u16,
            };
            let init = compile(
                &core.def,
                &core.layout,
                &mut b,
                Part::Init,
                &reads,
                &targets,
            );
            let base = core.arrays.len();
            core.arrays.extend(
                b.derived
                    .iter()
                    .map(|d| d.iter().map(|&x| T::from_f64(x)).collect::<Vec<T>>()),
            );
            let loaded = Loaded::<T>::new(init);
            let mut scratch = Scratch::for_program(&loaded.compiled.program);
            let empty: Vec<StateRef> = reads.iter().map(|_| StateRef::F64(&[])).collect();
            let mut sink = crate::lang::exec::NoTargets;
            run_batch(
                &loaded.compiled.program,
                &mut scratch,
                &mut core.arrays,
                &loaded.ks,
                &loaded.splat,
                None,
                m,
                &core.pre,
                &core.post,
                &core.last_pre,
                &core.last_post,
                &empty,
                dt,
                &mut core.rng,
                &mut sink,
            );
            core.arrays.truncate(base);
        }
        core.build_lazy();
        Ok(core)
    }

    /// (Re)build the closed form of the per-step equations from the current state, when it is
    /// on and they have its shape; the first call after sets its step.
    pub(super) fn build_lazy(&mut self) {
        self.lazy = None;
        if !self.closed_form || self.per_step.is_none() {
            return;
        }
        let m = self.pre.len();
        if let Some(mut lz) = Lazy::fits(&self.def, &self.params, self.dt, m, self.n_post) {
            lz.set_all(&self.arrays, self.n_post);
            lz.now = UNKNOWN;
            self.lazy = Some(lz);
        }
    }

    /// The start of a call at `step`: after steps the network did not run (a freeze), the
    /// synapses go on from `step` (the per-step equations did not run meanwhile).
    pub(super) fn lazy_begin(&mut self, step: u64) {
        self.lazy_resolve();
        self.lazy_gap(step);
    }

    /// [`lazy_begin`](Self::lazy_begin) without bringing pending spikes' synapses up to
    /// their step.
    fn lazy_gap(&mut self, step: u64) {
        let Some(lz) = self.lazy.as_mut() else {
            return;
        };
        if lz.now == UNKNOWN {
            lz.synced.fill(step);
            lz.now = step;
        } else if lz.now < step {
            self.lazy_sync_all();
            if let Some(lz) = self.lazy.as_mut() {
                lz.synced.fill(step);
                lz.now = step;
            }
        }
    }

    /// Postsynaptic neuron `j` spiked in step `step`: its `t_post` becomes `step`; with the
    /// closed form its synapses are brought up to `step` (under the `t_post` before) by the
    /// per-step equations of the step, in the pass that also takes them through it (or by the
    /// next call that reads them).
    pub(super) fn mark_post(&mut self, step: u64, j: usize) {
        if let Some(lz) = self.lazy.as_mut() {
            lz.pending.push((j as u32, self.last_post[j]));
            lz.pending_step = step;
        }
        self.last_post[j] = step;
    }

    /// Bring the synapses of the neurons marked spiking up to the step of their spike, under
    /// their `t_post` before it.
    fn lazy_resolve(&mut self) {
        let Some(lz) = self.lazy.as_mut() else {
            return;
        };
        if lz.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut lz.pending);
        let to = lz.pending_step;
        let mut cols = lz.take(&mut self.arrays);
        for &(j, tp) in &pending {
            let j = j as usize;
            let range = self.post_ptr[j] as usize..self.post_ptr[j + 1] as usize;
            for &s in &self.by_post[range] {
                let s = s as usize;
                lz.sync(&mut cols, s, j, to, self.last_pre[s], tp, self.dt);
            }
        }
        lz.put(&mut self.arrays, cols);
        lz.pending = pending;
        lz.pending.clear();
    }

    /// Bring synapses `batch` up to step `to` (the per-step updates of the steps before it);
    /// indices past the synapses are skipped.
    pub(super) fn lazy_sync_batch(&mut self, to: u64, batch: &[u32]) {
        if let Some(lz) = self.lazy.as_mut() {
            let mut cols = lz.take(&mut self.arrays);
            for &s in batch {
                let s = s as usize;
                let Some(&j) = self.post.get(s) else {
                    continue;
                };
                let j = j as usize;
                let (tpre, tpost) = (self.last_pre[s], self.last_post[j]);
                lz.sync(&mut cols, s, j, to, tpre, tpost, self.dt);
            }
            lz.put(&mut self.arrays, cols);
        }
    }

    /// Bring the incoming synapses of postsynaptic neuron `j` up to step `to`.
    pub(super) fn lazy_sync_post(&mut self, to: u64, j: usize) {
        let Some(lz) = self.lazy.as_mut() else {
            return;
        };
        let tp = self.last_post[j];
        let range = self.post_ptr[j] as usize..self.post_ptr[j + 1] as usize;
        let mut cols = lz.take(&mut self.arrays);
        for &s in &self.by_post[range] {
            let s = s as usize;
            lz.sync(&mut cols, s, j, to, self.last_pre[s], tp, self.dt);
        }
        lz.put(&mut self.arrays, cols);
    }

    /// Bytes of the state and of the buffers (the model's text and programs not counted):
    /// every array at its own length (a semiglobal variable has one value per postsynaptic
    /// neuron), the synapses' indices and spike steps, the closed form's tables.
    pub(super) fn bytes(&self) -> usize {
        let t = std::mem::size_of::<T>();
        t * self.arrays.iter().map(Vec::capacity).sum::<usize>()
            + 4 * (self.pre.capacity()
                + self.post.capacity()
                + self.delay.capacity()
                + self.post_ptr.capacity()
                + self.by_post.capacity()
                + self.ident.capacity()
                + self.batch.capacity())
            + 8 * (self.last_update.capacity()
                + self.last_pre.capacity()
                + self.last_post.capacity())
            + self.scratch.bytes()
            + self.lazy.as_ref().map_or(0, Lazy::bytes)
    }

    /// Every synapse up to the last step run, helper variables included (before the state is
    /// read or set).
    pub(super) fn lazy_sync_all(&mut self) {
        self.lazy_resolve();
        let Some(lz) = self.lazy.as_mut() else {
            return;
        };
        if lz.now == UNKNOWN {
            return;
        }
        let to = lz.now;
        let mut cols = lz.take(&mut self.arrays);
        for s in 0..self.pre.len() {
            let j = self.post[s] as usize;
            let (tpre, tpost) = (self.last_pre[s], self.last_post[j]);
            lz.sync(&mut cols, s, j, to, tpre, tpost, self.dt);
        }
        lz.put(&mut self.arrays, cols);
        for s in 0..self.pre.len() {
            let j = self.post[s] as usize;
            let (tpre, tpost) = (self.last_pre[s], self.last_post[j]);
            lz.helpers(&mut self.arrays, s, tpre, tpost, self.dt);
        }
    }

    /// The per-step equations of step `step` in closed form (`false`: there is none, run the
    /// per-step program): the per-post program runs; the synapses of a neuron that spiked in
    /// this step are brought up to it under its old `t_post` and coefficients and through it
    /// under the new ones, in one pass; those of a neuron whose semiglobal values changed
    /// otherwise are brought up to `step` and its coefficients renewed.
    pub(super) fn per_step_lazy(&mut self, step: u64, values: &[StateRef]) -> bool {
        let Some(lz) = self.lazy.as_ref() else {
            return false;
        };
        if lz.pending_step != step {
            self.lazy_resolve();
        }
        self.lazy_gap(step);
        self.run_per_post(values);
        if let Some(lz) = self.lazy.as_mut() {
            lz.now = step + 1;
            let pending = std::mem::take(&mut lz.pending);
            let sp = lz.spare;
            for &(j, tp) in &pending {
                let j = j as usize;
                lz.set_row(&self.arrays, j, sp);
                let changed = lz.semis_changed(&self.arrays, j);
                let range = self.post_ptr[j] as usize..self.post_ptr[j + 1] as usize;
                let mut cols = lz.take(&mut self.arrays);
                for &s in &self.by_post[range] {
                    let s = s as usize;
                    let t_pre = self.last_pre[s];
                    lz.sync_spike(&mut cols, s, (j, sp), step, t_pre, tp, self.dt);
                }
                lz.put(&mut self.arrays, cols);
                if changed {
                    lz.take_spare(j);
                }
            }
            lz.pending = pending;
            lz.pending.clear();
        }
        for j in 0..self.n_post {
            let changed = self
                .lazy
                .as_ref()
                .is_some_and(|lz| lz.semis_changed(&self.arrays, j));
            if changed {
                self.lazy_sync_post(step, j);
                if let Some(lz) = self.lazy.as_mut() {
                    lz.set_post(&self.arrays, j);
                }
            }
        }
        if let Some(lz) = self.lazy.as_mut() {
            lz.now = step + 1;
        }
        true
    }

    /// Indices into `Checked::ext` of the reads and of the targets.
    fn ref_slots(&self) -> (Vec<u32>, Vec<u32>) {
        let c = &self.def.checked;
        let reads = (0..c.ext.len() as u32)
            .filter(|&k| c.ext[k as usize].read)
            .collect();
        let targets = (0..c.ext.len() as u32)
            .filter(|&k| c.ext[k as usize].written)
            .collect();
        (reads, targets)
    }

    pub(super) fn recompile(&mut self) -> LangResult<()> {
        let def = self.def.clone();
        let c = &def.checked;
        let m = self.pre.len();
        self.params = param_values(c, m, self.dt, &self.overrides);
        semiglobal_params(&def, &self.params)?;
        // arrays: variables, per-synapse parameters, the delay (ms), derived
        let mut layout = Layout::new(c.vars.len(), false, 0, &self.params);
        layout.first_derived += 1;
        let (reads, targets) = self.ref_slots();
        let mut b = Build {
            n: m,
            dt: self.dt,
            params: &self.params,
            derived: vec![],
            first_derived: layout.first_derived,
        };
        let load = |part: Part, want: bool, b: &mut Build| {
            want.then(|| compile(&def, &layout, b, part, &reads, &targets))
        };
        let on_pre = load(Part::OnPre, !c.on_pre.is_empty(), &mut b);
        let on_post = load(Part::OnPost, !c.on_post.is_empty(), &mut b);
        let per_step = load(Part::PerStep, def.equations_every_step(false), &mut b);
        let per_post = load(Part::PerPost, def.equations_every_step(true), &mut b);
        // event-driven variables
        let mut events = Vec::new();
        for ed in &def.plan.event_driven {
            let z = b
                .eval(&simplify(&RExpr::bin(
                    crate::lang::ast::BinOp::Mul,
                    ed.a.clone(),
                    RExpr::Builtin(Builtin::Dt),
                )))
                .unwrap_or(BV::S(0.0));
            let a = b.eval(&ed.a).unwrap_or(BV::S(0.0));
            let bb = b.eval(&ed.b).unwrap_or(BV::S(0.0));
            let per = |f: &dyn Fn(f64, f64) -> f64| match (&a, &bb) {
                (BV::S(x), BV::S(y)) => BV::S(f(*x, *y)),
                _ => BV::E((0..m).map(|s| f(bv_at(&a, s), bv_at(&bb, s))).collect()),
            };
            let inf = per(&|a, b| if a == 0.0 { 0.0 } else { -b / a });
            let dt = self.dt;
            let drift = per(&|_, b| b * dt);
            let mut table = Vec::new();
            if let BV::S(z) = z {
                // exp(k·a·dt) for every k until it underflows (as the built-in DecayTable)
                while z != 0.0 && table.len() < 1 << 16 {
                    let x = (table.len() as f64 * z).exp();
                    table.push(x);
                    if x == 0.0 {
                        break;
                    }
                }
            }
            events.push(EventVar {
                arr: ed.var as u16,
                z,
                inf,
                drift,
                table,
            });
        }
        // arrays
        let nv = c.vars.len();
        self.arrays.truncate(nv);
        for p in &self.params {
            if let BV::E(xs) = p {
                self.arrays
                    .push(xs.iter().map(|&x| T::from_f64(x)).collect());
            }
        }
        self.arrays.push(
            self.delay
                .iter()
                .map(|&d| T::from_f64(f64::from(d) * self.dt))
                .collect(),
        );
        for d in &b.derived {
            self.arrays
                .push(d.iter().map(|&x| T::from_f64(x)).collect());
        }
        self.events = events;
        self.layout = layout;
        let regs = [&on_pre, &on_post, &per_step, &per_post]
            .iter()
            .filter_map(|p| p.as_ref().map(|c| c.program.n_regs))
            .max()
            .unwrap_or(0);
        self.on_pre = on_pre.map(Loaded::new);
        self.on_post = on_post.map(Loaded::new);
        self.per_step = per_step.map(Loaded::new);
        self.per_post = per_post.map(Loaded::new);
        self.scratch = Scratch::for_synapses(regs);
        Ok(())
    }

    /// Bring the event-driven variables of synapses `batch` up to `step`.
    pub(super) fn advance(&mut self, step: u64, batch: &[u32]) {
        for ev in &self.events {
            let arr = &mut self.arrays[ev.arr as usize];
            for &s in batch {
                let s = s as usize;
                let k = step.saturating_sub(self.last_update[s]);
                if k == 0 {
                    continue;
                }
                let new = ev.advance(s, arr[s].to_f64(), k);
                arr[s] = T::from_f64(new);
            }
        }
        for &s in batch {
            self.last_update[s as usize] = step;
        }
    }

    pub(super) fn run<S: crate::lang::exec::TargetSink>(
        &mut self,
        which: Part,
        batch: Option<&[u32]>,
        values: &[StateRef],
        sink: &mut S,
    ) {
        if which == Part::PerStep {
            self.run_per_post(values);
        }
        let prog = match which {
            Part::OnPre => self.on_pre.as_mut(),
            Part::OnPost => self.on_post.as_mut(),
            _ => self.per_step.as_mut(),
        };
        let Some(prog) = prog else { return };
        let m = self.pre.len();
        // the interpreter inlined into the SIMD copy this CPU runs (bit-identical copies)
        crate::simd::dispatch(
            #[inline(always)]
            || {
                run_batch(
                    &prog.compiled.program,
                    &mut self.scratch,
                    &mut self.arrays,
                    &prog.ks,
                    &prog.splat,
                    batch,
                    m,
                    &self.pre,
                    &self.post,
                    &self.last_pre,
                    &self.last_post,
                    values,
                    self.dt,
                    &mut self.rng,
                    sink,
                )
            },
        );
    }

    /// The semiglobal variables' program (ANNarchy's order: before the per-synapse equations),
    /// one element per postsynaptic neuron: its `pre` and `post` are the identity.
    fn run_per_post(&mut self, values: &[StateRef]) {
        let Some(prog) = self.per_post.as_mut() else {
            return;
        };
        let n = self.n_post;
        crate::simd::dispatch(
            #[inline(always)]
            || {
                run_batch(
                    &prog.compiled.program,
                    &mut self.scratch,
                    &mut self.arrays,
                    &prog.ks,
                    &prog.splat,
                    None,
                    n,
                    &self.ident,
                    &self.ident,
                    &self.last_post,
                    &self.last_post,
                    values,
                    self.dt,
                    &mut self.rng,
                    &mut crate::lang::exec::NoTargets,
                )
            },
        );
    }
}

/// A parameter read by a semiglobal variable (one value per postsynaptic neuron) must have one
/// value, not one per synapse.
fn semiglobal_params(def: &SynapseModelDef, params: &[BV]) -> LangResult<()> {
    let c = &def.checked;
    for eq in &c.eqs {
        let (crate::lang::checked::Equation::Ode { var, rhs, .. }
        | crate::lang::checked::Equation::Assign { var, rhs, .. }) = eq;
        let v = &c.vars[*var as usize];
        if !v.semiglobal {
            continue;
        }
        let mut per_synapse = None;
        for e in [Some(rhs), v.min.as_ref(), v.max.as_ref(), v.init.as_ref()]
            .into_iter()
            .flatten()
        {
            e.visit(&mut |x| {
                if let RExpr::Param(k) = x {
                    if matches!(params.get(*k as usize), Some(BV::E(_))) {
                        per_synapse.get_or_insert(*k as usize);
                    }
                }
            });
        }
        if let Some(k) = per_synapse {
            return Err(c.sources.field_error(
                ErrorKind::Value,
                Some(crate::lang::span::Field::Parameters),
                format!(
                    "`{}` has one value per synapse, but the semiglobal `{}` (one value per postsynaptic neuron) reads it",
                    c.params[k].name, v.name
                ),
                "one value for a parameter that a semiglobal variable reads",
            ));
        }
    }
    Ok(())
}

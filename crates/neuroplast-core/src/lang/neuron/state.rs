//! One population's state in one precision: its arrays and loaded programs, built from the
//! model, recompiled after a parameter change, and stepped.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::lang::checked::ReduceOp;
use crate::lang::error::LangResult;
use crate::lang::exec::{run_dense, Scratch};
use crate::lang::float::Float;
use crate::lang::integrate::{Build, BV};
use crate::lang::lower::Compiled;
use crate::rng::Rng;

use super::compile::{compile_init, compile_step, Layout};
use super::def::{param_values, NeuronModelDef};

#[derive(Clone, Debug)]
pub(super) struct Core<T> {
    pub(super) def: Arc<NeuronModelDef>,
    pub(super) n: usize,
    /// The population index of neuron 0 (`i` = offset + local index).
    pub(super) offset: usize,
    pub(super) dt: f64,
    pub(super) layout: Layout,
    /// Parameter values (scalar or per neuron) and which were set explicitly.
    pub(super) params: Vec<BV>,
    pub(super) overrides: BTreeMap<usize, BV>,
    pub(super) arrays: Vec<Vec<T>>,
    pub(super) no_input: Loaded<T>,
    pub(super) input: Option<Loaded<T>>,
    /// The second pass of a model with population reductions (see `Programs`).
    pub(super) spike: Option<Loaded<T>>,
    pub(super) spike_input: Option<Loaded<T>>,
    pub(super) scratch: Scratch<T>,
    pub(super) rng: Rng,
    pub(super) step: u64,
}

/// A compiled program with its scalars in the executor's precision.
#[derive(Clone, Debug)]
pub(crate) struct Loaded<T> {
    pub compiled: Compiled,
    pub ks: Vec<T>,
    pub splat: Vec<Vec<T>>,
}

impl<T: Float> Loaded<T> {
    pub fn new(compiled: Compiled) -> Loaded<T> {
        let ks: Vec<T> = compiled.consts.iter().map(|&x| T::from_f64(x)).collect();
        let mut splat = vec![Vec::new(); ks.len()];
        for &k in &compiled.splats {
            if let Some(s) = splat.get_mut(k as usize) {
                *s = vec![ks[k as usize]; crate::lang::ir::CHUNK];
            }
        }
        Loaded {
            compiled,
            ks,
            splat,
        }
    }

    /// Set the time slot (and its splat, if any).
    pub fn set_time(&mut self, t: f64) {
        let t = T::from_f64(t);
        if let Some(k0) = self.ks.first_mut() {
            *k0 = t;
        }
        if let Some(s) = self.splat.first_mut() {
            s.iter_mut().for_each(|x| *x = t);
        }
    }
}

impl<T: Float> Core<T> {
    pub(super) fn build(
        def: Arc<NeuronModelDef>,
        (n, offset): (usize, usize),
        dt: f64,
        overrides: BTreeMap<usize, BV>,
        rng: Rng,
    ) -> LangResult<Core<T>> {
        let c = &def.checked;
        let params = param_values(c, n, dt, &overrides);
        let has_refrac = c.refractory.is_some() && c.threshold.is_some();
        let layout = Layout::new(c.vars.len(), has_refrac, c.reductions.len(), &params);
        let mut core = Core {
            def: def.clone(),
            n,
            offset,
            dt,
            layout,
            params,
            overrides,
            arrays: Vec::new(),
            no_input: Loaded::new(Compiled::default()),
            input: None,
            spike: None,
            spike_input: None,
            scratch: Scratch::default(),
            rng,
            step: 0,
        };
        core.arrays = vec![vec![T::ZERO; n]; core.layout.first_derived as usize];
        core.recompile()?;
        // initial values: init= (constants of parameters), then the init statements
        for (k, v) in c.vars.iter().enumerate() {
            if let Some(e) = &v.init {
                let b = Build {
                    n,
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
            let mut b = Build {
                n,
                dt,
                params: &core.params,
                derived: vec![],
                first_derived: core.arrays.len() as u16,
            };
            let init = compile_init(c, &core.layout, &mut b);
            let extra: Vec<Vec<T>> = b
                .derived
                .iter()
                .map(|d| d.iter().map(|&x| T::from_f64(x)).collect())
                .collect();
            let base = core.arrays.len();
            core.arrays.extend(extra);
            let loaded = Loaded::<T>::new(init);
            let mut scratch = Scratch::for_program(&loaded.compiled.program);
            scratch.index0 = offset;
            let mut none = Vec::new();
            run_dense(
                &loaded.compiled.program,
                &mut scratch,
                &mut core.arrays,
                &loaded.ks,
                &loaded.splat,
                &[],
                n,
                &mut core.rng,
                None,
                &mut none,
            );
            core.arrays.truncate(base);
        }
        Ok(core)
    }

    /// Take over `old`'s refractory counters, random stream and step count (the named
    /// variables are copied by name by the caller).
    pub(super) fn carry_from(&mut self, old: &Core<T>) {
        self.rng = old.rng.clone();
        self.step = old.step;
        if let (Some(r), Some(o)) = (self.layout.refrac, old.layout.refrac) {
            if self.n == old.n {
                let counter = old.arrays[usize::from(o)].clone();
                self.arrays[usize::from(r)] = counter;
            }
        }
    }

    /// (Re)build the programs and the parameter / derived arrays after a parameter change.
    pub(super) fn recompile(&mut self) -> LangResult<()> {
        let c = &self.def.checked;
        self.params = param_values(c, self.n, self.dt, &self.overrides);
        let has_refrac = c.refractory.is_some() && c.threshold.is_some();
        let layout = Layout::new(c.vars.len(), has_refrac, c.reductions.len(), &self.params);
        let progs = compile_step(&self.def, &layout, &self.params, self.n, self.dt)?;
        // keep the state (variables, counter, reductions), rebuild the rest
        let keep = layout.n_state();
        self.arrays.truncate(keep);
        while self.arrays.len() < keep {
            self.arrays.push(vec![T::ZERO; self.n]);
        }
        for p in &self.params {
            if let BV::E(xs) = p {
                self.arrays
                    .push(xs.iter().map(|&x| T::from_f64(x)).collect());
            }
        }
        for d in &progs.derived {
            self.arrays
                .push(d.iter().map(|&x| T::from_f64(x)).collect());
        }
        self.layout = layout;
        self.no_input = Loaded::new(progs.no_input);
        self.input = progs.input.map(Loaded::new);
        self.spike = progs.spike.map(Loaded::new);
        self.spike_input = progs.spike_input.map(Loaded::new);
        let regs = [&self.input, &self.spike, &self.spike_input]
            .into_iter()
            .flatten()
            .map(|l| l.compiled.program.n_regs)
            .fold(self.no_input.compiled.program.n_regs, usize::max);
        self.scratch = Scratch::new(regs, self.offset);
        Ok(())
    }

    #[inline(always)]
    pub(super) fn step(&mut self, current: &[f64], spikes: &mut Vec<u32>) {
        let t = self.step as f64 * self.dt;
        // a current shorter than the population counts as none (as `run_dense` treats a
        // chunk it does not cover): the input program must never read past it
        let with_input = self.input.is_some() && current.len() >= self.n;
        let current = if with_input { current } else { &[][..] };
        let prog = match &mut self.input {
            Some(p) if with_input => p,
            _ => &mut self.no_input,
        };
        prog.set_time(t);
        let (n, arrays, scratch, rng) =
            (self.n, &mut self.arrays, &mut self.scratch, &mut self.rng);
        let prog = &*prog;
        crate::simd::dispatch(
            #[inline(always)]
            || {
                run_dense(
                    &prog.compiled.program,
                    scratch,
                    arrays,
                    &prog.ks,
                    &prog.splat,
                    current,
                    n,
                    rng,
                    None,
                    spikes,
                )
            },
        );
        if self.spike.is_some() {
            self.spike_pass(t, current, with_input, spikes);
        }
        self.step += 1;
    }

    /// The second pass of a model with population reductions: each reduction over the
    /// integrated arrays (in neuron order, in the population's precision) into its array,
    /// then threshold, refractory counter and resets.
    #[inline(never)] // keeps the one-pass step of other models small
    fn spike_pass(&mut self, t: f64, current: &[f64], with_input: bool, spikes: &mut Vec<u32>) {
        let n = self.n;
        for (red, &dst) in self.def.checked.reductions.iter().zip(&self.layout.pops) {
            let Some(&first) = self.arrays[red.var as usize].first() else {
                continue;
            };
            let xs = &self.arrays[red.var as usize];
            let value = match red.op {
                ReduceOp::Max => xs.iter().fold(first, |m, &x| if x > m { x } else { m }),
                ReduceOp::Min => xs.iter().fold(first, |m, &x| if x < m { x } else { m }),
                ReduceOp::Sum => xs.iter().fold(T::ZERO, |s, &x| s + x),
                ReduceOp::Mean => xs.iter().fold(T::ZERO, |s, &x| s + x) / T::from_f64(n as f64),
            };
            self.arrays[usize::from(dst)].fill(value);
        }
        let prog = match (&mut self.spike_input, &mut self.spike) {
            (Some(p), _) if with_input => p,
            (_, Some(p)) => p,
            _ => return,
        };
        prog.set_time(t);
        run_dense(
            &prog.compiled.program,
            &mut self.scratch,
            &mut self.arrays,
            &prog.ks,
            &prog.splat,
            current,
            n,
            &mut self.rng,
            None,
            spikes,
        );
    }
}

//! Build-time values: what is known when a population is built (parameters, `dt`), the same
//! for all elements or one per element, and the per-element constants the lowering creates.

use crate::lang::fold::eval_const;
use crate::lang::lower::Val;
use crate::lang::symbolic::{map_builtins, Builtin, RExpr};

/// A value known when a population is built: the same for all elements, or one per element.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum BV {
    S(f64),
    E(Vec<f64>),
}

/// Parameter values and arrays created while lowering (per-element constants).
pub(crate) struct Build<'a> {
    pub n: usize,
    pub dt: f64,
    pub params: &'a [BV],
    /// Arrays created for per-element constants, numbered from `first_derived`.
    pub derived: Vec<Vec<f64>>,
    pub first_derived: u16,
}

impl Build<'_> {
    fn with_dt(&self, e: &RExpr) -> RExpr {
        map_builtins(e, &|b| (b == Builtin::Dt).then_some(RExpr::Const(self.dt)))
    }

    /// The value of a constant expression (numbers, parameters, `dt`).
    pub fn eval(&self, e: &RExpr) -> Option<BV> {
        if !e.is_build_constant() {
            return None;
        }
        let e = self.with_dt(e);
        let mut per_element = false;
        e.visit(&mut |x| {
            if let RExpr::Param(p) = x {
                per_element |= matches!(self.params.get(*p as usize), Some(BV::E(_)));
            }
        });
        if !per_element {
            let v = eval_const(&e, &|p| match self.params.get(p as usize) {
                Some(BV::S(x)) => Some(*x),
                _ => None,
            })?;
            return Some(BV::S(v));
        }
        let mut out = Vec::with_capacity(self.n);
        for k in 0..self.n {
            out.push(eval_const(&e, &|p| match self.params.get(p as usize) {
                Some(BV::S(x)) => Some(*x),
                Some(BV::E(v)) => v.get(k).copied(),
                None => None,
            })?);
        }
        Some(BV::E(out))
    }

    /// A lowering value for `v` (a constant, or a new per-element array).
    pub fn val(&mut self, v: BV) -> Val {
        match v {
            BV::S(x) => Val::K(x),
            BV::E(xs) => {
                if let Some(k) = self.derived.iter().position(|d| *d == xs) {
                    return Val::A(self.first_derived + k as u16);
                }
                self.derived.push(xs);
                Val::A(self.first_derived + (self.derived.len() - 1) as u16)
            }
        }
    }

    /// `val(eval(e))`.
    pub fn konst(&mut self, e: &RExpr) -> Option<Val> {
        let v = self.eval(e)?;
        Some(self.val(v))
    }
}

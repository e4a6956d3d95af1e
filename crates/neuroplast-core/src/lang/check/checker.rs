//! The checker's state: the names declared so far, the expression being resolved, and the
//! type of a resolved expression (a number of some dimension, or a condition).

use std::collections::BTreeMap;

use crate::lang::ast::{Expr, FuncDef};
use crate::lang::checked::{ExtRef, Param, Reduction, Var};
use crate::lang::error::{ErrorKind, LangError, Sources};
use crate::lang::span::Span;
use crate::lang::symbolic::RExpr;
use crate::lang::units::Dim;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Ty {
    Num(Dim),
    /// A number of any dimension: ANNarchy syntax, the literal 0, and pre/post values.
    Any,
    Bool,
}

impl Ty {
    pub(super) fn describe(self) -> String {
        match self {
            Ty::Num(d) => format!("a number in {d}"),
            Ty::Any => "a number".into(),
            Ty::Bool => "a condition (true/false)".into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ctx {
    Param,
    Equation,
    Ode,
    Threshold,
    Statement,
    Init,
    OnPre,
    OnPost,
    Refractory,
    Delay,
}

#[derive(Clone, Debug)]
pub(super) enum Decl0 {
    Param(u32),
    Var(u32),
    Subexpr(usize),
}

pub(super) struct Checker<'a> {
    pub(super) src: &'a Sources,
    pub(super) synapse: bool,
    pub(super) brian: bool,
    pub(super) params: Vec<Param>,
    pub(super) vars: Vec<Var>,
    pub(super) names: BTreeMap<String, Decl0>,
    pub(super) subexprs: Vec<(String, Expr, Dim, Span)>,
    pub(super) subexpr_done: Vec<Option<(RExpr, Ty)>>,
    pub(super) subexpr_stack: Vec<usize>,
    pub(super) functions: BTreeMap<String, &'a FuncDef>,
    pub(super) fn_stack: Vec<String>,
    pub(super) bindings: Vec<BTreeMap<String, (RExpr, Ty)>>,
    pub(super) ext: Vec<ExtRef>,
    pub(super) noise: Vec<String>,
    /// Depth of the expression being resolved (through functions and subexpressions).
    pub(super) depth: usize,
    /// Population reductions may be written here (a neuron model's threshold and reset).
    pub(super) pop_ok: bool,
    /// The population reductions used so far.
    pub(super) pops: Vec<Reduction>,
}

impl<'a> Checker<'a> {
    pub(super) fn err(
        &self,
        kind: ErrorKind,
        span: Span,
        msg: impl Into<String>,
        allowed: impl Into<String>,
    ) -> LangError {
        self.src.error(kind, span, msg, allowed)
    }

    pub(super) fn any_num(&self) -> Ty {
        if self.brian {
            Ty::Num(Dim::ONE)
        } else {
            Ty::Any
        }
    }
}

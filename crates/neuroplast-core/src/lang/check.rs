//! Checking: resolve every name, inline subexpressions and user functions, check types
//! (numbers vs conditions) and, in Brian2 syntax, physical dimensions. The result is a
//! [`Checked`] model whose expressions refer to parameters and variables by index.

use std::collections::BTreeMap;

use super::ast::*;
use super::checked::{Checked, Equation, ExtRef, Param, RStmt, Refractory, Target, Var, VarKind};
use super::error::{nearest, ErrorKind, LangError, LangResult, Sources};
use super::fold::eval_const;
use super::method::{Method, METHODS_ALLOWED};
use super::span::{Field, Span, Syntax};
use super::symbolic::{Builtin, Func, RExpr, UnOp};
use super::units::{self, Dim};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ty {
    Num(Dim),
    /// A number of any dimension: ANNarchy syntax, the literal 0, and pre/post values.
    Any,
    Bool,
}

impl Ty {
    fn describe(self) -> String {
        match self {
            Ty::Num(d) => format!("a number in {d}"),
            Ty::Any => "a number".into(),
            Ty::Bool => "a condition (true/false)".into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
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
enum Decl0 {
    Param(u32),
    Var(u32),
    Subexpr(usize),
}

struct Checker<'a> {
    src: &'a Sources,
    synapse: bool,
    brian: bool,
    params: Vec<Param>,
    vars: Vec<Var>,
    names: BTreeMap<String, Decl0>,
    subexprs: Vec<(String, Expr, Dim, Span)>,
    subexpr_done: Vec<Option<(RExpr, Ty)>>,
    subexpr_stack: Vec<usize>,
    functions: BTreeMap<String, &'a FuncDef>,
    fn_stack: Vec<String>,
    bindings: Vec<BTreeMap<String, (RExpr, Ty)>>,
    ext: Vec<ExtRef>,
    noise: Vec<String>,
    /// Depth of the expression being resolved (through functions and subexpressions).
    depth: usize,
}

/// Deepest resolved expression (after inlining functions and subexpressions).
const MAX_DEPTH: usize = 400;
/// Largest resolved expression, in nodes.
const MAX_NODES: usize = 50_000;

fn size_and_depth(e: &RExpr) -> (usize, usize) {
    // iterative: the sizes are only bounded after this check
    let mut stack = vec![(e, 1usize)];
    let (mut size, mut depth) = (0, 0);
    while let Some((x, d)) = stack.pop() {
        size += 1;
        depth = depth.max(d);
        if size > MAX_NODES {
            break;
        }
        match x {
            RExpr::Un(_, a) => stack.push((a, d + 1)),
            RExpr::Bin(_, a, b) => {
                stack.push((a, d + 1));
                stack.push((b, d + 1));
            }
            RExpr::Select(c, a, b) => {
                stack.push((c, d + 1));
                stack.push((a, d + 1));
                stack.push((b, d + 1));
            }
            RExpr::Call(_, args) => stack.extend(args.iter().map(|a| (a, d + 1))),
            _ => {}
        }
    }
    (size, depth)
}

const BUILTIN_NAMES_NEURON: [&str; 6] = ["t", "dt", "i", "I_ext", "xi", "pi"];
const BUILTIN_NAMES_SYNAPSE: [&str; 9] =
    ["t", "dt", "i", "j", "t_pre", "t_post", "delay", "xi", "pi"];

fn is_noise_name(n: &str) -> bool {
    n == "xi" || n.strip_prefix("xi_").is_some_and(|s| !s.is_empty())
}

impl<'a> Checker<'a> {
    fn err(
        &self,
        kind: ErrorKind,
        span: Span,
        msg: impl Into<String>,
        allowed: impl Into<String>,
    ) -> LangError {
        self.src.error(kind, span, msg, allowed)
    }

    fn any_num(&self) -> Ty {
        if self.brian {
            Ty::Num(Dim::ONE)
        } else {
            Ty::Any
        }
    }

    fn known_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.names.keys().cloned().collect();
        for b in self.bindings.iter().flat_map(|m| m.keys()) {
            v.push(b.clone());
        }
        let builtins: &[&str] = if self.synapse {
            &BUILTIN_NAMES_SYNAPSE
        } else {
            &BUILTIN_NAMES_NEURON
        };
        v.extend(builtins.iter().map(|s| s.to_string()));
        v
    }

    fn unknown(&self, name: &str, span: Span, ctx: Ctx) -> LangError {
        let known = self.known_names();
        let near = nearest(name, known.iter().map(|s| s.as_str()), 3);
        let what = match ctx {
            Ctx::Param => "a number, a unit, an earlier parameter or pi",
            _ if self.synapse && self.brian => {
                "a parameter or variable of this synapse, x_pre / x_post for neuron values, or a built-in name"
            }
            _ if self.synapse => {
                "a parameter or variable of this synapse, pre.x / post.x for neuron values, or a built-in name"
            }
            _ => "a parameter, variable or function of this model, or a built-in name (t, dt, i, I_ext, xi, pi)",
        };
        let allowed = if near.is_empty() {
            what.to_string()
        } else {
            format!("{what}; nearest: {}", near.join(", "))
        };
        self.err(
            ErrorKind::UnknownName,
            span,
            format!("unknown name `{name}`"),
            allowed,
        )
    }

    fn ext_ref(&mut self, scope: Scope, name: &str, span: Span, write: bool) -> u32 {
        if let Some(k) = self
            .ext
            .iter()
            .position(|e| e.scope == scope && e.name == name)
        {
            let e = &mut self.ext[k];
            e.read |= !write;
            e.written |= write;
            return k as u32;
        }
        self.ext.push(ExtRef {
            scope,
            name: name.to_string(),
            read: !write,
            written: write,
            write_dim: None,
            span,
        });
        (self.ext.len() - 1) as u32
    }

    fn name(&mut self, name: &str, scope: Scope, span: Span, ctx: Ctx) -> LangResult<(RExpr, Ty)> {
        if scope != Scope::Local {
            if !self.synapse {
                return Err(self.err(
                    ErrorKind::UnknownName,
                    span,
                    format!(
                        "`{}.{name}` refers to a neuron of a synapse, but this is a neuron model",
                        if scope == Scope::Pre { "pre" } else { "post" }
                    ),
                    "the names of this model",
                ));
            }
            let k = self.ext_ref(scope, name, span, false);
            return Ok((RExpr::Ext(k), Ty::Any));
        }
        for b in self.bindings.iter().rev() {
            if let Some(x) = b.get(name) {
                return Ok(x.clone());
            }
        }
        if let Some(d) = self.names.get(name).cloned() {
            match d {
                Decl0::Param(p) => {
                    let par = &self.params[p as usize];
                    let ty = if par.boolean {
                        Ty::Bool
                    } else if self.brian {
                        Ty::Num(par.dim)
                    } else {
                        Ty::Any
                    };
                    return Ok((RExpr::Param(p), ty));
                }
                Decl0::Var(v) => {
                    if ctx == Ctx::Param || ctx == Ctx::Delay {
                        return Err(self.err(
                            ErrorKind::Type,
                            span,
                            format!("`{name}` is a variable; this value must be a constant"),
                            "numbers, units and parameters",
                        ));
                    }
                    let ty = if self.brian {
                        Ty::Num(self.vars[v as usize].dim)
                    } else {
                        Ty::Any
                    };
                    return Ok((RExpr::Var(v), ty));
                }
                Decl0::Subexpr(s) => {
                    if ctx == Ctx::Param || ctx == Ctx::Delay {
                        return Err(self.err(
                            ErrorKind::Type,
                            span,
                            format!(
                                "`{name}` is defined by an equation; this value must be a constant"
                            ),
                            "numbers, units and parameters",
                        ));
                    }
                    return self.subexpr(s, span);
                }
            }
        }
        let time_ty = if self.brian {
            Ty::Num(Dim::SECOND)
        } else {
            Ty::Any
        };
        match name {
            "pi" => return Ok((RExpr::Const(std::f64::consts::PI), self.any_num())),
            "inf" => return Ok((RExpr::Const(f64::INFINITY), Ty::Any)),
            "dt" => return Ok((RExpr::Builtin(Builtin::Dt), time_ty)),
            _ => {}
        }
        if ctx != Ctx::Param && ctx != Ctx::Delay {
            match name {
                "t" => return Ok((RExpr::Builtin(Builtin::T), time_ty)),
                "i" => return Ok((RExpr::Builtin(Builtin::I), self.any_num())),
                "I_ext" if !self.synapse => {
                    let ty = if self.brian {
                        Ty::Num(Dim::AMP)
                    } else {
                        Ty::Any
                    };
                    return Ok((RExpr::Builtin(Builtin::IExt), ty));
                }
                "j" if self.synapse => return Ok((RExpr::Builtin(Builtin::J), self.any_num())),
                "t_pre" | "lastspike_pre" if self.synapse => {
                    return Ok((RExpr::Builtin(Builtin::TPre), time_ty))
                }
                "t_post" | "lastspike_post" if self.synapse => {
                    return Ok((RExpr::Builtin(Builtin::TPost), time_ty))
                }
                "delay" if self.synapse => return Ok((RExpr::Builtin(Builtin::Delay), time_ty)),
                _ => {}
            }
            if is_noise_name(name) {
                if ctx != Ctx::Ode {
                    return Err(self.err(
                        ErrorKind::Unsupported,
                        span,
                        format!("white noise `{name}` can only appear in a differential equation"),
                        "xi in dx/dt = … (Euler–Maruyama); rand() or randn() elsewhere",
                    ));
                }
                let k = match self.noise.iter().position(|n| n == name) {
                    Some(k) => k,
                    None => {
                        self.noise.push(name.to_string());
                        self.noise.len() - 1
                    }
                };
                let ty = if self.brian {
                    Ty::Num(Dim::SECOND.pow(-0.5).unwrap_or(Dim::ONE))
                } else {
                    Ty::Any
                };
                return Ok((RExpr::Noise(k as u32), ty));
            }
        }
        if self.brian {
            if let Some(u) = units::unit(name) {
                return Ok((RExpr::Const(u.value()), Ty::Num(u.dim)));
            }
            if self.synapse && ctx != Ctx::Param && ctx != Ctx::Delay {
                for (suffix, sc) in [("_post", Scope::Post), ("_pre", Scope::Pre)] {
                    if let Some(stem) = name.strip_suffix(suffix).filter(|s| !s.is_empty()) {
                        let k = self.ext_ref(sc, stem, span, false);
                        return Ok((RExpr::Ext(k), Ty::Any));
                    }
                }
                // Brian2: a name that is not the synapse's refers to the postsynaptic group
                let k = self.ext_ref(Scope::Post, name, span, false);
                return Ok((RExpr::Ext(k), Ty::Any));
            }
        } else if !self.synapse && ctx != Ctx::Param && name.starts_with("g_") && name.len() > 2 {
            // ANNarchy: a conductance used but not defined is a receptor target, reset each step
            self.vars.push(Var {
                name: name.to_string(),
                dim: Dim::ONE,
                kind: VarKind::Implicit,
                init: None,
                min: None,
                max: None,
                method: None,
                unless_refractory: false,
                event_driven: false,
                constant: false,
                span,
            });
            let v = (self.vars.len() - 1) as u32;
            self.names.insert(name.to_string(), Decl0::Var(v));
            return Ok((RExpr::Var(v), Ty::Any));
        }
        Err(self.unknown(name, span, ctx))
    }

    fn subexpr(&mut self, s: usize, span: Span) -> LangResult<(RExpr, Ty)> {
        if let Some(done) = &self.subexpr_done[s] {
            return Ok(done.clone());
        }
        if self.subexpr_stack.contains(&s) {
            let names: Vec<&str> = self
                .subexpr_stack
                .iter()
                .map(|&k| self.subexprs[k].0.as_str())
                .collect();
            return Err(self.err(
                ErrorKind::Duplicate,
                span,
                format!(
                    "subexpressions refer to each other in a cycle: {} → {}",
                    names.join(" → "),
                    self.subexprs[s].0
                ),
                "definitions that can be evaluated in some order",
            ));
        }
        self.subexpr_stack.push(s);
        let (name, expr, dim, dspan) = self.subexprs[s].clone();
        let (e, t) = self.expr(&expr, Ctx::Equation)?;
        self.subexpr_stack.pop();
        if let Ty::Num(d) = t {
            if d != dim {
                return Err(self.units_error(
                    expr.span,
                    &format!("`{name}` is declared in"),
                    dim,
                    d,
                ));
            }
        }
        if t == Ty::Bool {
            return Err(self.err(
                ErrorKind::Type,
                dspan,
                format!("`{name}` is a condition, not a number"),
                "a numeric expression",
            ));
        }
        let out = (e, Ty::Num(dim));
        self.subexpr_done[s] = Some(out.clone());
        Ok(out)
    }

    fn units_error(&self, span: Span, what: &str, want: Dim, got: Dim) -> LangError {
        self.err(
            ErrorKind::Units,
            span,
            format!("units do not match: {what} {want}, the right side is {got}"),
            format!("an expression in {want}"),
        )
    }

    fn expect_num(&self, t: Ty, span: Span, what: &str) -> LangResult<()> {
        if t == Ty::Bool {
            return Err(self.err(
                ErrorKind::Type,
                span,
                format!("{what} must be a number, this is a condition"),
                "a numeric expression (a condition counts only in `if` and as a threshold)",
            ));
        }
        Ok(())
    }

    fn expect_bool(&self, t: Ty, span: Span, what: &str) -> LangResult<()> {
        if t != Ty::Bool {
            return Err(self.err(
                ErrorKind::Type,
                span,
                format!(
                    "{what} must be a condition (true/false), this is {}",
                    t.describe()
                ),
                "a comparison such as v > v_thresh, combined with and / or / not",
            ));
        }
        Ok(())
    }

    /// Both sides of `+`, `-`, a comparison, `min`… must have the same dimension.
    fn same_dim(&self, a: Ty, b: Ty, span: Span, what: &str) -> LangResult<Ty> {
        match (a, b) {
            (Ty::Num(x), Ty::Num(y)) if x != y => Err(self.err(
                ErrorKind::Units,
                span,
                format!("units do not match in {what}: left side is {x}, right side is {y}"),
                "quantities of the same dimension on both sides",
            )),
            (Ty::Num(x), _) | (_, Ty::Num(x)) => Ok(Ty::Num(x)),
            _ => Ok(Ty::Any),
        }
    }

    fn dimensionless(&self, t: Ty, span: Span, what: &str) -> LangResult<()> {
        if let Ty::Num(d) = t {
            if !d.is_one() {
                return Err(self.err(
                    ErrorKind::Units,
                    span,
                    format!("{what} needs a dimensionless argument, this is {d}"),
                    "a dimensionless expression (divide by a unit, e.g. v/mV)",
                ));
            }
        }
        Ok(())
    }

    fn expr(&mut self, e: &Expr, ctx: Ctx) -> LangResult<(RExpr, Ty)> {
        self.depth += 1;
        let r = if self.depth > MAX_DEPTH {
            Err(self.err(
                ErrorKind::Unsupported,
                e.span,
                format!("the expression is nested more than {MAX_DEPTH} levels deep once functions and subexpressions are substituted"),
                "flatter definitions",
            ))
        } else {
            self.expr_inner(e, ctx)
        };
        self.depth -= 1;
        let (r, t) = r?;
        let (size, depth) = size_and_depth(&r);
        if size > MAX_NODES || depth > MAX_DEPTH {
            return Err(self.err(
                ErrorKind::Unsupported,
                e.span,
                format!("the expression grows beyond {MAX_NODES} operations or {MAX_DEPTH} levels once functions and subexpressions are substituted"),
                "smaller definitions",
            ));
        }
        Ok((r, t))
    }

    fn expr_inner(&mut self, e: &Expr, ctx: Ctx) -> LangResult<(RExpr, Ty)> {
        let span = e.span;
        Ok(match &e.kind {
            ExprKind::Num(x) => {
                let ty = if self.brian && *x != 0.0 {
                    Ty::Num(Dim::ONE)
                } else {
                    Ty::Any
                };
                (RExpr::Const(*x), ty)
            }
            ExprKind::Bool(b) => (RExpr::Bool(*b), Ty::Bool),
            ExprKind::Name(n, scope) => self.name(n, *scope, span, ctx)?,
            ExprKind::Neg(a) => {
                let (a, t) = self.expr(a, ctx)?;
                self.expect_num(t, span, "the operand of `-`")?;
                (RExpr::neg(a), t)
            }
            ExprKind::Not(a) => {
                let (a, t) = self.expr(a, ctx)?;
                self.expect_bool(t, span, "the operand of `not`")?;
                (RExpr::Un(UnOp::Not, Box::new(a)), Ty::Bool)
            }
            ExprKind::Bin(op, a, b) => {
                let (ra, ta) = self.expr(a, ctx)?;
                let (rb, tb) = self.expr(b, ctx)?;
                let ty = match op {
                    BinOp::And | BinOp::Or => {
                        self.expect_bool(
                            ta,
                            a.span,
                            &format!("the left side of `{}`", op.symbol()),
                        )?;
                        self.expect_bool(
                            tb,
                            b.span,
                            &format!("the right side of `{}`", op.symbol()),
                        )?;
                        Ty::Bool
                    }
                    _ => {
                        self.expect_num(
                            ta,
                            a.span,
                            &format!("the left side of `{}`", op.symbol()),
                        )?;
                        self.expect_num(
                            tb,
                            b.span,
                            &format!("the right side of `{}`", op.symbol()),
                        )?;
                        match op {
                            BinOp::Add | BinOp::Sub => {
                                self.same_dim(ta, tb, span, &format!("`{}`", op.symbol()))?
                            }
                            BinOp::Mod => self.same_dim(ta, tb, span, "`%`")?,
                            o if o.is_comparison() => {
                                self.same_dim(
                                    ta,
                                    tb,
                                    span,
                                    &format!("the comparison `{}`", o.symbol()),
                                )?;
                                Ty::Bool
                            }
                            BinOp::Mul | BinOp::Div => match (ta, tb) {
                                (Ty::Num(x), Ty::Num(y)) => Ty::Num(if *op == BinOp::Mul {
                                    x.mul(y)
                                } else {
                                    x.div(y)
                                }),
                                (Ty::Num(x), Ty::Any) if self.brian && *op == BinOp::Mul => {
                                    Ty::Num(x)
                                }
                                (Ty::Any, Ty::Num(y)) if self.brian && *op == BinOp::Mul => {
                                    Ty::Num(y)
                                }
                                (Ty::Num(x), Ty::Any) if self.brian => Ty::Num(x),
                                _ => Ty::Any,
                            },
                            BinOp::Pow => self.pow_ty(ta, tb, &rb, b.span)?,
                            _ => Ty::Any,
                        }
                    }
                };
                (RExpr::bin(*op, ra, rb), ty)
            }
            ExprKind::Cond(c, a, b) => {
                let (rc, tc) = self.expr(c, ctx)?;
                self.expect_bool(tc, c.span, "the condition of `if`")?;
                let (ra, ta) = self.expr(a, ctx)?;
                let (rb, tb) = self.expr(b, ctx)?;
                let ty = if ta == Ty::Bool || tb == Ty::Bool {
                    if ta != tb {
                        return Err(self.err(
                            ErrorKind::Type,
                            span,
                            "the two branches of `if` must both be numbers or both conditions",
                            "numbers in both branches",
                        ));
                    }
                    Ty::Bool
                } else {
                    self.same_dim(ta, tb, span, "the two branches of `if`")?
                };
                (RExpr::Select(Box::new(rc), Box::new(ra), Box::new(rb)), ty)
            }
            ExprKind::Call(name, args) => self.call(name, args, span, ctx)?,
        })
    }

    fn pow_ty(&self, ta: Ty, tb: Ty, exponent: &RExpr, span: Span) -> LangResult<Ty> {
        self.dimensionless(tb, span, "an exponent")?;
        match ta {
            Ty::Num(d) if !d.is_one() => {
                let Some(p) = self.const_value(exponent) else {
                    return Err(self.err(
                        ErrorKind::Units,
                        span,
                        format!("a quantity in {d} can only be raised to a constant power"),
                        "a number or parameter as the exponent",
                    ));
                };
                match d.pow(p) {
                    Some(r) => Ok(Ty::Num(r)),
                    None => Err(self.err(
                        ErrorKind::Units,
                        span,
                        format!("{d} to the power {p} is not a physical dimension"),
                        "whole or half powers",
                    )),
                }
            }
            t => Ok(t),
        }
    }

    /// The value of a constant expression (numbers, units, parameter defaults).
    fn const_value(&self, e: &RExpr) -> Option<f64> {
        eval_const(e, &|p| self.params.get(p as usize).map(|p| p.default))
    }

    fn call(&mut self, name: &str, args: &[Expr], span: Span, ctx: Ctx) -> LangResult<(RExpr, Ty)> {
        // user functions first
        if let Some(def) = self.functions.get(name).copied() {
            if def.args.len() != args.len() {
                return Err(self.err(
                    ErrorKind::Type,
                    span,
                    format!(
                        "`{name}` takes {} argument(s), {} given",
                        def.args.len(),
                        args.len()
                    ),
                    format!("{name}({})", def.args.join(", ")),
                ));
            }
            if self.fn_stack.iter().any(|f| f == name) {
                return Err(self.err(
                    ErrorKind::Unsupported,
                    span,
                    format!("`{name}` calls itself (directly or through other functions)"),
                    "functions that do not recurse",
                ));
            }
            let mut bound = BTreeMap::new();
            for (a, an) in args.iter().zip(&def.args) {
                bound.insert(an.clone(), self.expr(a, ctx)?);
            }
            self.fn_stack.push(name.to_string());
            let saved = std::mem::take(&mut self.bindings);
            self.bindings.push(bound);
            let r = self.expr(&def.body, ctx);
            self.bindings = saved;
            self.fn_stack.pop();
            return r;
        }
        let alias = match name {
            "pos" | "positive" => Some(Func::Max),
            "neg" | "negative" => Some(Func::Min),
            _ => None,
        };
        if let Some(f) = alias {
            if args.len() != 1 {
                return Err(self.err(
                    ErrorKind::Type,
                    span,
                    format!("`{name}` takes 1 argument, {} given", args.len()),
                    format!("{name}(x)"),
                ));
            }
            let (a, t) = self.expr(&args[0], ctx)?;
            self.expect_num(t, args[0].span, &format!("the argument of `{name}`"))?;
            return Ok((RExpr::Call(f, vec![a, RExpr::Const(0.0)]), t));
        }
        if name == "pow" {
            if args.len() != 2 {
                return Err(self.err(
                    ErrorKind::Type,
                    span,
                    format!("`pow` takes 2 arguments, {} given", args.len()),
                    "pow(x, y)",
                ));
            }
            let (a, ta) = self.expr(&args[0], ctx)?;
            let (b, tb) = self.expr(&args[1], ctx)?;
            self.expect_num(ta, args[0].span, "the base of `pow`")?;
            self.expect_num(tb, args[1].span, "the exponent of `pow`")?;
            let t = self.pow_ty(ta, tb, &b, args[1].span)?;
            return Ok((RExpr::bin(BinOp::Pow, a, b), t));
        }
        let Some(&(_, f, arity)) = Func::TABLE.iter().find(|t| t.0 == name) else {
            let mut known: Vec<&str> = Func::TABLE.iter().map(|t| t.0).collect();
            known.extend(["pow", "pos", "neg"]);
            known.extend(self.functions.keys().map(|s| s.as_str()));
            let near = nearest(name, known.iter().copied(), 3);
            let allowed = if near.is_empty() {
                "a built-in function (exp, log, sqrt, pow, abs, clip, min, max, sin, cos, tanh, floor, heaviside, rand, …) or one defined in `functions`".to_string()
            } else {
                format!(
                    "a built-in function or one defined in `functions`; nearest: {}",
                    near.join(", ")
                )
            };
            return Err(self.err(
                ErrorKind::UnknownName,
                span,
                format!("unknown function `{name}`"),
                allowed,
            ));
        };
        if args.len() != arity {
            return Err(self.err(
                ErrorKind::Type,
                span,
                format!("`{name}` takes {arity} argument(s), {} given", args.len()),
                format!("{name} with {arity} argument(s)"),
            ));
        }
        if f.is_random() && (ctx == Ctx::Param || ctx == Ctx::Delay) {
            return Err(self.err(
                ErrorKind::Type,
                span,
                format!("`{name}()` draws a random number; this value must be a constant"),
                "numbers, units and parameters; rand() belongs in init, equations or statements",
            ));
        }
        let mut rargs = Vec::new();
        let mut tys = Vec::new();
        for a in args {
            let (r, t) = self.expr(a, ctx)?;
            self.expect_num(t, a.span, &format!("an argument of `{name}`"))?;
            rargs.push(r);
            tys.push(t);
        }
        let one = self.any_num();
        let ty = match f {
            Func::Rand | Func::Randn => one,
            Func::Sqrt => match tys[0] {
                Ty::Num(d) => Ty::Num(d.pow(0.5).ok_or_else(|| {
                    self.err(
                        ErrorKind::Units,
                        span,
                        format!("the square root of {d} is not a physical dimension"),
                        "a quantity whose dimension has even powers",
                    )
                })?),
                t => t,
            },
            Func::Abs | Func::Floor | Func::Ceil | Func::Trunc => tys[0],
            Func::Clip => {
                let t = self.same_dim(tys[0], tys[1], span, "`clip` (value and lower bound)")?;
                self.same_dim(t, tys[2], span, "`clip` (value and upper bound)")?
            }
            Func::Min | Func::Max | Func::Uniform | Func::Normal => {
                self.same_dim(tys[0], tys[1], span, &format!("`{name}`"))?
            }
            Func::Heaviside | Func::Sign => one,
            _ => {
                self.dimensionless(tys[0], args[0].span, &format!("`{name}`"))?;
                one
            }
        };
        Ok((RExpr::Call(f, rargs), ty))
    }

    fn flag_value(&mut self, flag: &Flag, ctx: Ctx) -> LangResult<RExpr> {
        let Some(v) = &flag.value else {
            return Err(self.err(
                ErrorKind::Syntax,
                flag.span,
                format!("`{}` needs a value: {}=…", flag.name, flag.name),
                "init=-65.0, min=0.0, max=10.0",
            ));
        };
        let (e, t) = self.expr(v, ctx)?;
        self.expect_num(t, v.span, &format!("the value of `{}`", flag.name))?;
        Ok(e)
    }
}

/// Check a parsed model.
pub fn check(src: &Sources, ast: &ModelAst, synapse: bool) -> LangResult<Checked> {
    let brian = ast.syntax == Syntax::Brian2;
    let mut c = Checker {
        src,
        synapse,
        brian,
        params: Vec::new(),
        vars: Vec::new(),
        names: BTreeMap::new(),
        subexprs: Vec::new(),
        subexpr_done: Vec::new(),
        subexpr_stack: Vec::new(),
        functions: BTreeMap::new(),
        fn_stack: Vec::new(),
        bindings: Vec::new(),
        ext: Vec::new(),
        noise: Vec::new(),
        depth: 0,
    };
    let reserved = |n: &str| -> bool {
        [
            "t",
            "dt",
            "i",
            "j",
            "xi",
            "I_ext",
            "t_pre",
            "t_post",
            "pi",
            "inf",
            "delay",
            "lastspike_pre",
            "lastspike_post",
        ]
        .contains(&n)
            || is_noise_name(n)
    };
    let reserved_err = |c: &Checker, n: &str, span: Span| {
        c.err(
            ErrorKind::Duplicate,
            span,
            format!("`{n}` is a built-in name and cannot be redefined"),
            "another name (built-ins: t, dt, i, j, I_ext, xi, t_pre, t_post, delay, pi, inf)",
        )
    };
    // ---- functions
    for f in &ast.functions {
        if reserved(&f.name)
            || Func::TABLE.iter().any(|t| t.0 == f.name)
            || ["pow", "pos", "neg", "positive", "negative"].contains(&f.name.as_str())
        {
            return Err(c.err(
                ErrorKind::Duplicate,
                f.name_span,
                format!("`{}` is a built-in function or name", f.name),
                "another name for your function",
            ));
        }
        if c.functions.insert(f.name.clone(), f).is_some() {
            return Err(c.err(
                ErrorKind::Duplicate,
                f.name_span,
                format!("function `{}` is defined twice", f.name),
                "one definition per function",
            ));
        }
    }
    // ---- parameters, in order
    for p in &ast.params {
        if reserved(&p.name) {
            return Err(reserved_err(&c, &p.name, p.name_span));
        }
        if c.names.contains_key(&p.name) {
            return Err(c.err(
                ErrorKind::Duplicate,
                p.name_span,
                format!("parameter `{}` is defined twice", p.name),
                "one definition per name",
            ));
        }
        let (e, t) = c.expr(&p.value, Ctx::Param)?;
        let mut population = false;
        let mut boolean = t == Ty::Bool;
        for f in &p.flags {
            match f.name.as_str() {
                "population" | "projection" | "shared" => population = true,
                "postsynaptic" | "semiglobal" | "local" | "float" | "int" | "constant" => {}
                "bool" => boolean = true,
                other => {
                    return Err(c.err(
                        ErrorKind::Unsupported,
                        f.span,
                        format!("unknown parameter flag `{other}`"),
                        "population, postsynaptic, int, bool, float",
                    ));
                }
            }
        }
        let default = c.const_value(&e).ok_or_else(|| {
            c.err(
                ErrorKind::Type,
                p.value.span,
                format!("the value of `{}` is not a constant", p.name),
                "numbers, units and earlier parameters",
            )
        })?;
        if !default.is_finite() {
            return Err(c.err(
                ErrorKind::Value,
                p.value.span,
                format!("`{}` = {default} is not a finite number", p.name),
                "a finite value",
            ));
        }
        let dim = match t {
            Ty::Num(d) => d,
            _ => Dim::ONE,
        };
        c.params.push(Param {
            name: p.name.clone(),
            expr: e,
            default,
            dim,
            population,
            boolean,
            span: p.name_span,
        });
        c.names
            .insert(p.name.clone(), Decl0::Param((c.params.len() - 1) as u32));
    }
    // ---- equations, first pass: names, units, flags
    let mut order: Vec<(usize, Option<u32>)> = Vec::new(); // decl index, var id (None: subexpr)
    for (k, d) in ast.decls.iter().enumerate() {
        if reserved(&d.name) {
            return Err(reserved_err(&c, &d.name, d.name_span));
        }
        if let Some(prev) = c.names.get(&d.name) {
            if let (Decl0::Param(p), DeclKind::Ode(_)) = (prev, &d.kind) {
                let pline = {
                    let e = src.error(ErrorKind::Duplicate, c.params[*p as usize].span, "", "");
                    e.line
                };
                return Err(c.err(
                    ErrorKind::OdeForParameter,
                    d.name_span,
                    format!("`{}` is a parameter (parameters, line {pline}) and cannot have a differential equation", d.name),
                    format!("remove `{}` from parameters and give its initial value with {}", d.name, if brian { "the init field" } else { "init=…" }),
                ));
            }
            let what = match prev {
                Decl0::Param(_) => "a parameter",
                _ => "a variable",
            };
            return Err(c.err(
                ErrorKind::Duplicate,
                d.name_span,
                format!("`{}` is defined twice (it is already {what})", d.name),
                "one definition per name",
            ));
        }
        let dim = match &d.unit {
            Some(u) if brian => unit_dim(&c, u)?,
            Some(u) => {
                return Err(c.err(
                    ErrorKind::Unsupported,
                    u.span,
                    "units are Brian2 syntax",
                    "ANNarchy flags: init=…, min=…, max=…, method=…",
                ));
            }
            None if brian => {
                return Err(c.err(
                    ErrorKind::Syntax,
                    d.span,
                    format!("`{}` needs a unit after `:`", d.name),
                    "dx/dt = … : volt, x = … : amp, x : 1",
                ));
            }
            None => Dim::ONE,
        };
        let kind = match &d.kind {
            DeclKind::Ode(_) => Some(VarKind::Ode),
            DeclKind::Assign(..) => Some(VarKind::Assigned),
            DeclKind::Plain => Some(VarKind::Plain),
            DeclKind::Subexpr(e) => {
                c.subexprs
                    .push((d.name.clone(), e.clone(), dim, d.name_span));
                c.subexpr_done.push(None);
                c.names
                    .insert(d.name.clone(), Decl0::Subexpr(c.subexprs.len() - 1));
                None
            }
        };
        let Some(kind) = kind else {
            if let Some(f) = d.flags.first() {
                return Err(c.err(
                    ErrorKind::Unsupported,
                    f.span,
                    format!("flag `{}` is not allowed on a subexpression", f.name),
                    "no flags on x = … : unit",
                ));
            }
            order.push((k, None));
            continue;
        };
        c.vars.push(Var {
            name: d.name.clone(),
            dim,
            kind,
            init: None,
            min: None,
            max: None,
            method: None,
            unless_refractory: false,
            event_driven: false,
            constant: false,
            span: d.name_span,
        });
        let v = (c.vars.len() - 1) as u32;
        c.names.insert(d.name.clone(), Decl0::Var(v));
        order.push((k, Some(v)));
    }
    // flags (after all names exist: init= may use parameters only)
    for &(k, v) in &order {
        let Some(v) = v else { continue };
        let d = &ast.decls[k];
        for f in &d.flags {
            let ode = c.vars[v as usize].kind == VarKind::Ode;
            let name = f.name.as_str();
            let as_method = Method::parse(name);
            match name {
                "unless refractory" if brian && !synapse => {
                    c.vars[v as usize].unless_refractory = true
                }
                "event-driven" if synapse && ode => c.vars[v as usize].event_driven = true,
                "clock-driven" if synapse && ode => {}
                "constant" if brian && c.vars[v as usize].kind == VarKind::Plain => {
                    c.vars[v as usize].constant = true
                }
                "init" if !brian => {
                    let e = c.flag_value(f, Ctx::Param)?;
                    c.vars[v as usize].init = Some(e);
                }
                "min" if !brian => {
                    let e = c.flag_value(f, Ctx::Threshold)?;
                    c.vars[v as usize].min = Some(e);
                }
                "max" if !brian => {
                    let e = c.flag_value(f, Ctx::Threshold)?;
                    c.vars[v as usize].max = Some(e);
                }
                "method" if !brian && ode => {
                    let Some(Expr {
                        kind: ExprKind::Name(m, _),
                        span,
                    }) = &f.value
                    else {
                        return Err(c.err(
                            ErrorKind::Method,
                            f.span,
                            "method needs a name: method=midpoint",
                            METHODS_ALLOWED,
                        ));
                    };
                    if m == "event-driven" || m == "event_driven" {
                        if !synapse {
                            return Err(c.err(
                                ErrorKind::Method,
                                *span,
                                "event-driven integration is for synapse variables",
                                METHODS_ALLOWED,
                            ));
                        }
                        c.vars[v as usize].event_driven = true;
                        continue;
                    }
                    let Some(m) = Method::parse(m) else {
                        return Err(c.err(
                            ErrorKind::Method,
                            *span,
                            format!("unknown method `{m}`"),
                            METHODS_ALLOWED,
                        ));
                    };
                    c.vars[v as usize].method = Some((m, *span));
                }
                "event-driven" | "event_driven" if !brian && synapse && ode => {
                    c.vars[v as usize].event_driven = true
                }
                _ if !brian && ode && as_method.is_some() => {
                    c.vars[v as usize].method = as_method.map(|m| (m, f.span));
                }
                "population" | "postsynaptic" | "semiglobal" | "local" | "float" | "int"
                    if !brian => {}
                "locality" if !brian => {}
                "shared" | "linked" | "summed" | "constant over dt" if brian => {
                    return Err(c.err(ErrorKind::Unsupported, f.span, format!("the Brian2 flag ({name}) is not supported"), "(unless refractory) on neuron equations, (event-driven) on synapse equations, (constant) on x : unit"));
                }
                _ => {
                    let allowed = match (brian, synapse) {
                        (true, false) => "(unless refractory) on a differential equation, (constant) on x : unit",
                        (true, true) => "(event-driven) or (clock-driven) on a differential equation, (constant) on x : unit",
                        (false, false) => "init=…, min=…, max=…, method=…, population, or a method name (euler, midpoint, rk4, exponential, exact)",
                        (false, true) => "init=…, min=…, max=…, method=…, event-driven, semiglobal, postsynaptic, or a method name",
                    };
                    return Err(c.err(
                        ErrorKind::Unsupported,
                        f.span,
                        format!("flag `{name}` is not allowed here"),
                        allowed,
                    ));
                }
            }
        }
    }
    // ANNarchy: refractoriness holds every variable except the conductances g_*
    if !brian && !synapse && ast.refractory.is_some() {
        for v in c.vars.iter_mut() {
            if !v.name.starts_with("g_") {
                v.unless_refractory = true;
            }
        }
    }
    // ---- equations, second pass: right-hand sides
    let mut eqs = Vec::new();
    for &(k, v) in &order {
        let d = &ast.decls[k];
        match (&d.kind, v) {
            (DeclKind::Ode(rhs), Some(v)) => {
                let (e, t) = c.expr(rhs, Ctx::Ode)?;
                c.expect_num(t, rhs.span, &format!("the right side of d{}/dt", d.name))?;
                if let Ty::Num(got) = t {
                    let want = c.vars[v as usize].dim.div(Dim::SECOND);
                    // with white noise the noise term has its own dimension: checked per term
                    if got != want && !e.any(&|x| matches!(x, RExpr::Noise(_))) {
                        return Err(c.err(
                            ErrorKind::Units,
                            rhs.span,
                            format!(
                                "units do not match: d{}/dt is {}/second, so the right side must be {want}; it is {got}",
                                d.name,
                                c.vars[v as usize].dim
                            ),
                            format!("an expression in {want} (the variable's unit divided by second)"),
                        ));
                    }
                }
                eqs.push(Equation::Ode {
                    var: v,
                    rhs: e,
                    span: d.span,
                });
            }
            (DeclKind::Assign(op, rhs), Some(v)) => {
                let (e, t) = c.expr(rhs, Ctx::Equation)?;
                c.expect_num(t, rhs.span, &format!("the value of {}", d.name))?;
                eqs.push(Equation::Assign {
                    var: v,
                    op: *op,
                    rhs: e,
                    span: d.span,
                });
            }
            (DeclKind::Subexpr(_), None) => {
                if let Some(Decl0::Subexpr(s)) = c.names.get(&d.name).cloned() {
                    c.subexpr(s, d.name_span)?;
                }
            }
            _ => {}
        }
    }
    // ---- threshold, reset, refractory
    let threshold = match &ast.threshold {
        Some(e) => {
            let (r, t) = c.expr(e, Ctx::Threshold)?;
            c.expect_bool(t, e.span, "the threshold")?;
            Some((r, e.span))
        }
        None => None,
    };
    let reset = statements(&mut c, &ast.reset, Ctx::Statement)?;
    let refractory = match &ast.refractory {
        Some(e) => {
            let (r, t) = c.expr(e, Ctx::Refractory)?;
            match t {
                Ty::Bool if brian => Some((Refractory::Until(r), e.span)),
                Ty::Bool => {
                    return Err(c.err(
                        ErrorKind::Type,
                        e.span,
                        "ANNarchy's refractory period is a duration in ms",
                        "a number or a parameter (ms)",
                    ));
                }
                Ty::Num(d) if d != Dim::SECOND => {
                    return Err(c.err(ErrorKind::Units, e.span, format!("the refractory period must be a duration (second) or a condition; this is {d}"), "a duration like 5*ms, or a condition like v > -40*mV"));
                }
                _ => {
                    if r.any(&|x| matches!(x, RExpr::Var(_))) && !brian {
                        return Err(c.err(
                            ErrorKind::Type,
                            e.span,
                            "the refractory period must not depend on state variables",
                            "a number or a parameter (ms)",
                        ));
                    }
                    Some((Refractory::Duration(r), e.span))
                }
            }
        }
        None => None,
    };
    if threshold.is_none() && !synapse {
        if let Some(s) = reset.first() {
            return Err(c.err(
                ErrorKind::Unsupported,
                s.span,
                "a reset without a threshold never runs",
                format!(
                    "add a {} condition",
                    if brian { "threshold" } else { "spike" }
                ),
            ));
        }
        if let Some((_, span)) = &refractory {
            return Err(c.err(
                ErrorKind::Unsupported,
                *span,
                "a refractory period without a threshold never starts",
                format!(
                    "add a {} condition",
                    if brian { "threshold" } else { "spike" }
                ),
            ));
        }
    }
    let init = statements(&mut c, &ast.init, Ctx::Init)?;
    let on_pre = statements(&mut c, &ast.on_pre, Ctx::OnPre)?;
    let on_post = statements(&mut c, &ast.on_post, Ctx::OnPost)?;
    let method = match &ast.method {
        Some((m, span)) => match Method::parse(m) {
            Some(m) => Some((m, *span)),
            None => {
                return Err(c.err(
                    ErrorKind::Method,
                    *span,
                    format!("unknown method `{m}`"),
                    METHODS_ALLOWED,
                ));
            }
        },
        None => None,
    };
    let delay = match &ast.delay {
        Some(e) => {
            let (r, t) = c.expr(e, Ctx::Delay)?;
            if let Ty::Num(d) = t {
                if d != Dim::SECOND {
                    return Err(c.err(
                        ErrorKind::Units,
                        e.span,
                        format!("the delay must be a duration (second); this is {d}"),
                        "a duration like 1.5*ms",
                    ));
                }
            }
            let x = c
                .const_value(&r)
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| {
                    c.err(
                        ErrorKind::Value,
                        e.span,
                        "the delay must be a constant ≥ 0",
                        "a number of ms (ANNarchy) or a duration like 1.5*ms (Brian2)",
                    )
                })?;
            Some(x)
        }
        None => None,
    };
    // synapses: a postsynaptic value that on_pre adds to cannot also be read by on_pre
    if synapse {
        for s in on_pre.iter() {
            if let Target::Ext(k) = s.target {
                let uses = |st: &RStmt| st.value.any(&|x| *x == RExpr::Ext(k));
                if on_pre.iter().any(uses) {
                    let e = &c.ext[k as usize];
                    return Err(c.err(ErrorKind::Unsupported, s.span, format!("on_pre both adds to and reads the postsynaptic `{}`", e.name), "on_pre adds to postsynaptic values or reads them, not both (arrivals of one step are applied together)"));
                }
            }
        }
    }
    let noise = std::mem::take(&mut c.noise);
    if synapse && !noise.is_empty() {
        return Err(c.err(
            ErrorKind::Unsupported,
            ast.decls
                .first()
                .map_or(Span::new(Field::Equations, 0, 0), |d| d.span),
            "white noise in synapse equations is not supported",
            "xi in neuron equations",
        ));
    }
    Ok(Checked {
        sources: src.clone(),
        params: c.params,
        vars: c.vars,
        eqs,
        threshold,
        reset,
        refractory,
        init,
        on_pre,
        on_post,
        ext: c.ext,
        noise,
        method,
        delay,
    })
}

fn unit_dim(c: &Checker, u: &Expr) -> LangResult<Dim> {
    fn go(c: &Checker, e: &Expr) -> LangResult<(Dim, Option<f64>)> {
        match &e.kind {
            ExprKind::Num(x) => Ok((Dim::ONE, Some(*x))),
            ExprKind::Name(n, Scope::Local) => match units::unit(n) {
                Some(u) => Ok((u.dim, None)),
                None => Err(c.err(
                    ErrorKind::Units,
                    e.span,
                    format!("`{n}` is not a unit"),
                    "volt, amp, siemens, farad, ohm, second, hertz, metre, 1 … with SI prefixes (mV, nA, uS, pF, ms), * / and **",
                )),
            },
            ExprKind::Bin(BinOp::Mul, a, b) => {
                let (x, _) = go(c, a)?;
                let (y, _) = go(c, b)?;
                Ok((x.mul(y), None))
            }
            ExprKind::Bin(BinOp::Div, a, b) => {
                let (x, _) = go(c, a)?;
                let (y, _) = go(c, b)?;
                Ok((x.div(y), None))
            }
            ExprKind::Bin(BinOp::Pow, a, b) => {
                let (x, _) = go(c, a)?;
                let p = match &b.kind {
                    ExprKind::Num(p) => *p,
                    ExprKind::Neg(inner) => match inner.kind {
                        ExprKind::Num(p) => -p,
                        _ => f64::NAN,
                    },
                    _ => f64::NAN,
                };
                x.pow(p).map(|d| (d, None)).ok_or_else(|| {
                    c.err(ErrorKind::Units, b.span, "a unit's exponent must be a whole or half number", "metre**2, second**-1, hertz**0.5")
                })
            }
            _ => Err(c.err(ErrorKind::Units, e.span, "not a unit", "volt, amp, siemens, 1, metre**2, siemens/metre**2 …")),
        }
    }
    let (d, num) = go(c, u)?;
    if let Some(x) = num {
        if x != 1.0 {
            return Err(c.err(
                ErrorKind::Units,
                u.span,
                format!("`{x}` is not a unit (dimensionless is written 1)"),
                "1, volt, amp, siemens, …",
            ));
        }
    }
    Ok(d)
}

fn statements(c: &mut Checker, stmts: &[Stmt], ctx: Ctx) -> LangResult<Vec<RStmt>> {
    let mut out = Vec::new();
    for s in stmts {
        let span = s.target_span.to(s.value.span);
        let (value, vt) = c.expr(&s.value, ctx)?;
        c.expect_num(
            vt,
            s.value.span,
            &format!("the value assigned to `{}`", s.target),
        )?;
        if value.any(&|e| matches!(e, RExpr::Builtin(Builtin::IExt))) && ctx != Ctx::Statement {
            return Err(c.err(
                ErrorKind::Unsupported,
                s.value.span,
                "I_ext is only known during a step",
                "I_ext in equations, threshold and reset",
            ));
        }
        // the target
        let local = c.names.get(&s.target).cloned();
        let target_names: Vec<String> = c
            .vars
            .iter()
            .filter(|v| !v.constant && v.kind != VarKind::Implicit)
            .map(|v| v.name.clone())
            .collect();
        let allowed_targets = if target_names.is_empty() {
            "the variables of this model".to_string()
        } else {
            format!("a variable of this model: {}", target_names.join(", "))
        };
        let post_target = |c: &mut Checker, name: &str, scope: Scope| -> LangResult<Target> {
            if !matches!(ctx, Ctx::OnPre | Ctx::OnPost) || scope == Scope::Pre {
                return Err(c.err(ErrorKind::Unsupported, s.target_span, format!("cannot assign `{name}` of the {} neuron here", if scope == Scope::Pre { "presynaptic" } else { "postsynaptic" }), "on_pre / pre_spike may add to postsynaptic variables (ge_post += w, g_target += w)"));
            }
            if ctx == Ctx::OnPost {
                return Err(c.err(
                    ErrorKind::Unsupported,
                    s.target_span,
                    format!("on_post cannot change the postsynaptic `{name}`"),
                    "on_post changes synapse variables",
                ));
            }
            if !matches!(s.op, AssignOp::Add | AssignOp::Sub) {
                return Err(c.err(ErrorKind::Unsupported, s.target_span, format!("a postsynaptic value can only be added to (`{name} += …`), not set with `{}`", s.op.symbol()), "+= or -= (the arrivals of one step add up)"));
            }
            let k = c.ext_ref(Scope::Post, name, s.target_span, true);
            if let Ty::Num(d) = vt {
                c.ext[k as usize].write_dim = Some(d);
            }
            Ok(Target::Ext(k))
        };
        let target = match (s.scope, local) {
            (Scope::Local, Some(Decl0::Var(v))) => {
                let var = &c.vars[v as usize];
                if var.constant {
                    return Err(c.err(
                        ErrorKind::Unsupported,
                        s.target_span,
                        format!("`{}` is declared (constant)", s.target),
                        allowed_targets,
                    ));
                }
                if var.kind == VarKind::Implicit && ctx != Ctx::Statement {
                    return Err(c.err(
                        ErrorKind::Unsupported,
                        s.target_span,
                        format!("`{}` is a receptor target, set by synapses", s.target),
                        allowed_targets,
                    ));
                }
                if let (Ty::Num(want), Ty::Num(got)) = (Ty::Num(var.dim), vt) {
                    if c.brian && want != got {
                        return Err(c.err(
                            ErrorKind::Units,
                            span,
                            format!(
                                "units do not match: `{}` is {want}, the value is {got}",
                                s.target
                            ),
                            format!("a value in {want}"),
                        ));
                    }
                }
                Target::Var(v)
            }
            (Scope::Local, Some(Decl0::Param(_))) => {
                return Err(c.err(
                    ErrorKind::Unsupported,
                    s.target_span,
                    format!(
                        "`{}` is a parameter; parameters do not change during a run",
                        s.target
                    ),
                    allowed_targets,
                ));
            }
            (Scope::Local, Some(Decl0::Subexpr(_))) => {
                return Err(c.err(
                    ErrorKind::Unsupported,
                    s.target_span,
                    format!(
                        "`{}` is defined by an equation and cannot be assigned",
                        s.target
                    ),
                    allowed_targets,
                ));
            }
            (Scope::Local, None) if c.synapse && !c.brian && s.target == "g_target" => {
                post_target(c, "g_target", Scope::Post)?
            }
            (Scope::Local, None)
                if c.synapse && c.brian && matches!(ctx, Ctx::OnPre | Ctx::OnPost) =>
            {
                let (stem, scope) = if let Some(st) =
                    s.target.strip_suffix("_post").filter(|x| !x.is_empty())
                {
                    (st.to_string(), Scope::Post)
                } else if let Some(st) = s.target.strip_suffix("_pre").filter(|x| !x.is_empty()) {
                    (st.to_string(), Scope::Pre)
                } else {
                    (s.target.clone(), Scope::Post)
                };
                post_target(c, &stem, scope)?
            }
            (Scope::Post | Scope::Pre, _) => {
                let name = s.target.clone();
                post_target(c, &name, s.scope)?
            }
            (Scope::Local, None) => {
                let near = nearest(&s.target, target_names.iter().map(|s| s.as_str()), 3);
                let mut allowed = allowed_targets.clone();
                if !near.is_empty() {
                    allowed = format!("{allowed}; nearest: {}", near.join(", "));
                }
                return Err(c.err(
                    ErrorKind::UnknownName,
                    s.target_span,
                    format!("unknown variable `{}`", s.target),
                    allowed,
                ));
            }
        };
        out.push(RStmt {
            target,
            op: s.op,
            value,
            span,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::parse::parse_model;
    use crate::lang::source::ModelSource;

    fn check_src(m: &ModelSource, synapse: bool) -> LangResult<Checked> {
        let src = m.sources("test", synapse)?;
        let ast = parse_model(&src)?;
        check(&src, &ast, synapse)
    }

    #[test]
    fn cuba_checks() {
        let mut m = ModelSource::brian2(
            "dv/dt = (ge+gi-(v-El))/taum : volt (unless refractory)\ndge/dt = -ge/taue : volt\ndgi/dt = -gi/taui : volt",
        );
        m.parameters =
            "taum = 20*ms\ntaue = 5*ms\ntaui = 10*ms\nVt = -50*mV\nVr = -60*mV\nEl = -49*mV".into();
        m.threshold = Some("v > Vt".into());
        m.reset = Some("v = Vr".into());
        m.refractory = Some("5*ms".into());
        let c = check_src(&m, false).unwrap();
        assert_eq!(c.vars.len(), 3);
        assert!(c.vars[0].unless_refractory);
        assert_eq!(c.params[0].default, 20.0);
        assert_eq!(c.params[3].default, -50.0);
    }

    #[test]
    fn unknown_names_list_the_nearest() {
        let mut m = ModelSource::brian2("dv/dt = (El - v)/taum2 : volt");
        m.parameters = "taum = 20*ms\nEl = -49*mV".into();
        let e = check_src(&m, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownName);
        assert_eq!((e.line, e.column), (1, 18));
        assert!(e.allowed.contains("nearest: taum"), "{e}");
    }

    #[test]
    fn wrong_units_name_both_dimensions() {
        let mut m = ModelSource::brian2("dv/dt = (El - v)/taum + I : volt\nI : amp");
        m.parameters = "taum = 20*ms\nEl = -49*mV".into();
        let e = check_src(&m, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Units);
        assert!(e.message.contains("volt/second (m² kg s⁻⁴ A⁻¹)"), "{e}");
        assert!(e.message.contains("amp (A)"), "{e}");
    }

    #[test]
    fn annarchy_implicit_conductances_and_functions() {
        let mut m = ModelSource::annarchy(
            "a = 0.02\nb = 0.2",
            "I = g_exc * nmda(v, -80.0, 60.0)\ndv/dt = 0.04*v*v + 5*v + 140 - u + I : init=-65.0\ndu/dt = a*(b*v - u) : init=-13.0",
        );
        m.functions = "nmda(v, t, s) = ((v-t)/(s))^2 / (1.0 + ((v-t)/(s))^2)".into();
        m.spike = Some("v >= 30.0".into());
        m.reset = Some("v = -65.0\nu += 8.0".into());
        m.refractory = Some("1.0".into());
        let c = check_src(&m, false).unwrap();
        let g = c.vars.iter().find(|v| v.name == "g_exc").unwrap();
        assert_eq!(g.kind, VarKind::Implicit);
        assert!(!g.unless_refractory);
        assert!(
            c.vars
                .iter()
                .find(|v| v.name == "v")
                .unwrap()
                .unless_refractory
        );
    }
}

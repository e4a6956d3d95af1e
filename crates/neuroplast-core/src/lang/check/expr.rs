//! Expressions: operators, conditionals and calls (built-in and user functions, inlined)
//! resolved to [`RExpr`] with their type, within limits on size and depth.

use std::collections::BTreeMap;

use crate::lang::ast::{BinOp, Expr, ExprKind, Flag};
use crate::lang::checked::{ReduceOp, Reduction};
use crate::lang::error::{nearest, ErrorKind, LangResult};
use crate::lang::fold::eval_const;
use crate::lang::span::Span;
use crate::lang::symbolic::{Builtin, Func, RExpr, UnOp};
use crate::lang::units::Dim;

use super::checker::{Checker, Ctx, Ty};

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

impl<'a> Checker<'a> {
    pub(super) fn expr(&mut self, e: &Expr, ctx: Ctx) -> LangResult<(RExpr, Ty)> {
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

    pub(super) fn expr_inner(&mut self, e: &Expr, ctx: Ctx) -> LangResult<(RExpr, Ty)> {
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

    /// The value of a constant expression (numbers, units, parameter defaults).
    pub(super) fn const_value(&self, e: &RExpr) -> Option<f64> {
        eval_const(e, &|p| self.params.get(p as usize).map(|p| p.default))
    }

    pub(super) fn call(
        &mut self,
        name: &str,
        args: &[Expr],
        span: Span,
        ctx: Ctx,
    ) -> LangResult<(RExpr, Ty)> {
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
        let reduce = match (name, args.len()) {
            ("max", 1) => Some(ReduceOp::Max),
            ("min", 1) => Some(ReduceOp::Min),
            ("sum", _) => Some(ReduceOp::Sum),
            ("mean", _) => Some(ReduceOp::Mean),
            _ => None,
        };
        if let Some(op) = reduce {
            return self.reduction(op, args, span, ctx);
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

    /// `max(v)`, `min(v)`, `sum(v)`, `mean(v)` over the population: only written directly in
    /// a neuron model's threshold or reset, of one state variable.
    fn reduction(
        &mut self,
        op: ReduceOp,
        args: &[Expr],
        span: Span,
        ctx: Ctx,
    ) -> LangResult<(RExpr, Ty)> {
        let name = op.name();
        const ALLOWED: &str = "max(x), min(x), sum(x) or mean(x) of a state variable x over the \
             population, written directly in a neuron model's `threshold` or `reset` (max(a, b) \
             and min(a, b) of two values work anywhere)";
        if !self.pop_ok || !self.fn_stack.is_empty() || !self.subexpr_stack.is_empty() {
            let whr = if self.synapse {
                "in a synapse model"
            } else if !self.fn_stack.is_empty() || !self.subexpr_stack.is_empty() {
                "inside a function or subexpression"
            } else {
                "here"
            };
            return Err(self.err(
                ErrorKind::Unsupported,
                span,
                format!("`{name}(…)` of one argument is a population reduction, not allowed {whr}"),
                ALLOWED,
            ));
        }
        if args.len() != 1 {
            return Err(self.err(
                ErrorKind::Type,
                span,
                format!("`{name}` takes 1 argument, {} given", args.len()),
                format!("{name}(x) of a state variable x"),
            ));
        }
        let (r, t) = self.expr(&args[0], ctx)?;
        let RExpr::Var(var) = r else {
            let vars: Vec<&str> = self.vars.iter().map(|v| v.name.as_str()).collect();
            return Err(self.err(
                ErrorKind::Type,
                args[0].span,
                format!(
                    "the argument of the population reduction `{name}` is not a state variable"
                ),
                format!("a state variable of this model: {}", vars.join(", ")),
            ));
        };
        let red = Reduction { op, var };
        let k = match self.pops.iter().position(|p| *p == red) {
            Some(k) => k,
            None => {
                self.pops.push(red);
                self.pops.len() - 1
            }
        };
        Ok((RExpr::Builtin(Builtin::Pop(k as u16)), t))
    }

    pub(super) fn flag_value(&mut self, flag: &Flag, ctx: Ctx) -> LangResult<RExpr> {
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

//! Types and dimensions: numbers vs conditions, matching dimensions (Brian2 syntax) of
//! operands, exponents and assigned values, and the dimension of a declared unit.

use crate::lang::ast::{BinOp, Expr, ExprKind, Scope};
use crate::lang::error::{ErrorKind, LangError, LangResult};
use crate::lang::span::Span;
use crate::lang::symbolic::RExpr;
use crate::lang::units::{self, Dim};

use super::checker::{Checker, Ty};

impl<'a> Checker<'a> {
    pub(super) fn units_error(&self, span: Span, what: &str, want: Dim, got: Dim) -> LangError {
        self.err(
            ErrorKind::Units,
            span,
            format!("units do not match: {what} {want}, the right side is {got}"),
            format!("an expression in {want}"),
        )
    }

    pub(super) fn expect_num(&self, t: Ty, span: Span, what: &str) -> LangResult<()> {
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

    pub(super) fn expect_bool(&self, t: Ty, span: Span, what: &str) -> LangResult<()> {
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
    pub(super) fn same_dim(&self, a: Ty, b: Ty, span: Span, what: &str) -> LangResult<Ty> {
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

    pub(super) fn dimensionless(&self, t: Ty, span: Span, what: &str) -> LangResult<()> {
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

    pub(super) fn pow_ty(&self, ta: Ty, tb: Ty, exponent: &RExpr, span: Span) -> LangResult<Ty> {
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
}

pub(super) fn unit_dim(c: &Checker, u: &Expr) -> LangResult<Dim> {
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

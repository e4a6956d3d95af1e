//! Constant folding: `x^y`, the built-in functions and whole constant expressions evaluated
//! when a model is checked or built, with the interpreter's own scalar functions ([`ir::un`],
//! [`ir::bin`]), so a folded value has the bits the interpreter would have computed in `f64`.

use super::ast::BinOp;
use super::ir::{self, BOp, UOp};
use super::symbolic::{Func, RExpr, UnOp};

/// `x^y` as the interpreter computes it: a small whole exponent by multiplication.
pub(crate) fn pow_f64(x: f64, y: f64) -> f64 {
    match small_int(y) {
        Some(k) => ir::un(UOp::PowI(k), x),
        None => x.powf(y),
    }
}

pub(crate) fn small_int(y: f64) -> Option<i8> {
    (y == y.trunc() && y.abs() <= 4.0 && y != 0.0).then_some(y as i8)
}

pub(crate) fn func_uop(f: Func) -> Option<UOp> {
    Some(match f {
        Func::Exp => UOp::Exp,
        Func::Log => UOp::Log,
        Func::Log10 => UOp::Log10,
        Func::Sqrt => UOp::Sqrt,
        Func::Abs => UOp::Abs,
        Func::Sin => UOp::Sin,
        Func::Cos => UOp::Cos,
        Func::Tan => UOp::Tan,
        Func::Tanh => UOp::Tanh,
        Func::Sinh => UOp::Sinh,
        Func::Cosh => UOp::Cosh,
        Func::Asin => UOp::Asin,
        Func::Acos => UOp::Acos,
        Func::Atan => UOp::Atan,
        Func::Floor => UOp::Floor,
        Func::Ceil => UOp::Ceil,
        Func::Trunc => UOp::Trunc,
        Func::Heaviside => UOp::Heaviside,
        Func::Sign => UOp::Sign,
        Func::Exprel => UOp::Exprel,
        _ => return None,
    })
}

/// A built-in function of constant arguments, as the interpreter computes it (`None` for
/// random draws).
pub(crate) fn call_f64(f: Func, args: &[f64]) -> Option<f64> {
    if let Some(u) = func_uop(f) {
        return Some(ir::un(u, *args.first()?));
    }
    Some(match f {
        Func::Min => ir::bin(BOp::Min, *args.first()?, *args.get(1)?),
        Func::Max => ir::bin(BOp::Max, *args.first()?, *args.get(1)?),
        Func::Clip => ir::bin(
            BOp::Min,
            ir::bin(BOp::Max, *args.first()?, *args.get(1)?),
            *args.get(2)?,
        ),
        _ => return None,
    })
}

/// Evaluate a constant expression with parameter values from `param`; `None` when it is not
/// constant.
pub fn eval_const(e: &RExpr, param: &impl Fn(u32) -> Option<f64>) -> Option<f64> {
    use BinOp::*;
    Some(match e {
        RExpr::Const(x) => *x,
        RExpr::Bool(b) => f64::from(u8::from(*b)),
        RExpr::Param(p) => param(*p)?,
        RExpr::Un(UnOp::Neg, a) => -eval_const(a, param)?,
        RExpr::Un(UnOp::Not, a) => f64::from(u8::from(eval_const(a, param)? == 0.0)),
        RExpr::Bin(op, a, b) => {
            let (x, y) = (eval_const(a, param)?, eval_const(b, param)?);
            let t = |c: bool| f64::from(u8::from(c));
            match op {
                Add => x + y,
                Sub => x - y,
                Mul => x * y,
                Div => x / y,
                Mod => x - y * (x / y).floor(),
                Pow => pow_f64(x, y),
                Lt => t(x < y),
                Le => t(x <= y),
                Gt => t(x > y),
                Ge => t(x >= y),
                Eq => t(x == y),
                Ne => t(x != y),
                And => t(x != 0.0 && y != 0.0),
                Or => t(x != 0.0 || y != 0.0),
            }
        }
        RExpr::Select(c, a, b) => {
            if eval_const(c, param)? != 0.0 {
                eval_const(a, param)?
            } else {
                eval_const(b, param)?
            }
        }
        RExpr::Call(f, args) if !f.is_random() && args.len() <= 4 => {
            // (no allocation: this also evaluates the closed-form synapses' coefficients
            // while a network runs)
            let mut v = [0.0; 4];
            for (x, a) in v.iter_mut().zip(args) {
                *x = eval_const(a, param)?;
            }
            call_f64(*f, &v[..args.len()])?
        }
        _ => return None,
    })
}

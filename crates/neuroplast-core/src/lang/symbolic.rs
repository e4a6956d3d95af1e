//! Resolved expressions and the symbolic algebra the integration methods need: derivatives,
//! substitution, linearity, and a small simplifier.
//!
//! The simplifier is only applied to derived quantities (coefficients of linear equations,
//! their constant parts, exponents of decay factors), never to the right-hand sides users
//! wrote: those are evaluated in the order they are written.

use super::ast::BinOp;

/// Built-in values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Builtin {
    /// Time at the start of the step, ms.
    T,
    /// The time step, ms.
    Dt,
    /// Neuron index (synapses: the presynaptic neuron's index).
    I,
    /// Synapses: the postsynaptic neuron's index.
    J,
    /// Neurons: the external current of this step (nA; 0 when none is given).
    IExt,
    /// Synapses: last spike time of the presynaptic neuron, ms (−∞ before the first).
    TPre,
    /// Synapses: last spike time of the postsynaptic neuron, ms (−∞ before the first).
    TPost,
    /// Synapses: the synapse's delay, ms.
    Delay,
    /// Neurons, in `threshold` and `reset`: a population reduction (index into
    /// [`Checked::reductions`](crate::lang::checked::Checked::reductions)).
    Pop(u16),
}

impl Builtin {
    /// The name as written.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::T => "t",
            Builtin::Dt => "dt",
            Builtin::I => "i",
            Builtin::J => "j",
            Builtin::IExt => "I_ext",
            Builtin::TPre => "t_pre",
            Builtin::TPost => "t_post",
            Builtin::Delay => "delay",
            Builtin::Pop(_) => "a population reduction",
        }
    }
}

/// Built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Func {
    /// `exp`
    Exp,
    /// `log`
    Log,
    /// `log10`
    Log10,
    /// `sqrt`
    Sqrt,
    /// `abs`, `fabs`
    Abs,
    /// `sin`
    Sin,
    /// `cos`
    Cos,
    /// `tan`
    Tan,
    /// `tanh`
    Tanh,
    /// `sinh`
    Sinh,
    /// `cosh`
    Cosh,
    /// `arcsin`, `asin`
    Asin,
    /// `arccos`, `acos`
    Acos,
    /// `arctan`, `atan`
    Atan,
    /// `floor`
    Floor,
    /// `ceil`
    Ceil,
    /// `int` (towards zero)
    Trunc,
    /// `heaviside(x)`: 1 for x > 0, 0.5 at 0, else 0 (numpy's with h0 = 0.5)
    Heaviside,
    /// `sign`
    Sign,
    /// `exprel(x) = (e^x − 1)/x`, 1 at 0
    Exprel,
    /// `clip(x, lo, hi)`
    Clip,
    /// `min(a, b)`, `fmin`
    Min,
    /// `max(a, b)`, `fmax`
    Max,
    /// `rand()`: uniform in [0, 1)
    Rand,
    /// `randn()`: standard normal
    Randn,
    /// `Uniform(a, b)` (ANNarchy)
    Uniform,
    /// `Normal(mu, sigma)` (ANNarchy)
    Normal,
}

impl Func {
    /// `(name, function, number of arguments)` of every built-in function.
    pub const TABLE: [(&'static str, Func, usize); 33] = [
        ("exp", Func::Exp, 1),
        ("log", Func::Log, 1),
        ("log10", Func::Log10, 1),
        ("sqrt", Func::Sqrt, 1),
        ("abs", Func::Abs, 1),
        ("fabs", Func::Abs, 1),
        ("sin", Func::Sin, 1),
        ("cos", Func::Cos, 1),
        ("tan", Func::Tan, 1),
        ("tanh", Func::Tanh, 1),
        ("sinh", Func::Sinh, 1),
        ("cosh", Func::Cosh, 1),
        ("arcsin", Func::Asin, 1),
        ("asin", Func::Asin, 1),
        ("arccos", Func::Acos, 1),
        ("acos", Func::Acos, 1),
        ("arctan", Func::Atan, 1),
        ("atan", Func::Atan, 1),
        ("floor", Func::Floor, 1),
        ("ceil", Func::Ceil, 1),
        ("int", Func::Trunc, 1),
        ("heaviside", Func::Heaviside, 1),
        ("sign", Func::Sign, 1),
        ("exprel", Func::Exprel, 1),
        ("clip", Func::Clip, 3),
        ("min", Func::Min, 2),
        ("fmin", Func::Min, 2),
        ("max", Func::Max, 2),
        ("fmax", Func::Max, 2),
        ("rand", Func::Rand, 0),
        ("randn", Func::Randn, 0),
        ("Uniform", Func::Uniform, 2),
        ("Normal", Func::Normal, 2),
    ];

    /// `true` for the functions that draw random numbers.
    pub fn is_random(self) -> bool {
        matches!(
            self,
            Func::Rand | Func::Randn | Func::Uniform | Func::Normal
        )
    }

    /// The name as written (the first of its spellings).
    pub fn name(self) -> &'static str {
        Func::TABLE
            .iter()
            .find(|t| t.1 == self)
            .map_or("?", |t| t.0)
    }
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `not x`
    Not,
}

/// A resolved expression: names are replaced by what they refer to, subexpressions and user
/// functions are inlined.
#[derive(Clone, Debug, PartialEq)]
pub enum RExpr {
    /// A number.
    Const(f64),
    /// A truth value.
    Bool(bool),
    /// A parameter of the model (index into its parameter list).
    Param(u32),
    /// A state variable (index into its variable list).
    Var(u32),
    /// A built-in value.
    Builtin(Builtin),
    /// Synapses: a value of the pre- or postsynaptic neuron (index into the model's list of
    /// such references).
    Ext(u32),
    /// White noise `xi` (index of the noise source).
    Noise(u32),
    /// A unary operation.
    Un(UnOp, Box<RExpr>),
    /// A binary operation.
    Bin(BinOp, Box<RExpr>, Box<RExpr>),
    /// `then` where `cond` holds, else `otherwise`.
    Select(Box<RExpr>, Box<RExpr>, Box<RExpr>),
    /// A built-in function.
    Call(Func, Vec<RExpr>),
}

/// Shorthands that build expressions.
impl RExpr {
    /// `a op b`.
    pub fn bin(op: BinOp, a: RExpr, b: RExpr) -> RExpr {
        RExpr::Bin(op, Box::new(a), Box::new(b))
    }

    /// `-a`.
    pub fn neg(a: RExpr) -> RExpr {
        RExpr::Un(UnOp::Neg, Box::new(a))
    }

    /// Calls `f` on every node, children first.
    pub fn visit(&self, f: &mut impl FnMut(&RExpr)) {
        match self {
            RExpr::Un(_, a) => a.visit(f),
            RExpr::Bin(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            RExpr::Select(c, a, b) => {
                c.visit(f);
                a.visit(f);
                b.visit(f);
            }
            RExpr::Call(_, args) => args.iter().for_each(|a| a.visit(f)),
            _ => {}
        }
        f(self);
    }

    /// `true` when some node satisfies `pred`.
    pub fn any(&self, pred: &impl Fn(&RExpr) -> bool) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= pred(e));
        found
    }

    /// `true` when the expression refers to variable `v`.
    pub fn uses_var(&self, v: u32) -> bool {
        self.any(&|e| *e == RExpr::Var(v))
    }

    /// `true` when the expression draws random numbers or reads noise.
    pub fn is_random(&self) -> bool {
        self.any(&|e| {
            matches!(e, RExpr::Noise(_)) || matches!(e, RExpr::Call(f, _) if f.is_random())
        })
    }

    /// `true` when the value is the same for every step and neuron: numbers and parameters
    /// (and `dt`) only.
    pub fn is_build_constant(&self) -> bool {
        !self.any(&|e| {
            matches!(e, RExpr::Var(_) | RExpr::Ext(_) | RExpr::Noise(_))
                || matches!(e, RExpr::Builtin(b) if *b != Builtin::Dt)
                || matches!(e, RExpr::Call(f, _) if f.is_random())
        })
    }

    /// The number this is, when it is a literal.
    pub fn as_const(&self) -> Option<f64> {
        match self {
            RExpr::Const(x) => Some(*x),
            _ => None,
        }
    }
}

/// `e` with every `Var(v)` for which `map(v)` is `Some` replaced by it.
pub fn subst(e: &RExpr, map: &impl Fn(u32) -> Option<RExpr>) -> RExpr {
    match e {
        RExpr::Var(v) => map(*v).unwrap_or_else(|| e.clone()),
        RExpr::Un(op, a) => RExpr::Un(*op, Box::new(subst(a, map))),
        RExpr::Bin(op, a, b) => RExpr::bin(*op, subst(a, map), subst(b, map)),
        RExpr::Select(c, a, b) => RExpr::Select(
            Box::new(subst(c, map)),
            Box::new(subst(a, map)),
            Box::new(subst(b, map)),
        ),
        RExpr::Call(f, args) => RExpr::Call(*f, args.iter().map(|a| subst(a, map)).collect()),
        _ => e.clone(),
    }
}

/// `e` with every built-in value `b` replaced by `f(b)` where that is `Some`.
pub fn map_builtins(e: &RExpr, f: &impl Fn(Builtin) -> Option<RExpr>) -> RExpr {
    match e {
        RExpr::Builtin(b) => f(*b).unwrap_or_else(|| e.clone()),
        RExpr::Un(op, a) => RExpr::Un(*op, Box::new(map_builtins(a, f))),
        RExpr::Bin(op, a, b) => RExpr::bin(*op, map_builtins(a, f), map_builtins(b, f)),
        RExpr::Select(c, a, b) => RExpr::Select(
            Box::new(map_builtins(c, f)),
            Box::new(map_builtins(a, f)),
            Box::new(map_builtins(b, f)),
        ),
        RExpr::Call(g, args) => RExpr::Call(*g, args.iter().map(|a| map_builtins(a, f)).collect()),
        _ => e.clone(),
    }
}

/// `e` with every `Noise(k)` replaced by `map(k)`.
pub fn subst_noise(e: &RExpr, map: &impl Fn(u32) -> RExpr) -> RExpr {
    match e {
        RExpr::Noise(k) => map(*k),
        RExpr::Un(op, a) => RExpr::Un(*op, Box::new(subst_noise(a, map))),
        RExpr::Bin(op, a, b) => RExpr::bin(*op, subst_noise(a, map), subst_noise(b, map)),
        RExpr::Select(c, a, b) => RExpr::Select(
            Box::new(subst_noise(c, map)),
            Box::new(subst_noise(a, map)),
            Box::new(subst_noise(b, map)),
        ),
        RExpr::Call(f, args) => RExpr::Call(*f, args.iter().map(|a| subst_noise(a, map)).collect()),
        _ => e.clone(),
    }
}

fn is_zero(e: &RExpr) -> bool {
    e.as_const() == Some(0.0)
}

fn is_one(e: &RExpr) -> bool {
    e.as_const() == Some(1.0)
}

/// Simplify derived expressions: fold numbers, drop `+0`, `*1`, `*0`, pull negations out,
/// and write `x·(1/c)` as `x/c` (one rounding, the form a hand-written kernel uses).
pub fn simplify(e: &RExpr) -> RExpr {
    match e {
        RExpr::Un(UnOp::Neg, a) => match simplify(a) {
            RExpr::Const(x) => RExpr::Const(-x),
            RExpr::Un(UnOp::Neg, b) => *b,
            a => RExpr::neg(a),
        },
        RExpr::Bin(op, a, b) => {
            let (a, b) = (simplify(a), simplify(b));
            simplify_bin(*op, a, b)
        }
        RExpr::Un(op, a) => RExpr::Un(*op, Box::new(simplify(a))),
        RExpr::Select(c, a, b) => RExpr::Select(
            Box::new(simplify(c)),
            Box::new(simplify(a)),
            Box::new(simplify(b)),
        ),
        RExpr::Call(f, args) => RExpr::Call(*f, args.iter().map(simplify).collect()),
        _ => e.clone(),
    }
}

fn simplify_bin(op: BinOp, a: RExpr, b: RExpr) -> RExpr {
    use BinOp::*;
    if let (Some(x), Some(y)) = (a.as_const(), b.as_const()) {
        match op {
            Add => return RExpr::Const(x + y),
            Sub => return RExpr::Const(x - y),
            Mul => return RExpr::Const(x * y),
            Div if y != 0.0 => return RExpr::Const(x / y),
            _ => {}
        }
    }
    // pull negations out of products and quotients: (-a)*b = -(a*b) exactly
    if matches!(op, Mul | Div) {
        if let RExpr::Un(UnOp::Neg, inner) = &a {
            return simplify(&RExpr::neg(RExpr::bin(op, (**inner).clone(), b)));
        }
        if let RExpr::Un(UnOp::Neg, inner) = &b {
            return simplify(&RExpr::neg(RExpr::bin(op, a, (**inner).clone())));
        }
        if let Some(x) = a.as_const().filter(|x| *x < 0.0) {
            return simplify(&RExpr::neg(RExpr::bin(op, RExpr::Const(-x), b)));
        }
        if let Some(y) = b.as_const().filter(|y| *y < 0.0) {
            return simplify(&RExpr::neg(RExpr::bin(op, a, RExpr::Const(-y))));
        }
    }
    match op {
        Add if is_zero(&a) => b,
        Add | Sub if is_zero(&b) => a,
        Sub if is_zero(&a) => simplify(&RExpr::neg(b)),
        Add => {
            if let RExpr::Un(UnOp::Neg, nb) = &b {
                return RExpr::bin(Sub, a, (**nb).clone());
            }
            RExpr::bin(Add, a, b)
        }
        Sub => {
            if let RExpr::Un(UnOp::Neg, nb) = &b {
                return RExpr::bin(Add, a, (**nb).clone());
            }
            RExpr::bin(Sub, a, b)
        }
        Mul if is_zero(&a) || is_zero(&b) => RExpr::Const(0.0),
        Mul if is_one(&a) => b,
        Mul if is_one(&b) => a,
        Mul => {
            // x·(1/c) = x/c, (1/c)·x = x/c
            if let RExpr::Bin(Div, n, d) = &b {
                if is_one(n) {
                    return RExpr::bin(Div, a, (**d).clone());
                }
            }
            if let RExpr::Bin(Div, n, d) = &a {
                if is_one(n) {
                    return RExpr::bin(Div, b, (**d).clone());
                }
            }
            RExpr::bin(Mul, a, b)
        }
        Div if is_zero(&a) => RExpr::Const(0.0),
        Div if is_one(&b) => a,
        _ => RExpr::bin(op, a, b),
    }
}

/// ∂e/∂(variable v), simplified; `None` when `e` depends on `v` through something that is
/// not differentiable here (comparisons, conditions, `abs`, `floor`, `clip`, …).
pub fn derive(e: &RExpr, v: u32) -> Option<RExpr> {
    Some(simplify(&derive_raw(e, v)?))
}

fn derive_raw(e: &RExpr, v: u32) -> Option<RExpr> {
    use BinOp::*;
    if !e.uses_var(v) {
        return Some(RExpr::Const(0.0));
    }
    Some(match e {
        RExpr::Var(_) => RExpr::Const(1.0),
        RExpr::Un(UnOp::Neg, a) => RExpr::neg(derive_raw(a, v)?),
        RExpr::Bin(Add, a, b) => RExpr::bin(Add, derive_raw(a, v)?, derive_raw(b, v)?),
        RExpr::Bin(Sub, a, b) => RExpr::bin(Sub, derive_raw(a, v)?, derive_raw(b, v)?),
        RExpr::Bin(Mul, a, b) => RExpr::bin(
            Add,
            RExpr::bin(Mul, derive_raw(a, v)?, (**b).clone()),
            RExpr::bin(Mul, (**a).clone(), derive_raw(b, v)?),
        ),
        RExpr::Bin(Div, a, b) => {
            if !b.uses_var(v) {
                RExpr::bin(Div, derive_raw(a, v)?, (**b).clone())
            } else {
                // (a'b − ab') / b²
                RExpr::bin(
                    Div,
                    RExpr::bin(
                        Sub,
                        RExpr::bin(Mul, derive_raw(a, v)?, (**b).clone()),
                        RExpr::bin(Mul, (**a).clone(), derive_raw(b, v)?),
                    ),
                    RExpr::bin(Mul, (**b).clone(), (**b).clone()),
                )
            }
        }
        RExpr::Bin(Pow, a, b) => {
            if b.uses_var(v) {
                // d/dv a^b with b depending on v: a^b (b' ln a + b a'/a)
                RExpr::bin(
                    Mul,
                    e.clone(),
                    RExpr::bin(
                        Add,
                        RExpr::bin(
                            Mul,
                            derive_raw(b, v)?,
                            RExpr::Call(Func::Log, vec![(**a).clone()]),
                        ),
                        RExpr::bin(
                            Div,
                            RExpr::bin(Mul, (**b).clone(), derive_raw(a, v)?),
                            (**a).clone(),
                        ),
                    ),
                )
            } else {
                // b a^(b−1) a'
                RExpr::bin(
                    Mul,
                    RExpr::bin(
                        Mul,
                        (**b).clone(),
                        RExpr::bin(
                            Pow,
                            (**a).clone(),
                            RExpr::bin(Sub, (**b).clone(), RExpr::Const(1.0)),
                        ),
                    ),
                    derive_raw(a, v)?,
                )
            }
        }
        RExpr::Call(f, args) if args.len() == 1 => {
            let a = &args[0];
            let da = derive_raw(a, v)?;
            let outer = match f {
                Func::Exp => e.clone(),
                Func::Log => RExpr::bin(Div, RExpr::Const(1.0), a.clone()),
                Func::Log10 => RExpr::bin(
                    Div,
                    RExpr::Const(1.0),
                    RExpr::bin(Mul, a.clone(), RExpr::Const(std::f64::consts::LN_10)),
                ),
                Func::Sqrt => RExpr::bin(Div, RExpr::Const(0.5), e.clone()),
                Func::Sin => RExpr::Call(Func::Cos, vec![a.clone()]),
                Func::Cos => RExpr::neg(RExpr::Call(Func::Sin, vec![a.clone()])),
                Func::Tanh => RExpr::bin(
                    Sub,
                    RExpr::Const(1.0),
                    RExpr::bin(Mul, e.clone(), e.clone()),
                ),
                Func::Sinh => RExpr::Call(Func::Cosh, vec![a.clone()]),
                Func::Cosh => RExpr::Call(Func::Sinh, vec![a.clone()]),
                _ => return None,
            };
            RExpr::bin(Mul, outer, da)
        }
        _ => return None,
    })
}

/// Whether `e` is linear in the variables `vars`: every ∂e/∂x exists and is free of `vars`.
/// Returns the coefficients (in the order of `vars`) when it is.
pub fn linear_coefficients(e: &RExpr, vars: &[u32]) -> Option<Vec<RExpr>> {
    let mut out = Vec::with_capacity(vars.len());
    for &x in vars {
        let d = derive(e, x)?;
        if vars.iter().any(|&y| d.uses_var(y)) {
            return None;
        }
        out.push(d);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(k: u32) -> RExpr {
        RExpr::Var(k)
    }

    #[test]
    fn derivative_of_a_decay_is_minus_one_over_tau() {
        // (-g)/tau
        let tau = RExpr::Param(0);
        let f = RExpr::bin(BinOp::Div, RExpr::neg(var(0)), tau.clone());
        let d = derive(&f, 0).unwrap();
        assert_eq!(
            d,
            RExpr::neg(RExpr::bin(BinOp::Div, RExpr::Const(1.0), tau.clone()))
        );
        // d·dt simplifies to −(dt/tau): the bits of the hand-written −dt/tau
        let z = simplify(&RExpr::bin(BinOp::Mul, d, RExpr::Builtin(Builtin::Dt)));
        assert_eq!(
            z,
            RExpr::neg(RExpr::bin(BinOp::Div, RExpr::Builtin(Builtin::Dt), tau))
        );
    }

    #[test]
    fn linearity() {
        // a*v + b*u + exp(c) is linear in v, u; v*u is not; exp(v) is not; abs(v) is not
        let f = RExpr::bin(
            BinOp::Add,
            RExpr::bin(BinOp::Mul, RExpr::Param(0), var(0)),
            RExpr::bin(
                BinOp::Add,
                RExpr::bin(BinOp::Mul, RExpr::Param(1), var(1)),
                RExpr::Call(Func::Exp, vec![RExpr::Param(2)]),
            ),
        );
        let c = linear_coefficients(&f, &[0, 1]).unwrap();
        assert_eq!(c, vec![RExpr::Param(0), RExpr::Param(1)]);
        let g = RExpr::bin(BinOp::Mul, var(0), var(1));
        assert!(linear_coefficients(&g, &[0, 1]).is_none());
        assert!(linear_coefficients(&g, &[0]).is_some());
        let h = RExpr::Call(Func::Exp, vec![var(0)]);
        assert!(linear_coefficients(&h, &[0]).is_none());
        let k = RExpr::Call(Func::Abs, vec![var(0)]);
        assert!(derive(&k, 0).is_none());
        assert_eq!(derive(&k, 1), Some(RExpr::Const(0.0)));
    }

    #[test]
    fn substitution_and_constant_part() {
        // (El - v)/tau with v = 0 → El/tau
        let f = RExpr::bin(
            BinOp::Div,
            RExpr::bin(BinOp::Sub, RExpr::Param(0), var(0)),
            RExpr::Param(1),
        );
        let b = simplify(&subst(&f, &|v| (v == 0).then_some(RExpr::Const(0.0))));
        assert_eq!(b, RExpr::bin(BinOp::Div, RExpr::Param(0), RExpr::Param(1)));
    }
}

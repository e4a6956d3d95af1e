//! The syntax tree both front ends produce: expressions, statements and declarations, each
//! with the span of text it came from.

use super::span::{Span, Syntax};

/// Where a name lives, for synapse models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// The model's own names (or, in a Brian2 synapse, the postsynaptic neuron's when the
    /// synapse has no such name).
    Local,
    /// `pre.x` / `x_pre`.
    Pre,
    /// `post.x` / `x_post`.
    Post,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%` (floored, as Python)
    Mod,
    /// `**`, `^`
    Pow,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `and`, `&&`
    And,
    /// `or`, `||`
    Or,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }

    /// A comparison (number, number → condition).
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne
        )
    }
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number literal.
    Num(f64),
    /// `True` / `False`.
    Bool(bool),
    /// A name (`v`, `post.r`, `v_post` — the `_post` suffix is resolved by the checker).
    Name(String, Scope),
    /// `-x`
    Neg(Box<Expr>),
    /// `not x`
    Not(Box<Expr>),
    /// `a op b`
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// `f(args)`; the span of the name is the expression's span up to the parenthesis.
    Call(String, Vec<Expr>),
    /// `a if c else b`, `if c: a else: b` (condition, then, else).
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// A new expression.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}

/// Assignment operators of statements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    /// `=`
    Set,
    /// `+=`
    Add,
    /// `-=`
    Sub,
    /// `*=`
    Mul,
    /// `/=`
    Div,
}

impl AssignOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            AssignOp::Set => "=",
            AssignOp::Add => "+=",
            AssignOp::Sub => "-=",
            AssignOp::Mul => "*=",
            AssignOp::Div => "/=",
        }
    }
}

/// `target op value` in a reset, `on_pre`, `init` … field.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// The variable assigned.
    pub target: String,
    /// `post.x` / `x_post` …
    pub scope: Scope,
    /// Span of the target.
    pub target_span: Span,
    /// The operator.
    pub op: AssignOp,
    /// The right-hand side.
    pub value: Expr,
}

/// A flag after the colon of a declaration: `unless refractory`, `event-driven`, `init=-65`,
/// `method=midpoint`, `population`.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    /// Its name (`unless refractory`, `event-driven`, `init`, …).
    pub name: String,
    /// Its value for `name = value` flags.
    pub value: Option<Expr>,
    /// Where it was written.
    pub span: Span,
}

/// What a line of `equations` declares.
#[derive(Clone, Debug, PartialEq)]
pub enum DeclKind {
    /// `dx/dt = rhs` (ANNarchy's `tau * dx/dt = rhs` arrives divided by `tau`).
    Ode(Expr),
    /// Brian2 `x = rhs : unit`: a subexpression, substituted wherever `x` is used.
    Subexpr(Expr),
    /// ANNarchy `x = rhs` / `x += rhs`: a variable assigned every step, in order.
    Assign(AssignOp, Expr),
    /// Brian2 `x : unit`: a per-neuron (per-synapse) variable with no equation.
    Plain,
}

/// One line of `equations`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    /// The variable.
    pub name: String,
    /// Span of the name.
    pub name_span: Span,
    /// What the line says about it.
    pub kind: DeclKind,
    /// Brian2: the unit after the colon (`volt`, `1`, `siemens/meter**2`).
    pub unit: Option<Expr>,
    /// The flags.
    pub flags: Vec<Flag>,
    /// The whole line.
    pub span: Span,
}

/// One line of `parameters`: `name = value [: flags]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDecl {
    /// Its name.
    pub name: String,
    /// Span of the name.
    pub name_span: Span,
    /// Its value (a constant expression: numbers, units, earlier parameters).
    pub value: Expr,
    /// Flags (`population`, `postsynaptic`, `int`, `bool`, …).
    pub flags: Vec<Flag>,
}

/// One line of `functions`: `name(a, b) = expr`.
#[derive(Clone, Debug, PartialEq)]
pub struct FuncDef {
    /// Its name.
    pub name: String,
    /// Span of the name.
    pub name_span: Span,
    /// Argument names.
    pub args: Vec<String>,
    /// The body.
    pub body: Expr,
}

/// A whole model after parsing, before names are resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelAst {
    /// Which syntax it was written in.
    pub syntax: Syntax,
    /// `parameters`.
    pub params: Vec<ParamDecl>,
    /// `equations`, in order.
    pub decls: Vec<Decl>,
    /// `functions`.
    pub functions: Vec<FuncDef>,
    /// `threshold` / `spike`.
    pub threshold: Option<Expr>,
    /// `reset`.
    pub reset: Vec<Stmt>,
    /// `refractory`.
    pub refractory: Option<Expr>,
    /// `method` (Brian2) and its span.
    pub method: Option<(String, Span)>,
    /// `init`.
    pub init: Vec<Stmt>,
    /// `on_pre` / `pre_spike`.
    pub on_pre: Vec<Stmt>,
    /// `on_post` / `post_spike`.
    pub on_post: Vec<Stmt>,
    /// `delay`.
    pub delay: Option<Expr>,
}

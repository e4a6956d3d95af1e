//! The checked model: what checking produces and every later stage reads. Names are resolved
//! to indices (parameters, variables, pre-/postsynaptic values), subexpressions and user
//! functions are inlined, and each item keeps the span of text it came from.

use super::ast::{AssignOp, Scope};
use super::error::Sources;
use super::method::Method;
use super::span::Span;
use super::symbolic::RExpr;
use super::units::Dim;

/// A parameter: a value the same for every step, scalar unless set per neuron.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Its value as an expression of earlier parameters (re-evaluated when one of them is set
    /// per neuron).
    pub expr: RExpr,
    /// Its default value (system units: ms, mV, nA, µS, nF).
    pub default: f64,
    /// Its dimension (Brian2; dimensionless in ANNarchy syntax).
    pub dim: Dim,
    /// ANNarchy `population`: one value for the whole population (cannot be set per neuron).
    pub population: bool,
    /// ANNarchy `bool`: a condition.
    pub boolean: bool,
    /// Where it is declared.
    pub span: Span,
}

/// What defines a variable's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarKind {
    /// A differential equation.
    Ode,
    /// ANNarchy `x = …` / `x += …`, evaluated every step in order.
    Assigned,
    /// Brian2 `x : unit`: no equation (changed by resets, synapses, `init`).
    Plain,
    /// ANNarchy: a conductance `g_<target>` used but not defined; synapses add to it, and it
    /// is set to 0 after every step.
    Implicit,
}

/// A state variable (one value per neuron or synapse).
#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    /// Its name.
    pub name: String,
    /// Its dimension.
    pub dim: Dim,
    /// What defines it.
    pub kind: VarKind,
    /// Its initial value (ANNarchy `init=`), an expression of parameters; `None`: 0 unless
    /// the `init` field sets it.
    pub init: Option<RExpr>,
    /// Lower bound applied after every step (ANNarchy `min=`).
    pub min: Option<RExpr>,
    /// Upper bound applied after every step (ANNarchy `max=`).
    pub max: Option<RExpr>,
    /// The method of its ODE, when given for this variable.
    pub method: Option<(Method, Span)>,
    /// Held while the neuron is refractory.
    pub unless_refractory: bool,
    /// Synapses: integrated exactly between events instead of every step.
    pub event_driven: bool,
    /// Synapses (ANNarchy `: semiglobal`): one value per postsynaptic neuron, computed once per
    /// neuron and step from postsynaptic values and parameters, before the per-synapse
    /// equations.
    pub semiglobal: bool,
    /// Brian2 `(constant)`: statements may not change it.
    pub constant: bool,
    /// Where it is declared.
    pub span: Span,
}

/// One equation, in the order written.
#[derive(Clone, Debug, PartialEq)]
pub enum Equation {
    /// `d var/dt = rhs`.
    Ode {
        /// The variable.
        var: u32,
        /// The right-hand side.
        rhs: RExpr,
        /// The line.
        span: Span,
    },
    /// ANNarchy `var op rhs`, every step.
    Assign {
        /// The variable.
        var: u32,
        /// `=`, `+=`, …
        op: AssignOp,
        /// The right-hand side.
        rhs: RExpr,
        /// The line.
        span: Span,
    },
}

/// What a statement assigns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A variable of the model.
    Var(u32),
    /// Synapses: a postsynaptic variable (index into [`Checked::ext`]); only `+=` / `-=`.
    Ext(u32),
}

/// A resolved statement.
#[derive(Clone, Debug, PartialEq)]
pub struct RStmt {
    /// What it assigns.
    pub target: Target,
    /// `=`, `+=`, …
    pub op: AssignOp,
    /// The value.
    pub value: RExpr,
    /// Where it is written.
    pub span: Span,
}

/// A value of the pre- or postsynaptic neuron that a synapse model reads or adds to.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtRef {
    /// `Pre` or `Post`.
    pub scope: Scope,
    /// The neuron variable's name (`v`, `ge`, `r`; `g_target` for ANNarchy's projection
    /// targets).
    pub name: String,
    /// Read by some expression.
    pub read: bool,
    /// Added to by some statement (a receptor target).
    pub written: bool,
    /// Brian2: the dimension of what is added to it (to check against the neuron model).
    pub write_dim: Option<Dim>,
    /// Where it is first used.
    pub span: Span,
}

/// A refractory period.
#[derive(Clone, Debug, PartialEq)]
pub enum Refractory {
    /// A duration in ms (an expression of parameters, may be per neuron).
    Duration(RExpr),
    /// Brian2: after a spike, refractory while this condition holds.
    Until(RExpr),
}

/// What a population reduction computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    /// `max(x)`: the largest value.
    Max,
    /// `min(x)`: the smallest value.
    Min,
    /// `sum(x)`: the sum, in neuron order.
    Sum,
    /// `mean(x)`: the sum in neuron order divided by the number of neurons.
    Mean,
}

impl ReduceOp {
    /// The name as written.
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::Sum => "sum",
            ReduceOp::Mean => "mean",
        }
    }
}

/// A population reduction of a neuron model (`max(v)` in its threshold or reset): one value
/// over every neuron of the population, of the state variable after this step's integration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reduction {
    /// What it computes.
    pub op: ReduceOp,
    /// The state variable (index into [`Checked::vars`]).
    pub var: u32,
}

/// A checked model.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The source texts (for errors of later stages).
    pub sources: Sources,
    /// Parameters, in order.
    pub params: Vec<Param>,
    /// Variables, in order of declaration (implicit ANNarchy conductances last).
    pub vars: Vec<Var>,
    /// Equations, in order.
    pub eqs: Vec<Equation>,
    /// The spike condition.
    pub threshold: Option<(RExpr, Span)>,
    /// Reset statements.
    pub reset: Vec<RStmt>,
    /// The refractory period.
    pub refractory: Option<(Refractory, Span)>,
    /// Initial-value statements.
    pub init: Vec<RStmt>,
    /// Synapses: statements on presynaptic arrivals.
    pub on_pre: Vec<RStmt>,
    /// Synapses: statements on postsynaptic spikes.
    pub on_post: Vec<RStmt>,
    /// Synapses: pre-/postsynaptic values used.
    pub ext: Vec<ExtRef>,
    /// Names of the white-noise sources (`xi`, `xi_1`, …).
    pub noise: Vec<String>,
    /// The model-wide method (Brian2 `method`).
    pub method: Option<(Method, Span)>,
    /// Synapses: the default delay, ms.
    pub delay: Option<f64>,
    /// Neurons: the population reductions its threshold and reset read.
    pub reductions: Vec<Reduction>,
}

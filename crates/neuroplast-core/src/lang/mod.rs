//! # The model language: neurons and synapses written as equations
//!
//! Users write neuron and synapse models as equations, in Brian2's or ANNarchy's syntax, and
//! they run on neuroplast's engine with no compiler: the text is parsed, checked, lowered to a
//! small instruction set and interpreted chunk by chunk over structure-of-arrays state.
//!
//! ```text
//! ModelSource ──parse──▶ ModelAst ──check──▶ Checked ──plan──▶ NeuronModelDef / SynapseModelDef
//!   (text)      lexer.rs  ast.rs   check/    (names,   integrate/    (methods chosen and
//!               parse/             units.rs  units;                   verified)
//!                                            checked.rs)
//!
//! NeuronModelDef + n, dt, parameters ──lower──▶ Program ──▶ NeuronExec::step (exec/)
//!                                       lower/    ir.rs
//! ```
//!
//! | module | stage |
//! |---|---|
//! | `source` | [`ModelSource`]: the model table users write (`[models.<name>]`) |
//! | `span` | [`Syntax`], the fields of a model table, spans of text (what errors point at) |
//! | `lexer`, `parse` | tokens; both front ends → one syntax tree (`ast`) with spans |
//! | `units` | dimensions and unit names (Brian2), the coherent system ms, mV, nA |
//! | `check`, `checked` | names, types, dimensions; subexpressions and functions inlined → `Checked` |
//! | `fold` | constant expressions evaluated as the interpreter would |
//! | `symbolic` | derivatives, linearity, substitution (for the methods) |
//! | `method`, `integrate`, `expm` | [`Method`]; integration methods; `e^{Ah}` for `exact` |
//! | `lower`, `ir` | SSA with folding and sharing → fused instructions → registers |
//! | `exec` | the chunked interpreter (`f64` or `f32`) |
//! | `neuron`, `synapse` | [`NeuronModelDef`] / [`NeuronExec`], [`SynapseModelDef`] / [`SynapseExec`] |
//! | `error` | [`LangError`]: model, field, line, column, caret, what is allowed |
//! | `info` | [`describe`]: a model as plain data (parameters, variables, targets) |
//!
//! The guide, the tables "from Brian2" and "from ANNarchy", and how execution works (with
//! measurements) are in `docs/model-language.md`.

mod ast;
mod check;
mod checked;
#[cfg(test)]
mod closed_form_tests;
mod error;
mod exec;
mod expm;
mod float;
mod fold;
mod info;
mod integrate;
mod ir;
mod lexer;
mod lower;
mod method;
mod neuron;
mod parse;
mod source;
mod span;
mod symbolic;
mod synapse;
#[cfg(test)]
mod tests;
mod units;

pub use error::{ErrorKind, LangError, LangResult};
pub use float::{Float, Precision, StateMut, StateRef};
pub use info::{describe, ModelInfo, ModelKind};
pub use method::Method;
pub use neuron::{NeuronExec, NeuronModelDef, ParamInfo, VarInfo, VarRole};
pub use source::ModelSource;
pub use span::Syntax;
pub use synapse::{Side, SynapseExec, SynapseModelDef};

//! Where a model's text lives: the syntax it is written in, the fields of its model table,
//! and spans of bytes in one field (every later stage points at its text with these).

use serde::{Deserialize, Serialize};

/// Which of the two equation syntaxes a model is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Syntax {
    /// Brian2: model strings with units (`dv/dt = -v/tau : volt`), checked for dimensions.
    Brian2,
    /// ANNarchy: `parameters`, `equations` with `init=`, `min=`, `max=`, `method=`, no units.
    Annarchy,
}

/// A field of a model table (where a span's text lives).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// `parameters`.
    Parameters,
    /// `equations` (Brian2's model string).
    Equations,
    /// `functions`.
    Functions,
    /// `threshold` (Brian2) / `spike` (ANNarchy).
    Threshold,
    /// `reset`.
    Reset,
    /// `refractory`.
    Refractory,
    /// `method`.
    Method,
    /// `init`.
    Init,
    /// `on_pre` (Brian2) / `pre_spike` (ANNarchy).
    OnPre,
    /// `on_post` (Brian2) / `post_spike` (ANNarchy).
    OnPost,
    /// `delay`.
    Delay,
}

impl Field {
    /// Every field, in index order.
    pub const ALL: [Field; 11] = [
        Field::Parameters,
        Field::Equations,
        Field::Functions,
        Field::Threshold,
        Field::Reset,
        Field::Refractory,
        Field::Method,
        Field::Init,
        Field::OnPre,
        Field::OnPost,
        Field::Delay,
    ];

    /// The key of this field in a model table of `syntax`.
    pub fn key(self, syntax: Syntax) -> &'static str {
        let brian = syntax == Syntax::Brian2;
        match self {
            Field::Parameters => "parameters",
            Field::Equations => "equations",
            Field::Functions => "functions",
            Field::Threshold if brian => "threshold",
            Field::Threshold => "spike",
            Field::Reset => "reset",
            Field::Refractory => "refractory",
            Field::Method => "method",
            Field::Init => "init",
            Field::OnPre if brian => "on_pre",
            Field::OnPre => "pre_spike",
            Field::OnPost if brian => "on_post",
            Field::OnPost => "post_spike",
            Field::Delay => "delay",
        }
    }
}

/// A range of bytes in one field's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// The field.
    pub field: Field,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The span `start..end` of `field`.
    pub fn new(field: Field, start: u32, end: u32) -> Span {
        Span { field, start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            field: self.field,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

//! Errors of the model language: each names the model, the field of the model table, the line
//! and column, shows the line with a caret under the offending text, and says what is allowed.
//!
//! ```text
//! model `cuba`, equations, line 1, column 19: unknown name `taum2`
//!   |
//! 1 | dv/dt = (El - v)/taum2 : volt
//!   |                  ^^^^^
//!   = allowed: a parameter, variable or function of this model, or a built-in name; nearest: taum, taue
//! ```

use std::fmt;

use super::span::{Field, Span, Syntax};

/// What kind of mistake a [`LangError`] reports (for programs that react to it; the message
/// says the same in words).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text does not follow the grammar.
    Syntax,
    /// A name that is not defined.
    UnknownName,
    /// A name defined twice.
    Duplicate,
    /// A differential equation for a parameter.
    OdeForParameter,
    /// A boolean where a number is needed, or the reverse (e.g. a threshold that is not a
    /// condition).
    Type,
    /// Physical dimensions that do not match (Brian2 syntax).
    Units,
    /// An integration method that cannot integrate the equations it is asked for.
    Method,
    /// A construct that is not supported (yet), or a field that does not belong here.
    Unsupported,
    /// A value that is out of range (a parameter, a refractory period, a size).
    Value,
}

/// An error in a model definition, with its position (see the module docs for the format).
#[derive(Clone, Debug, PartialEq)]
pub struct LangError {
    /// What kind of mistake.
    pub kind: ErrorKind,
    /// The model's name.
    pub model: String,
    /// The field of the model table the error is in (see [`field`](Self::field)).
    field_id: Option<Field>,
    /// The model's syntax (field names depend on it).
    syntax: Syntax,
    /// Line within the field, from 1 (0: no position).
    pub line: u32,
    /// Column within the line, in characters, from 1 (0: no position).
    pub column: u32,
    /// The text of that line.
    pub line_text: String,
    /// Width of the caret underline, in characters (at least 1).
    pub width: u32,
    /// What is wrong.
    pub message: String,
    /// What is allowed instead (may be empty).
    pub allowed: String,
}

impl LangError {
    /// The field of the model table the error is in (`equations`, `threshold`, `on_pre`, …);
    /// empty for an error about the model as a whole.
    pub fn field(&self) -> &'static str {
        self.field_id.map_or("", |f| f.key(self.syntax))
    }

    /// The message as a [`crate::Error::Config`] at key path `{prefix}.{field}` (e.g. prefix
    /// `models.adaptive_lif` gives `models.adaptive_lif.equations`), the whole rendered text
    /// (with the caret) as its `msg`.
    pub fn into_config(self, prefix: &str) -> crate::Error {
        let field = self.field();
        let path = if field.is_empty() {
            prefix.to_string()
        } else if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        crate::Error::Config {
            path,
            msg: self.to_string(),
        }
    }
}

impl fmt::Display for LangError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "model `{}`", self.model)?;
        if !self.field().is_empty() {
            write!(f, ", {}", self.field())?;
        }
        if self.line > 0 {
            write!(f, ", line {}, column {}", self.line, self.column)?;
        }
        write!(f, ": {}", self.message)?;
        if self.line > 0 {
            let num = self.line.to_string();
            let pad = " ".repeat(num.len());
            write!(f, "\n{pad} |\n{num} | {}\n{pad} | ", self.line_text)?;
            let lead: String = self
                .line_text
                .chars()
                .take((self.column as usize).saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "{lead}{}", "^".repeat((self.width as usize).max(1)))?;
            if !self.allowed.is_empty() {
                write!(f, "\n{pad} = allowed: {}", self.allowed)?;
            }
        } else if !self.allowed.is_empty() {
            write!(f, "\n  = allowed: {}", self.allowed)?;
        }
        Ok(())
    }
}

impl std::error::Error for LangError {}

impl From<LangError> for crate::Error {
    /// As [`LangError::into_config`] with the prefix `models.<model name>`.
    fn from(e: LangError) -> crate::Error {
        let prefix = format!("models.{}", e.model);
        e.into_config(&prefix)
    }
}

/// `Result` with [`LangError`].
pub type LangResult<T> = Result<T, LangError>;

/// The texts of one model's fields, to turn spans into lines, columns and carets.
#[derive(Clone, Debug)]
pub struct Sources {
    /// The model's name.
    pub model: String,
    /// Which syntax (field names differ: `threshold` / `spike`, `on_pre` / `pre_spike`).
    pub syntax: Syntax,
    /// The text of each field, indexed by [`Field`].
    pub texts: Vec<String>,
}

impl Sources {
    /// The text of `field` (empty when absent).
    pub fn text(&self, field: Field) -> &str {
        self.texts.get(field as usize).map_or("", |s| s.as_str())
    }

    /// An error at `span`.
    pub fn error(
        &self,
        kind: ErrorKind,
        span: Span,
        message: impl Into<String>,
        allowed: impl Into<String>,
    ) -> LangError {
        let text = self.text(span.field);
        let start = (span.start as usize).min(text.len());
        let end = (span.end as usize).clamp(start, text.len());
        // line and column of `start`
        let before = &text[..floor_boundary(text, start)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |p| p + 1);
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |p| line_start + p);
        let column = text[line_start..floor_boundary(text, start)]
            .chars()
            .count()
            + 1;
        let width = text[floor_boundary(text, start)..floor_boundary(text, end.min(line_end))]
            .chars()
            .count()
            .max(1);
        LangError {
            kind,
            model: self.model.clone(),
            field_id: Some(span.field),
            syntax: self.syntax,
            line: line as u32,
            column: column as u32,
            line_text: text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
            width: width as u32,
            message: message.into(),
            allowed: allowed.into(),
        }
    }

    /// An error about a whole field (no position).
    pub fn field_error(
        &self,
        kind: ErrorKind,
        field: Option<Field>,
        message: impl Into<String>,
        allowed: impl Into<String>,
    ) -> LangError {
        LangError {
            kind,
            model: self.model.clone(),
            field_id: field,
            syntax: self.syntax,
            line: 0,
            column: 0,
            line_text: String::new(),
            width: 0,
            message: message.into(),
            allowed: allowed.into(),
        }
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Levenshtein distance between two names (by characters).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Up to `k` names of `known` nearest to `name` by edit distance (ties in the order given),
/// only those within half the name's length (at least 2 edits).
pub fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>, k: usize) -> Vec<String> {
    let limit = (name.chars().count() / 2).max(2);
    let mut scored: Vec<(usize, usize, &str)> = known
        .into_iter()
        .enumerate()
        .map(|(i, s)| (edit_distance(name, s), i, s))
        .filter(|&(d, _, _)| d <= limit)
        .collect();
    scored.sort();
    let mut out: Vec<String> = Vec::new();
    for (_, _, s) in scored {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
        if out.len() == k {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(text: &str) -> Sources {
        let mut texts = vec![String::new(); Field::ALL.len()];
        texts[Field::Equations as usize] = text.to_string();
        Sources {
            model: "m".into(),
            syntax: Syntax::Brian2,
            texts,
        }
    }

    #[test]
    fn caret_sits_under_the_span() {
        let s = sources("a = 1 : 1\ndv/dt = (El - v)/taum2 : volt");
        let start = s.texts[Field::Equations as usize].find("taum2").unwrap() as u32;
        let e = s.error(
            ErrorKind::UnknownName,
            Span::new(Field::Equations, start, start + 5),
            "unknown name `taum2`",
            "nearest: taum",
        );
        assert_eq!((e.line, e.column, e.width), (2, 18, 5));
        let text = e.to_string();
        assert!(text.starts_with("model `m`, equations, line 2, column 18: unknown name `taum2`"));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "2 | dv/dt = (El - v)/taum2 : volt");
        assert_eq!(lines[3], "  |                  ^^^^^");
        assert_eq!(lines[4], "  = allowed: nearest: taum");
        let cfg = e.into_config("models.cuba").to_string();
        assert!(cfg.starts_with("models.cuba.equations: model `m`"), "{cfg}");
    }

    #[test]
    fn nearest_names_by_edit_distance() {
        assert_eq!(edit_distance("taum2", "taum"), 1);
        assert_eq!(edit_distance("", "ab"), 2);
        let n = nearest("taum2", ["taue", "taum", "v", "El"], 3);
        assert_eq!(n, vec!["taum", "taue"]);
    }
}

//! Tokens of both syntaxes, and the split of a field into logical lines.
//!
//! A line ends at a newline (and, in statement fields, at `;`) unless a bracket is still
//! open: long expressions may continue inside parentheses. `#` starts a comment.

use super::error::{ErrorKind, LangResult, Sources};
use super::span::{Field, Span};

/// One token.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A number literal.
    Num(f64),
    /// A name or keyword (`and`, `if`, …).
    Ident(String),
    /// A quoted string (`'midpoint'`).
    Str(String),
    /// An operator or punctuation: `+ - * / % ** ^ ( ) , : = += -= *= /= < <= > >= == != && ||
    /// ! . ;`
    Op(&'static str),
    /// End of a physical line (removed inside brackets by [`lines`]).
    Newline,
}

/// A token and its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Where it was written.
    pub span: Span,
}

impl Token {
    /// `true` for the operator `op`.
    pub fn is_op(&self, op: &str) -> bool {
        matches!(&self.tok, Tok::Op(o) if *o == op)
    }

    /// `true` for the name or keyword `word`.
    pub fn is_ident(&self, word: &str) -> bool {
        matches!(&self.tok, Tok::Ident(s) if s == word)
    }
}

const OPS: [&str; 28] = [
    "**", "+=", "-=", "*=", "/=", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "^",
    "(", ")", ",", ":", "=", "<", ">", "!", ".", ";", "[",
];

/// The tokens of `field`'s text.
pub fn tokenize(src: &Sources, field: Field) -> LangResult<Vec<Token>> {
    let text = src.text(field);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0usize;
    let span = |a: usize, b: usize| Span::new(field, a as u32, b as u32);
    while i < bytes.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        if c == '\n' {
            out.push(Token {
                tok: Tok::Newline,
                span: span(i, i + 1),
            });
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if c == '\\'
            && text[i + 1..]
                .trim_start_matches([' ', '\t', '\r'])
                .starts_with('\n')
        {
            // explicit line continuation: skip to after the newline
            i = i + 1 + text[i + 1..].find('\n').map_or(0, |p| p + 1);
            continue;
        }
        if c == '#' {
            i += text[i..].find('\n').unwrap_or(text.len() - i);
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && bytes.get(i + 1).is_some_and(|b| b.is_ascii_digit()))
        {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                let mut j = i + 1;
                if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                    j += 1;
                }
                if j < bytes.len() && bytes[j].is_ascii_digit() {
                    i = j;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let lit = &text[start..i];
            match lit.parse::<f64>() {
                Ok(x) if lit.matches('.').count() <= 1 => out.push(Token {
                    tok: Tok::Num(x),
                    span: span(start, i),
                }),
                _ => {
                    return Err(src.error(
                        ErrorKind::Syntax,
                        span(start, i),
                        format!("`{lit}` is not a number"),
                        "numbers like 20, 0.5, 30., .5, 1e-3",
                    ))
                }
            }
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < bytes.len() {
                let d = text[i..].chars().next().unwrap_or(' ');
                if d.is_alphanumeric() || d == '_' {
                    i += d.len_utf8();
                } else {
                    break;
                }
            }
            // Brian2's `event-driven` flag is one word
            let mut word = text[start..i].to_string();
            if word == "event" && text[i..].starts_with("-driven") {
                i += "-driven".len();
                word = "event-driven".into();
            } else if word == "clock" && text[i..].starts_with("-driven") {
                i += "-driven".len();
                word = "clock-driven".into();
            }
            out.push(Token {
                tok: Tok::Ident(word),
                span: span(start, i),
            });
            continue;
        }
        if c == '\'' || c == '"' {
            let start = i;
            let close = text[i + 1..].find([c, '\n']).map(|p| i + 1 + p);
            match close {
                Some(end) if text[end..].starts_with(c) => {
                    out.push(Token {
                        tok: Tok::Str(text[i + 1..end].to_string()),
                        span: span(start, end + 1),
                    });
                    i = end + 1;
                    continue;
                }
                _ => {
                    return Err(src.error(
                        ErrorKind::Syntax,
                        span(start, start + 1),
                        "unterminated string",
                        format!("close it with {c} on the same line"),
                    ))
                }
            }
        }
        if let Some(op) = OPS.iter().find(|op| text[i..].starts_with(**op)) {
            if *op == "[" {
                return Err(src.error(
                    ErrorKind::Unsupported,
                    span(i, i + 1),
                    "indexing with `[…]` is not supported",
                    "plain names, numbers, operators and function calls",
                ));
            }
            out.push(Token {
                tok: Tok::Op(op),
                span: span(i, i + op.len()),
            });
            i += op.len();
            continue;
        }
        return Err(src.error(
            ErrorKind::Syntax,
            span(i, i + c.len_utf8()),
            format!("unexpected character `{c}`"),
            "names, numbers, + - * / ** ^ % ( ) , : = += -= *= /= < <= > >= == != and or not",
        ));
    }
    Ok(out)
}

/// Split tokens into logical lines: at newlines outside brackets, and at `;` when
/// `semicolons` is set. Empty lines are dropped. An unbalanced `)` is an error.
pub fn lines(src: &Sources, toks: Vec<Token>, semicolons: bool) -> LangResult<Vec<Vec<Token>>> {
    let mut out = Vec::new();
    let mut cur: Vec<Token> = Vec::new();
    let mut depth = 0i32;
    let mut open: Vec<Span> = Vec::new();
    for t in toks {
        match &t.tok {
            Tok::Newline if depth > 0 => continue,
            Tok::Newline => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                continue;
            }
            Tok::Op(";") if semicolons && depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                continue;
            }
            Tok::Op("(") => {
                depth += 1;
                open.push(t.span);
            }
            Tok::Op(")") => {
                depth -= 1;
                open.pop();
                if depth < 0 {
                    return Err(src.error(
                        ErrorKind::Syntax,
                        t.span,
                        "`)` without a matching `(`",
                        "balanced parentheses",
                    ));
                }
            }
            _ => {}
        }
        cur.push(t);
    }
    if let Some(span) = open.last() {
        return Err(src.error(
            ErrorKind::Syntax,
            *span,
            "`(` is never closed",
            "balanced parentheses",
        ));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::span::Syntax;

    fn src(text: &str) -> Sources {
        let mut texts = vec![String::new(); Field::ALL.len()];
        texts[Field::Equations as usize] = text.into();
        Sources {
            model: "m".into(),
            syntax: Syntax::Brian2,
            texts,
        }
    }

    #[test]
    fn tokens_and_lines() {
        let s =
            src("dv/dt = (a +\n  b)**2 : volt (event-driven) # c\nx : 1; y : 1\n 30. .5 1e-3 µs");
        let toks = tokenize(&s, Field::Equations).unwrap();
        assert!(toks.iter().any(|t| t.is_ident("event-driven")));
        assert!(toks.iter().any(|t| t.is_op("**")));
        assert!(toks.iter().any(|t| t.is_ident("µs")));
        assert!(toks.iter().any(|t| t.tok == Tok::Num(0.5)));
        assert!(toks.iter().any(|t| t.tok == Tok::Num(1e-3)));
        let l = lines(&s, toks.clone(), false).unwrap();
        assert_eq!(l.len(), 3);
        let l = lines(&s, toks, true).unwrap();
        assert_eq!(l.len(), 4);
        let e = lines(&s, tokenize(&src("(a"), Field::Equations).unwrap(), false).unwrap_err();
        assert!(e.to_string().contains("never closed"));
        assert!(tokenize(&src("1.2.3"), Field::Equations).is_err());
        assert!(tokenize(&src("a $ b"), Field::Equations).is_err());
    }
}

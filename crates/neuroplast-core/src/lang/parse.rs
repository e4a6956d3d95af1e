//! Parsing: expressions (a Pratt-style recursive descent), statements, and the two front ends
//! that turn a model table's fields into one [`ModelAst`].
//!
//! Expression grammar, loosest binding first:
//!
//! ```text
//! expr    := 'if' or ':' expr 'else' ':' expr      (ANNarchy)
//!          | or ['if' or 'else' expr]               (Python / ANNarchy)
//! or      := and (('or' | '||') and)*
//! and     := not (('and' | '&&') not)*
//! not     := ('not' | '!') not | cmp
//! cmp     := sum [('<' | '<=' | '>' | '>=' | '==' | '!=') sum]
//! sum     := prod (('+' | '-') prod)*
//! prod    := unary (('*' | '/' | '%') unary)*
//! unary   := ('-' | '+') unary | power
//! power   := atom [('**' | '^') unary]              (right-associative: 2**-1, a^b^c)
//! atom    := number | name | name '(' args ')' | ('pre' | 'post') '.' name | '(' expr ')'
//! ```
//!
//! Equation lines (both syntaxes): `dx/dt = rhs`, `tau * dx/dt = rhs` (divided by `tau`),
//! `x = rhs`, `x += rhs`, `x : unit`, each optionally followed by `: …` — Brian2's unit and
//! `(flags)`, or ANNarchy's `init=…, min=…, max=…, method=…` and bare flags.

use super::ast::*;
use super::error::{ErrorKind, LangResult, Sources};
use super::lexer::{lines, tokenize, Tok, Token};
use super::method::METHODS_ALLOWED;
use super::span::{Field, Span, Syntax};

/// Deepest nesting of an expression.
const MAX_DEPTH: usize = 200;

const KEYWORDS: [&str; 9] = [
    "and", "or", "not", "if", "else", "True", "False", "true", "false",
];

/// A cursor over the tokens of one logical line.
pub struct Parser<'a> {
    src: &'a Sources,
    toks: &'a [Token],
    pos: usize,
    /// Nesting depth (bounded, so no text can exhaust the stack).
    depth: usize,
    /// Span just after the last token (for "unexpected end" errors).
    end: Span,
}

impl<'a> Parser<'a> {
    /// A parser over `toks` (one logical line, non-empty or not).
    pub fn new(src: &'a Sources, toks: &'a [Token], field: Field) -> Parser<'a> {
        let end = toks.last().map_or(Span::new(field, 0, 0), |t| {
            Span::new(field, t.span.end, t.span.end + 1)
        });
        Parser {
            src,
            toks,
            pos: 0,
            depth: 0,
            end,
        }
    }

    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    fn peek_op(&self, op: &str) -> bool {
        self.peek().is_some_and(|t| t.is_op(op))
    }

    fn peek_ident(&self, w: &str) -> bool {
        self.peek().is_some_and(|t| t.is_ident(w))
    }

    fn bump(&mut self) -> Option<&'a Token> {
        let t = self.toks.get(self.pos);
        self.pos += 1;
        t
    }

    fn here(&self) -> Span {
        self.peek().map_or(self.end, |t| t.span)
    }

    /// `true` when every token is consumed.
    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    fn err<T>(&self, span: Span, msg: impl Into<String>, allowed: &str) -> LangResult<T> {
        Err(self.src.error(ErrorKind::Syntax, span, msg, allowed))
    }

    fn describe(t: Option<&Token>) -> String {
        match t.map(|t| &t.tok) {
            None | Some(Tok::Newline) => "the end of the line".into(),
            Some(Tok::Num(x)) => format!("the number {x}"),
            Some(Tok::Ident(s)) => format!("`{s}`"),
            Some(Tok::Str(s)) => format!("the string '{s}'"),
            Some(Tok::Op(o)) => format!("`{o}`"),
        }
    }

    fn expect_op(&mut self, op: &str, allowed: &str) -> LangResult<Span> {
        if self.peek_op(op) {
            Ok(self.bump().map(|t| t.span).unwrap_or(self.end))
        } else {
            let found = Self::describe(self.peek());
            self.err(
                self.here(),
                format!("expected `{op}`, found {found}"),
                allowed,
            )
        }
    }

    /// Error unless every token was consumed.
    pub fn finish(&self, what: &str) -> LangResult<()> {
        if self.at_end() {
            Ok(())
        } else {
            let found = Self::describe(self.peek());
            self.err(
                self.here(),
                format!("unexpected {found} after {what}"),
                "an operator between two values, or the end of the line",
            )
        }
    }

    fn enter(&mut self) -> LangResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(
                self.here(),
                format!("expression nested more than {MAX_DEPTH} levels deep"),
                "flatter expressions (define intermediate values)",
            );
        }
        Ok(())
    }

    /// A whole expression.
    pub fn expr(&mut self) -> LangResult<Expr> {
        self.enter()?;
        let r = self.expr_inner();
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self) -> LangResult<Expr> {
        let a = self.or()?;
        if self.peek_ident("if") {
            // Python style: a if c else b
            self.bump();
            let c = self.or()?;
            if !self.peek_ident("else") {
                let found = Self::describe(self.peek());
                return self.err(
                    self.here(),
                    format!("expected `else`, found {found}"),
                    "a if condition else b",
                );
            }
            self.bump();
            let b = self.expr()?;
            let span = a.span.to(b.span);
            return Ok(Expr::new(
                ExprKind::Cond(Box::new(c), Box::new(a), Box::new(b)),
                span,
            ));
        }
        Ok(a)
    }

    fn or(&mut self) -> LangResult<Expr> {
        let mut a = self.and()?;
        while self.peek_ident("or") || self.peek_op("||") {
            self.bump();
            let b = self.and()?;
            let span = a.span.to(b.span);
            a = Expr::new(ExprKind::Bin(BinOp::Or, Box::new(a), Box::new(b)), span);
        }
        Ok(a)
    }

    fn and(&mut self) -> LangResult<Expr> {
        let mut a = self.not()?;
        while self.peek_ident("and") || self.peek_op("&&") {
            self.bump();
            let b = self.not()?;
            let span = a.span.to(b.span);
            a = Expr::new(ExprKind::Bin(BinOp::And, Box::new(a), Box::new(b)), span);
        }
        Ok(a)
    }

    fn not(&mut self) -> LangResult<Expr> {
        if self.peek_ident("not") || self.peek_op("!") {
            let start = self.bump().map(|t| t.span).unwrap_or(self.end);
            self.enter()?;
            let a = self.not();
            self.depth -= 1;
            let a = a?;
            let span = start.to(a.span);
            return Ok(Expr::new(ExprKind::Not(Box::new(a)), span));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> LangResult<Expr> {
        let a = self.sum()?;
        let op = match self.peek().map(|t| &t.tok) {
            Some(Tok::Op("<")) => BinOp::Lt,
            Some(Tok::Op("<=")) => BinOp::Le,
            Some(Tok::Op(">")) => BinOp::Gt,
            Some(Tok::Op(">=")) => BinOp::Ge,
            Some(Tok::Op("==")) => BinOp::Eq,
            Some(Tok::Op("!=")) => BinOp::Ne,
            _ => return Ok(a),
        };
        self.bump();
        let b = self.sum()?;
        let span = a.span.to(b.span);
        Ok(Expr::new(ExprKind::Bin(op, Box::new(a), Box::new(b)), span))
    }

    fn sum(&mut self) -> LangResult<Expr> {
        let mut a = self.prod()?;
        loop {
            let op = if self.peek_op("+") {
                BinOp::Add
            } else if self.peek_op("-") {
                BinOp::Sub
            } else {
                return Ok(a);
            };
            self.bump();
            let b = self.prod()?;
            let span = a.span.to(b.span);
            a = Expr::new(ExprKind::Bin(op, Box::new(a), Box::new(b)), span);
        }
    }

    fn prod(&mut self) -> LangResult<Expr> {
        let mut a = self.unary()?;
        loop {
            let op = if self.peek_op("*") {
                BinOp::Mul
            } else if self.peek_op("/") {
                BinOp::Div
            } else if self.peek_op("%") {
                BinOp::Mod
            } else {
                return Ok(a);
            };
            self.bump();
            let b = self.unary()?;
            let span = a.span.to(b.span);
            a = Expr::new(ExprKind::Bin(op, Box::new(a), Box::new(b)), span);
        }
    }

    fn unary(&mut self) -> LangResult<Expr> {
        if self.peek_op("-") {
            let start = self.bump().map(|t| t.span).unwrap_or(self.end);
            self.enter()?;
            let a = self.unary();
            self.depth -= 1;
            let a = a?;
            let span = start.to(a.span);
            return Ok(Expr::new(ExprKind::Neg(Box::new(a)), span));
        }
        if self.peek_op("+") {
            self.bump();
            self.enter()?;
            let a = self.unary();
            self.depth -= 1;
            return a;
        }
        self.power()
    }

    fn power(&mut self) -> LangResult<Expr> {
        let a = self.atom()?;
        if self.peek_op("**") || self.peek_op("^") {
            self.bump();
            self.enter()?;
            let b = self.unary();
            self.depth -= 1;
            let b = b?;
            let span = a.span.to(b.span);
            return Ok(Expr::new(
                ExprKind::Bin(BinOp::Pow, Box::new(a), Box::new(b)),
                span,
            ));
        }
        Ok(a)
    }

    fn atom(&mut self) -> LangResult<Expr> {
        let Some(t) = self.bump() else {
            return self.err(
                self.end,
                "expected a value, found the end of the line",
                "a number, a name, a function call or a parenthesised expression",
            );
        };
        match &t.tok {
            Tok::Num(x) => Ok(Expr::new(ExprKind::Num(*x), t.span)),
            Tok::Op("(") => {
                let e = self.expr()?;
                let close = self.expect_op(")", "a closing parenthesis")?;
                Ok(Expr::new(e.kind, t.span.to(close)))
            }
            Tok::Ident(w) if w == "if" => {
                // ANNarchy: if c: a else: b
                let c = self.or()?;
                self.expect_op(":", "if condition: value else: value")?;
                let a = self.expr()?;
                if !self.peek_ident("else") {
                    let found = Self::describe(self.peek());
                    return self.err(
                        self.here(),
                        format!("expected `else:`, found {found}"),
                        "if condition: value else: value",
                    );
                }
                self.bump();
                self.expect_op(":", "if condition: value else: value")?;
                let b = self.expr()?;
                let span = t.span.to(b.span);
                Ok(Expr::new(
                    ExprKind::Cond(Box::new(c), Box::new(a), Box::new(b)),
                    span,
                ))
            }
            Tok::Ident(w) if w == "True" || w == "true" => {
                Ok(Expr::new(ExprKind::Bool(true), t.span))
            }
            Tok::Ident(w) if w == "False" || w == "false" => {
                Ok(Expr::new(ExprKind::Bool(false), t.span))
            }
            Tok::Ident(w) if KEYWORDS.contains(&w.as_str()) => self.err(
                t.span,
                format!("expected a value, found the keyword `{w}`"),
                "a number, a name, a function call or a parenthesised expression",
            ),
            Tok::Ident(w) => {
                if (w == "pre" || w == "post") && self.peek_op(".") {
                    self.bump();
                    let scope = if w == "pre" { Scope::Pre } else { Scope::Post };
                    match self.bump() {
                        Some(Token {
                            tok: Tok::Ident(name),
                            span,
                        }) => {
                            return Ok(Expr::new(
                                ExprKind::Name(name.clone(), scope),
                                t.span.to(*span),
                            ))
                        }
                        other => {
                            let found = Self::describe(other);
                            return self.err(
                                other.map_or(self.end, |o| o.span),
                                format!("expected a name after `{w}.`, found {found}"),
                                "post.name or pre.name",
                            );
                        }
                    }
                }
                if self.peek_op("(") {
                    self.bump();
                    let mut args = Vec::new();
                    if !self.peek_op(")") {
                        loop {
                            args.push(self.expr()?);
                            if self.peek_op(",") {
                                self.bump();
                                continue;
                            }
                            break;
                        }
                    }
                    let close = self.expect_op(")", "`,` between arguments, `)` after the last")?;
                    return Ok(Expr::new(ExprKind::Call(w.clone(), args), t.span.to(close)));
                }
                Ok(Expr::new(ExprKind::Name(w.clone(), Scope::Local), t.span))
            }
            Tok::Str(s) => self.err(
                t.span,
                format!("a string ('{s}') cannot be used as a value"),
                "numbers and names",
            ),
            Tok::Op(o) => self.err(
                t.span,
                format!("expected a value, found `{o}`"),
                "a number, a name, a function call or a parenthesised expression",
            ),
            Tok::Newline => self.err(
                t.span,
                "expected a value, found the end of the line",
                "a number, a name, a function call or a parenthesised expression",
            ),
        }
    }

    /// A statement `target op value`.
    pub fn stmt(&mut self) -> LangResult<Stmt> {
        let (target, scope, target_span) = self.target()?;
        let op = self.assign_op()?;
        let value = self.expr()?;
        self.finish("the statement")?;
        Ok(Stmt {
            target,
            scope,
            target_span,
            op,
            value,
        })
    }

    fn target(&mut self) -> LangResult<(String, Scope, Span)> {
        match self.bump() {
            Some(Token {
                tok: Tok::Ident(w),
                span,
            }) if !KEYWORDS.contains(&w.as_str()) => {
                if (w == "pre" || w == "post") && self.peek_op(".") {
                    self.bump();
                    if let Some(Token {
                        tok: Tok::Ident(n),
                        span: s2,
                    }) = self.bump()
                    {
                        let scope = if w == "pre" { Scope::Pre } else { Scope::Post };
                        return Ok((n.clone(), scope, span.to(*s2)));
                    }
                    return self.err(*span, "expected a name after `post.`", "post.name");
                }
                Ok((w.clone(), Scope::Local, *span))
            }
            other => {
                let found = Self::describe(other);
                self.err(
                    other.map_or(self.end, |t| t.span),
                    format!("expected the name of a variable to assign, found {found}"),
                    "statements `x = value`, `x += value`, `x -= value`, `x *= value`, `x /= value`",
                )
            }
        }
    }

    fn assign_op(&mut self) -> LangResult<AssignOp> {
        let op = match self.peek().map(|t| &t.tok) {
            Some(Tok::Op("=")) => AssignOp::Set,
            Some(Tok::Op("+=")) => AssignOp::Add,
            Some(Tok::Op("-=")) => AssignOp::Sub,
            Some(Tok::Op("*=")) => AssignOp::Mul,
            Some(Tok::Op("/=")) => AssignOp::Div,
            _ => {
                let found = Self::describe(self.peek());
                return self.err(
                    self.here(),
                    format!("expected `=`, `+=`, `-=`, `*=` or `/=`, found {found}"),
                    "statements `x = value`, `x += value`, `x -= value`, `x *= value`, `x /= value`",
                );
            }
        };
        self.bump();
        Ok(op)
    }
}

/// Index of the colon that starts a line's flags (Brian2's unit, ANNarchy's `init=` …), if
/// any: the first `:` outside brackets that does not belong to an `if c: a else: b`.
fn flags_colon(toks: &[Token]) -> Option<usize> {
    let mut depth = 0i32;
    let mut pending_if = 0usize;
    for (k, t) in toks.iter().enumerate() {
        match &t.tok {
            Tok::Op("(") => depth += 1,
            Tok::Op(")") => depth -= 1,
            Tok::Ident(w) if w == "if" && depth == 0 => {
                // ANNarchy's `if` starts a value; Python's follows one
                let after_value = k > 0
                    && matches!(&toks[k - 1].tok, Tok::Num(_) | Tok::Ident(_) | Tok::Op(")"))
                    && !toks[k - 1].is_ident("else")
                    && !KEYWORDS
                        .iter()
                        .any(|kw| *kw != "True" && *kw != "False" && toks[k - 1].is_ident(kw));
                if !after_value {
                    pending_if += 1;
                }
            }
            Tok::Op(":") if depth == 0 => {
                if k > 0 && toks[k - 1].is_ident("else") {
                    continue;
                }
                if pending_if > 0 {
                    pending_if -= 1;
                    continue;
                }
                return Some(k);
            }
            _ => {}
        }
    }
    None
}

/// Parse the flags after a line's colon. Brian2: `unit (flag, flag)`; ANNarchy: `init=…,
/// min=…, method=…, population`.
fn parse_flags(
    src: &Sources,
    toks: &[Token],
    field: Field,
    syntax: Syntax,
) -> LangResult<(Option<Expr>, Vec<Flag>)> {
    let mut flags = Vec::new();
    let mut unit_toks = toks;
    if syntax == Syntax::Brian2 {
        // a trailing `( … )` of plain words is the flag list
        if toks.last().is_some_and(|t| t.is_op(")")) {
            let mut depth = 0i32;
            let mut open = None;
            for (k, t) in toks.iter().enumerate().rev() {
                if t.is_op(")") {
                    depth += 1;
                } else if t.is_op("(") {
                    depth -= 1;
                    if depth == 0 {
                        open = Some(k);
                        break;
                    }
                }
            }
            if let Some(open) = open {
                let inner = &toks[open + 1..toks.len() - 1];
                let words_only = inner
                    .iter()
                    .all(|t| matches!(t.tok, Tok::Ident(_)) || t.is_op(","));
                let before_is_op = open > 0 && matches!(toks[open - 1].tok, Tok::Op(_));
                if words_only && !before_is_op && !inner.is_empty() {
                    unit_toks = &toks[..open];
                    for group in inner.split(|t| t.is_op(",")) {
                        let Some(first) = group.first() else {
                            return Err(src.error(
                                ErrorKind::Syntax,
                                toks[open].span,
                                "empty flag",
                                "flags like (unless refractory), (event-driven), (constant)",
                            ));
                        };
                        let span = first.span.to(group[group.len() - 1].span);
                        let name = group
                            .iter()
                            .filter_map(|t| match &t.tok {
                                Tok::Ident(w) => Some(w.as_str()),
                                _ => None,
                            })
                            .collect::<Vec<_>>()
                            .join(" ");
                        flags.push(Flag {
                            name,
                            value: None,
                            span,
                        });
                    }
                }
            }
        }
        if unit_toks.is_empty() {
            return Ok((None, flags));
        }
        let mut p = Parser::new(src, unit_toks, field);
        let unit = p.expr()?;
        p.finish("the unit")?;
        return Ok((Some(unit), flags));
    }
    // ANNarchy
    for group in toks.split(|t| t.is_op(",")) {
        let Some(first) = group.first() else {
            let span = toks.first().map_or(Span::new(field, 0, 0), |t| t.span);
            return Err(src.error(
                ErrorKind::Syntax,
                span,
                "empty flag",
                "flags like init=0.0, min=-90, max=10, method=midpoint, population",
            ));
        };
        let span = first.span.to(group[group.len() - 1].span);
        let Tok::Ident(name) = &first.tok else {
            return Err(src.error(
                ErrorKind::Syntax,
                first.span,
                format!(
                    "expected a flag name, found {}",
                    Parser::describe(Some(first))
                ),
                "flags like init=0.0, min=-90, max=10, method=midpoint, population",
            ));
        };
        if group.len() == 1 {
            flags.push(Flag {
                name: name.clone(),
                value: None,
                span,
            });
            continue;
        }
        if !group[1].is_op("=") || group.len() < 3 {
            return Err(src.error(
                ErrorKind::Syntax,
                group[1].span,
                format!("expected `=` after the flag `{name}`"),
                "name=value, e.g. init=-65.0, method=midpoint",
            ));
        }
        let value = if group.len() == 3 {
            match &group[2].tok {
                Tok::Str(s) | Tok::Ident(s) if !KEYWORDS.contains(&s.as_str()) => {
                    Expr::new(ExprKind::Name(s.clone(), Scope::Local), group[2].span)
                }
                _ => {
                    let mut p = Parser::new(src, &group[2..], field);
                    let e = p.expr()?;
                    p.finish("the flag's value")?;
                    e
                }
            }
        } else {
            let mut p = Parser::new(src, &group[2..], field);
            let e = p.expr()?;
            p.finish("the flag's value")?;
            e
        };
        flags.push(Flag {
            name: name.clone(),
            value: Some(value),
            span,
        });
    }
    Ok((None, flags))
}

/// `d<name>/dt` at `toks[k..k+3]`: the variable's name.
fn derivative_at(toks: &[Token], k: usize) -> Option<String> {
    let (Some(a), Some(slash), Some(dt)) = (toks.get(k), toks.get(k + 1), toks.get(k + 2)) else {
        return None;
    };
    match (&a.tok, slash.is_op("/"), dt.is_ident("dt")) {
        (Tok::Ident(w), true, true) if w.len() > 1 && w.starts_with('d') => {
            Some(w[1..].to_string())
        }
        _ => None,
    }
}

fn parse_decl(src: &Sources, line: &[Token], syntax: Syntax) -> LangResult<Decl> {
    let field = Field::Equations;
    let colon = flags_colon(line);
    let (body, rest) = match colon {
        Some(k) => (&line[..k], &line[k + 1..]),
        None => (line, &line[line.len()..]),
    };
    let line_span = line[0].span.to(line[line.len() - 1].span);
    if body.is_empty() {
        return Err(src.error(
            ErrorKind::Syntax,
            line_span,
            "expected an equation before `:`",
            "dx/dt = …, x = …, or (Brian2) x : unit",
        ));
    }
    if colon.is_some() && rest.is_empty() {
        let span = line[colon.unwrap_or(0)].span;
        return Err(src.error(
            ErrorKind::Syntax,
            span,
            "nothing after `:`",
            match syntax {
                Syntax::Brian2 => "a unit (volt, 1, siemens, …) and optional (flags)",
                Syntax::Annarchy => "flags like init=0.0, min=-90, max=10, method=midpoint",
            },
        ));
    }
    let (unit, flags) = if rest.is_empty() {
        (None, Vec::new())
    } else {
        parse_flags(src, rest, field, syntax)?
    };
    // find the assignment operator at depth 0
    let mut depth = 0i32;
    let mut assign = None;
    for (k, t) in body.iter().enumerate() {
        match &t.tok {
            Tok::Op("(") => depth += 1,
            Tok::Op(")") => depth -= 1,
            Tok::Op(op @ ("=" | "+=" | "-=" | "*=" | "/=")) if depth == 0 => {
                assign = Some((k, *op));
                break;
            }
            _ => {}
        }
    }
    let Some((k, op)) = assign else {
        // Brian2 `x : unit`
        if body.len() == 1 {
            if let Tok::Ident(name) = &body[0].tok {
                if syntax == Syntax::Brian2 {
                    if unit.is_none() {
                        return Err(src.error(
                            ErrorKind::Syntax,
                            body[0].span,
                            format!("`{name}` needs a unit: `{name} : volt`, `{name} : 1`"),
                            "x : unit declares a variable without equation",
                        ));
                    }
                    return Ok(Decl {
                        name: name.clone(),
                        name_span: body[0].span,
                        kind: DeclKind::Plain,
                        unit,
                        flags,
                        span: line_span,
                    });
                }
                return Err(src.error(
                    ErrorKind::Syntax,
                    body[0].span,
                    format!("`{name}` has no equation"),
                    "ANNarchy equations are `x = …`, `x += …`, `dx/dt = …`, `tau * dx/dt = …`; constants belong in parameters",
                ));
            }
        }
        return Err(src.error(
            ErrorKind::Syntax,
            body[0].span.to(body[body.len() - 1].span),
            "expected an equation with `=`",
            "dx/dt = …, tau * dx/dt = …, x = …, x += … (ANNarchy), x : unit (Brian2)",
        ));
    };
    let lhs = &body[..k];
    let rhs_toks = &body[k + 1..];
    let mut p = Parser::new(src, rhs_toks, field);
    let rhs = p.expr()?;
    p.finish("the right-hand side")?;
    let op_span = body[k].span;
    if lhs.is_empty() {
        return Err(src.error(
            ErrorKind::Syntax,
            op_span,
            format!("nothing before `{op}`"),
            "dx/dt = …, tau * dx/dt = …, x = …",
        ));
    }
    // dx/dt = … or factor * dx/dt = …
    let n = lhs.len();
    if n >= 3 {
        if let Some(var) = derivative_at(lhs, n - 3) {
            if op != "=" {
                return Err(src.error(
                    ErrorKind::Syntax,
                    op_span,
                    format!("a differential equation needs `=`, not `{op}`"),
                    "dx/dt = …",
                ));
            }
            let name_span = lhs[n - 3].span;
            let rhs = if n == 3 {
                rhs
            } else {
                if !lhs[n - 4].is_op("*") || n == 4 {
                    return Err(src.error(
                        ErrorKind::Syntax,
                        lhs[0].span.to(lhs[n - 4].span),
                        "unexpected text before the derivative",
                        "dx/dt = …, or tau * dx/dt = … (the right side is divided by tau)",
                    ));
                }
                let mut fp = Parser::new(src, &lhs[..n - 4], field);
                let factor = fp.expr()?;
                fp.finish("the factor of the derivative")?;
                let span = rhs.span;
                Expr::new(
                    ExprKind::Bin(BinOp::Div, Box::new(rhs), Box::new(factor)),
                    span,
                )
            };
            return Ok(Decl {
                name: var,
                name_span,
                kind: DeclKind::Ode(rhs),
                unit,
                flags,
                span: line_span,
            });
        }
    }
    if n == 1 {
        if let Tok::Ident(name) = &lhs[0].tok {
            if KEYWORDS.contains(&name.as_str()) {
                return Err(src.error(
                    ErrorKind::Syntax,
                    lhs[0].span,
                    format!("`{name}` is a keyword"),
                    "a variable name",
                ));
            }
            let assign_op = match op {
                "=" => AssignOp::Set,
                "+=" => AssignOp::Add,
                "-=" => AssignOp::Sub,
                "*=" => AssignOp::Mul,
                _ => AssignOp::Div,
            };
            let kind = match syntax {
                Syntax::Brian2 => {
                    if assign_op != AssignOp::Set {
                        return Err(src.error(
                            ErrorKind::Syntax,
                            op_span,
                            format!("Brian2 equations define values with `=`, not `{op}`"),
                            "x = expression : unit (a subexpression); per-step increments are ANNarchy syntax",
                        ));
                    }
                    if unit.is_none() {
                        return Err(src.error(
                            ErrorKind::Syntax,
                            lhs[0].span,
                            format!("`{name} = …` needs a unit: `{name} = … : volt`"),
                            "x = expression : unit",
                        ));
                    }
                    DeclKind::Subexpr(rhs)
                }
                Syntax::Annarchy => DeclKind::Assign(assign_op, rhs),
            };
            return Ok(Decl {
                name: name.clone(),
                name_span: lhs[0].span,
                kind,
                unit,
                flags,
                span: line_span,
            });
        }
    }
    Err(src.error(
        ErrorKind::Syntax,
        lhs[0].span.to(lhs[n - 1].span),
        "the left-hand side is not a variable or a derivative",
        "dx/dt = …, tau * dx/dt = …, x = …",
    ))
}

fn parse_param(src: &Sources, line: &[Token], syntax: Syntax) -> LangResult<ParamDecl> {
    let field = Field::Parameters;
    let colon = flags_colon(line);
    let (body, rest) = match colon {
        Some(k) => (&line[..k], &line[k + 1..]),
        None => (line, &line[line.len()..]),
    };
    let allowed = match syntax {
        Syntax::Brian2 => "name = value with units, e.g. taum = 20*ms",
        Syntax::Annarchy => "name = value [: flags], e.g. tau = 20.0 : population",
    };
    let (name, name_span) = match body.first().map(|t| &t.tok) {
        Some(Tok::Ident(w)) if !KEYWORDS.contains(&w.as_str()) => (w.clone(), body[0].span),
        _ => {
            let span = body.first().map_or(line[0].span, |t| t.span);
            return Err(src.error(
                ErrorKind::Syntax,
                span,
                "expected a parameter name",
                allowed,
            ));
        }
    };
    if body.len() < 3 || !body[1].is_op("=") {
        let span = body.get(1).map_or(name_span, |t| t.span);
        return Err(src.error(
            ErrorKind::Syntax,
            span,
            format!("expected `{name} = value`"),
            allowed,
        ));
    }
    let mut p = Parser::new(src, &body[2..], field);
    let value = p.expr()?;
    p.finish("the value")?;
    let flags = if rest.is_empty() {
        Vec::new()
    } else {
        parse_flags(src, rest, field, Syntax::Annarchy)?.1
    };
    Ok(ParamDecl {
        name,
        name_span,
        value,
        flags,
    })
}

fn parse_function(src: &Sources, line: &[Token]) -> LangResult<FuncDef> {
    let field = Field::Functions;
    let allowed = "name(a, b) = expression";
    let (name, name_span) = match line.first().map(|t| &t.tok) {
        Some(Tok::Ident(w)) if !KEYWORDS.contains(&w.as_str()) => (w.clone(), line[0].span),
        _ => {
            return Err(src.error(
                ErrorKind::Syntax,
                line[0].span,
                "expected a function name",
                allowed,
            ))
        }
    };
    let mut k = 1;
    if !line.get(k).is_some_and(|t| t.is_op("(")) {
        let span = line.get(k).map_or(name_span, |t| t.span);
        return Err(src.error(
            ErrorKind::Syntax,
            span,
            "expected `(` after the function name",
            allowed,
        ));
    }
    k += 1;
    let mut args = Vec::new();
    loop {
        match line.get(k).map(|t| &t.tok) {
            Some(Tok::Op(")")) if args.is_empty() => {
                k += 1;
                break;
            }
            Some(Tok::Ident(a)) if !KEYWORDS.contains(&a.as_str()) => {
                if args.contains(a) {
                    return Err(src.error(
                        ErrorKind::Duplicate,
                        line[k].span,
                        format!("argument `{a}` appears twice"),
                        "distinct argument names",
                    ));
                }
                args.push(a.clone());
                k += 1;
                match line.get(k).map(|t| &t.tok) {
                    Some(Tok::Op(",")) => k += 1,
                    Some(Tok::Op(")")) => {
                        k += 1;
                        break;
                    }
                    _ => {
                        let span = line.get(k).map_or(line[k - 1].span, |t| t.span);
                        return Err(src.error(
                            ErrorKind::Syntax,
                            span,
                            "expected `,` or `)`",
                            allowed,
                        ));
                    }
                }
            }
            _ => {
                let span = line.get(k).map_or(line[k - 1].span, |t| t.span);
                return Err(src.error(
                    ErrorKind::Syntax,
                    span,
                    "expected an argument name",
                    allowed,
                ));
            }
        }
    }
    if !line.get(k).is_some_and(|t| t.is_op("=")) {
        let span = line.get(k).map_or(line[k - 1].span, |t| t.span);
        return Err(src.error(
            ErrorKind::Syntax,
            span,
            "expected `=` after the arguments",
            allowed,
        ));
    }
    let mut p = Parser::new(src, &line[k + 1..], field);
    let body = p.expr()?;
    p.finish("the function body")?;
    Ok(FuncDef {
        name,
        name_span,
        args,
        body,
    })
}

/// Parse a field holding one expression (`threshold`, `refractory`, `delay`); `None` when the
/// field is empty.
fn single_expr(src: &Sources, field: Field) -> LangResult<Option<Expr>> {
    let toks = tokenize(src, field)?;
    let ls = lines(src, toks, false)?;
    match ls.len() {
        0 => Ok(None),
        1 => {
            let mut p = Parser::new(src, &ls[0], field);
            let e = p.expr()?;
            p.finish("the expression")?;
            Ok(Some(e))
        }
        _ => Err(src.error(
            ErrorKind::Syntax,
            ls[1][0].span,
            "this field holds one expression, not several lines",
            "one expression (continue long ones inside parentheses)",
        )),
    }
}

/// Parse a field of statements (`reset`, `init`, `on_pre`, `on_post`).
pub fn statements(src: &Sources, field: Field) -> LangResult<Vec<Stmt>> {
    let toks = tokenize(src, field)?;
    let mut out = Vec::new();
    for line in lines(src, toks, true)? {
        let mut p = Parser::new(src, &line, field);
        out.push(p.stmt()?);
    }
    Ok(out)
}

/// Parse every field of a model into a [`ModelAst`].
pub fn parse_model(src: &Sources) -> LangResult<ModelAst> {
    let syntax = src.syntax;
    let mut params = Vec::new();
    for line in lines(src, tokenize(src, Field::Parameters)?, true)? {
        params.push(parse_param(src, &line, syntax)?);
    }
    let mut decls = Vec::new();
    for line in lines(src, tokenize(src, Field::Equations)?, false)? {
        decls.push(parse_decl(src, &line, syntax)?);
    }
    let mut functions = Vec::new();
    for line in lines(src, tokenize(src, Field::Functions)?, false)? {
        functions.push(parse_function(src, &line)?);
    }
    let method = {
        let toks = tokenize(src, Field::Method)?;
        match toks.as_slice() {
            [] => None,
            [t] => match &t.tok {
                Tok::Ident(w) | Tok::Str(w) => Some((w.clone(), t.span)),
                _ => {
                    return Err(src.error(
                        ErrorKind::Syntax,
                        t.span,
                        "expected a method name",
                        METHODS_ALLOWED,
                    ))
                }
            },
            [t, ..] => {
                return Err(src.error(
                    ErrorKind::Syntax,
                    t.span.to(toks[toks.len() - 1].span),
                    "expected one method name",
                    METHODS_ALLOWED,
                ))
            }
        }
    };
    Ok(ModelAst {
        syntax,
        params,
        decls,
        functions,
        threshold: single_expr(src, Field::Threshold)?,
        reset: statements(src, Field::Reset)?,
        refractory: single_expr(src, Field::Refractory)?,
        method,
        init: statements(src, Field::Init)?,
        on_pre: statements(src, Field::OnPre)?,
        on_post: statements(src, Field::OnPost)?,
        delay: single_expr(src, Field::Delay)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(syntax: Syntax, field: Field, text: &str) -> Sources {
        let mut texts = vec![String::new(); Field::ALL.len()];
        texts[field as usize] = text.into();
        Sources {
            model: "m".into(),
            syntax,
            texts,
        }
    }

    fn expr(text: &str) -> Expr {
        let s = sources(Syntax::Annarchy, Field::Threshold, text);
        single_expr(&s, Field::Threshold).unwrap().unwrap()
    }

    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Num(x) => format!("{x}"),
            ExprKind::Bool(b) => format!("{b}"),
            ExprKind::Name(n, Scope::Local) => n.clone(),
            ExprKind::Name(n, s) => format!("{s:?}.{n}"),
            ExprKind::Neg(a) => format!("(-{})", show(a)),
            ExprKind::Not(a) => format!("(not {})", show(a)),
            ExprKind::Bin(op, a, b) => format!("({} {} {})", show(a), op.symbol(), show(b)),
            ExprKind::Call(f, args) => {
                format!(
                    "{f}({})",
                    args.iter().map(show).collect::<Vec<_>>().join(", ")
                )
            }
            ExprKind::Cond(c, a, b) => format!("({} ? {} : {})", show(c), show(a), show(b)),
        }
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(show(&expr("1 + 2 * 3 - 4")), "((1 + (2 * 3)) - 4)");
        assert_eq!(show(&expr("-x**2")), "(-(x ** 2))");
        assert_eq!(show(&expr("a^b^c")), "(a ** (b ** c))");
        assert_eq!(show(&expr("x**-2")), "(x ** (-2))");
        assert_eq!(
            show(&expr("a < b and not c || d")),
            "(((a < b) and (not c)) or d)"
        );
        assert_eq!(show(&expr("a if c else b + 1")), "(c ? a : (b + 1))");
        assert_eq!(
            show(&expr("if t_post >= t_pre: ltp else: - ltd")),
            "((t_post >= t_pre) ? ltp : (-ltd))"
        );
        assert_eq!(
            show(&expr("post.r / clip(w, 0, 1)")),
            "(Post.r / clip(w, 0, 1))"
        );
        assert_eq!(show(&expr("rand()")), "rand()");
    }

    #[test]
    fn equation_lines() {
        let s = sources(
            Syntax::Annarchy,
            Field::Equations,
            "tau * dx/dt = -x : init=1.0, min=-2, method=exponential\n\
             stdp = if t_post >= t_pre: ltp else: - ltd\n\
             w += 0.1 * x : min=0.0, max=10.0\n\
             R = post.r : semiglobal",
        );
        let ast = parse_model(&s).unwrap();
        assert_eq!(ast.decls.len(), 4);
        match &ast.decls[0].kind {
            DeclKind::Ode(rhs) => assert_eq!(show(rhs), "((-x) / tau)"),
            k => panic!("{k:?}"),
        }
        assert_eq!(ast.decls[0].flags.len(), 3);
        assert_eq!(ast.decls[0].flags[2].name, "method");
        assert!(matches!(
            ast.decls[1].kind,
            DeclKind::Assign(AssignOp::Set, _)
        ));
        assert!(ast.decls[1].flags.is_empty());
        assert!(matches!(
            ast.decls[2].kind,
            DeclKind::Assign(AssignOp::Add, _)
        ));
        assert_eq!(ast.decls[3].flags[0].name, "semiglobal");
        let s = sources(
            Syntax::Brian2,
            Field::Equations,
            "dv/dt = (ge+gi-(v-El))/taum : volt (unless refractory)\n\
             I = g*(E - v) : amp\nw : 1\ndA/dt = -A/tau : 1 (event-driven)\n\
             x : siemens/(meter**2)",
        );
        let ast = parse_model(&s).unwrap();
        assert_eq!(ast.decls[0].flags[0].name, "unless refractory");
        assert!(matches!(ast.decls[1].kind, DeclKind::Subexpr(_)));
        assert!(matches!(ast.decls[2].kind, DeclKind::Plain));
        assert_eq!(ast.decls[3].flags[0].name, "event-driven");
        assert!(ast.decls[4].flags.is_empty());
        assert_eq!(
            show(ast.decls[4].unit.as_ref().unwrap()),
            "(siemens / (meter ** 2))"
        );
    }

    #[test]
    fn syntax_errors_point_at_the_token() {
        let s = sources(Syntax::Annarchy, Field::Equations, "dv/dt = (v + ) * 2");
        let e = parse_model(&s).unwrap_err();
        assert_eq!((e.line, e.column), (1, 14));
        assert!(e.message.contains("expected a value, found `)`"), "{e}");
        let s = sources(Syntax::Brian2, Field::Reset, "v = Vr; w + b");
        let e = parse_model(&s).unwrap_err();
        assert!(e.message.contains("expected `=`"), "{e}");
        assert_eq!(e.column, 11);
    }
}

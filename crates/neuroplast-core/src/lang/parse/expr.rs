//! Expressions and statements: [`Parser`], a cursor over the tokens of one logical line (a
//! Pratt-style recursive descent; the grammar is in the parent module's docs).

use crate::lang::ast::*;
use crate::lang::error::{ErrorKind, LangResult, Sources};
use crate::lang::lexer::{Tok, Token};
use crate::lang::span::{Field, Span};

/// Deepest nesting of an expression.
const MAX_DEPTH: usize = 200;

pub(super) const KEYWORDS: [&str; 9] = [
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

    pub(super) fn describe(t: Option<&Token>) -> String {
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

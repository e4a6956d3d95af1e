//! Declaration lines: equations (`dx/dt = …`, `x = …`, `x : unit`) with their flags (Brian2's
//! unit and `(flags)`, ANNarchy's `init=…, min=…, method=…`), parameters and user functions.

use crate::lang::ast::*;
use crate::lang::error::{ErrorKind, LangResult, Sources};
use crate::lang::lexer::{Tok, Token};
use crate::lang::span::{Field, Span, Syntax};

use super::expr::{Parser, KEYWORDS};

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

pub(super) fn parse_decl(src: &Sources, line: &[Token], syntax: Syntax) -> LangResult<Decl> {
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

pub(super) fn parse_param(src: &Sources, line: &[Token], syntax: Syntax) -> LangResult<ParamDecl> {
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

pub(super) fn parse_function(src: &Sources, line: &[Token]) -> LangResult<FuncDef> {
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

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
//!
//! | module | part |
//! |---|---|
//! | `expr` | expressions and statements (one logical line) |
//! | `decl` | equation lines with their flags, parameters, functions |
//! | this file | the fields of a model table → [`ModelAst`] |

mod decl;
mod expr;

use super::ast::*;
use super::error::{ErrorKind, LangResult, Sources};
use super::lexer::{lines, tokenize, Tok};
use super::method::METHODS_ALLOWED;
use super::span::Field;

use decl::{parse_decl, parse_function, parse_param};
use expr::Parser;

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
    use crate::lang::span::Syntax;

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

//! Checking: resolve every name, inline subexpressions and user functions, check types
//! (numbers vs conditions) and, in Brian2 syntax, physical dimensions. The result is a
//! [`Checked`] model whose expressions refer to parameters and variables by index.
//!
//! | module | part |
//! |---|---|
//! | `checker` | the checker's state; the type of an expression |
//! | `names` | names: parameters, variables, subexpressions, built-ins, pre/post |
//! | `expr` | expressions, calls, user functions |
//! | `dims` | numbers vs conditions, dimensions, declared units |
//! | `stmt` | statements and their targets |
//! | this file | a whole model, declaration by declaration |

mod checker;
mod dims;
mod expr;
mod names;
mod stmt;

use std::collections::BTreeMap;

use super::ast::*;
use super::checked::{Checked, Equation, Param, RStmt, Refractory, Target, Var, VarKind};
use super::error::{ErrorKind, LangResult, Sources};
use super::method::{Method, METHODS_ALLOWED};
use super::span::{Field, Span, Syntax};
use super::symbolic::{Builtin, Func, RExpr};
use super::units::Dim;

use checker::{Checker, Ctx, Decl0, Ty};
use dims::unit_dim;
use names::is_noise_name;
use stmt::statements;

/// Check a parsed model.
pub fn check(src: &Sources, ast: &ModelAst, synapse: bool) -> LangResult<Checked> {
    let brian = ast.syntax == Syntax::Brian2;
    let mut c = Checker {
        src,
        synapse,
        brian,
        params: Vec::new(),
        vars: Vec::new(),
        names: BTreeMap::new(),
        subexprs: Vec::new(),
        subexpr_done: Vec::new(),
        subexpr_stack: Vec::new(),
        functions: BTreeMap::new(),
        fn_stack: Vec::new(),
        bindings: Vec::new(),
        ext: Vec::new(),
        noise: Vec::new(),
        depth: 0,
        pop_ok: false,
        pops: Vec::new(),
    };
    let reserved = |n: &str| -> bool {
        [
            "t",
            "dt",
            "i",
            "j",
            "xi",
            "I_ext",
            "t_pre",
            "t_post",
            "pi",
            "inf",
            "delay",
            "lastspike_pre",
            "lastspike_post",
        ]
        .contains(&n)
            || is_noise_name(n)
    };
    let reserved_err = |c: &Checker, n: &str, span: Span| {
        c.err(
            ErrorKind::Duplicate,
            span,
            format!("`{n}` is a built-in name and cannot be redefined"),
            "another name (built-ins: t, dt, i, j, I_ext, xi, t_pre, t_post, delay, pi, inf)",
        )
    };
    // ---- functions
    for f in &ast.functions {
        if reserved(&f.name)
            || Func::TABLE.iter().any(|t| t.0 == f.name)
            || ["pow", "pos", "neg", "positive", "negative"].contains(&f.name.as_str())
        {
            return Err(c.err(
                ErrorKind::Duplicate,
                f.name_span,
                format!("`{}` is a built-in function or name", f.name),
                "another name for your function",
            ));
        }
        if c.functions.insert(f.name.clone(), f).is_some() {
            return Err(c.err(
                ErrorKind::Duplicate,
                f.name_span,
                format!("function `{}` is defined twice", f.name),
                "one definition per function",
            ));
        }
    }
    // ---- parameters, in order
    for p in &ast.params {
        if reserved(&p.name) {
            return Err(reserved_err(&c, &p.name, p.name_span));
        }
        if c.names.contains_key(&p.name) {
            return Err(c.err(
                ErrorKind::Duplicate,
                p.name_span,
                format!("parameter `{}` is defined twice", p.name),
                "one definition per name",
            ));
        }
        let (e, t) = c.expr(&p.value, Ctx::Param)?;
        let mut population = false;
        let mut boolean = t == Ty::Bool;
        for f in &p.flags {
            match f.name.as_str() {
                "population" | "projection" | "shared" => population = true,
                "postsynaptic" | "semiglobal" | "local" | "float" | "int" | "constant" => {}
                "bool" => boolean = true,
                other => {
                    return Err(c.err(
                        ErrorKind::Unsupported,
                        f.span,
                        format!("unknown parameter flag `{other}`"),
                        "population, postsynaptic, int, bool, float",
                    ));
                }
            }
        }
        let default = c.const_value(&e).ok_or_else(|| {
            c.err(
                ErrorKind::Type,
                p.value.span,
                format!("the value of `{}` is not a constant", p.name),
                "numbers, units and earlier parameters",
            )
        })?;
        if !default.is_finite() {
            return Err(c.err(
                ErrorKind::Value,
                p.value.span,
                format!("`{}` = {default} is not a finite number", p.name),
                "a finite value",
            ));
        }
        let dim = match t {
            Ty::Num(d) => d,
            _ => Dim::ONE,
        };
        c.params.push(Param {
            name: p.name.clone(),
            expr: e,
            default,
            dim,
            population,
            boolean,
            span: p.name_span,
        });
        c.names
            .insert(p.name.clone(), Decl0::Param((c.params.len() - 1) as u32));
    }
    // ---- equations, first pass: names, units, flags
    let mut order: Vec<(usize, Option<u32>)> = Vec::new(); // decl index, var id (None: subexpr)
    for (k, d) in ast.decls.iter().enumerate() {
        if reserved(&d.name) {
            return Err(reserved_err(&c, &d.name, d.name_span));
        }
        if let Some(prev) = c.names.get(&d.name) {
            if let (Decl0::Param(p), DeclKind::Ode(_)) = (prev, &d.kind) {
                let pline = {
                    let e = src.error(ErrorKind::Duplicate, c.params[*p as usize].span, "", "");
                    e.line
                };
                return Err(c.err(
                    ErrorKind::OdeForParameter,
                    d.name_span,
                    format!("`{}` is a parameter (parameters, line {pline}) and cannot have a differential equation", d.name),
                    format!("remove `{}` from parameters and give its initial value with {}", d.name, if brian { "the init field" } else { "init=…" }),
                ));
            }
            let what = match prev {
                Decl0::Param(_) => "a parameter",
                _ => "a variable",
            };
            return Err(c.err(
                ErrorKind::Duplicate,
                d.name_span,
                format!("`{}` is defined twice (it is already {what})", d.name),
                "one definition per name",
            ));
        }
        let dim = match &d.unit {
            Some(u) if brian => unit_dim(&c, u)?,
            Some(u) => {
                return Err(c.err(
                    ErrorKind::Unsupported,
                    u.span,
                    "units are Brian2 syntax",
                    "ANNarchy flags: init=…, min=…, max=…, method=…",
                ));
            }
            None if brian => {
                return Err(c.err(
                    ErrorKind::Syntax,
                    d.span,
                    format!("`{}` needs a unit after `:`", d.name),
                    "dx/dt = … : volt, x = … : amp, x : 1",
                ));
            }
            None => Dim::ONE,
        };
        let kind = match &d.kind {
            DeclKind::Ode(_) => Some(VarKind::Ode),
            DeclKind::Assign(..) => Some(VarKind::Assigned),
            DeclKind::Plain => Some(VarKind::Plain),
            DeclKind::Subexpr(e) => {
                c.subexprs
                    .push((d.name.clone(), e.clone(), dim, d.name_span));
                c.subexpr_done.push(None);
                c.names
                    .insert(d.name.clone(), Decl0::Subexpr(c.subexprs.len() - 1));
                None
            }
        };
        let Some(kind) = kind else {
            if let Some(f) = d.flags.first() {
                return Err(c.err(
                    ErrorKind::Unsupported,
                    f.span,
                    format!("flag `{}` is not allowed on a subexpression", f.name),
                    "no flags on x = … : unit",
                ));
            }
            order.push((k, None));
            continue;
        };
        c.vars.push(Var {
            name: d.name.clone(),
            dim,
            kind,
            init: None,
            min: None,
            max: None,
            method: None,
            unless_refractory: false,
            event_driven: false,
            semiglobal: false,
            constant: false,
            span: d.name_span,
        });
        let v = (c.vars.len() - 1) as u32;
        c.names.insert(d.name.clone(), Decl0::Var(v));
        order.push((k, Some(v)));
    }
    // flags (after all names exist: init= may use parameters only)
    for &(k, v) in &order {
        let Some(v) = v else { continue };
        let d = &ast.decls[k];
        for f in &d.flags {
            let ode = c.vars[v as usize].kind == VarKind::Ode;
            let name = f.name.as_str();
            let as_method = Method::parse(name);
            match name {
                "unless refractory" if brian && !synapse => {
                    c.vars[v as usize].unless_refractory = true
                }
                "event-driven" if synapse && ode => c.vars[v as usize].event_driven = true,
                "clock-driven" if synapse && ode => {}
                "constant" if brian && c.vars[v as usize].kind == VarKind::Plain => {
                    c.vars[v as usize].constant = true
                }
                "init" if !brian => {
                    let e = c.flag_value(f, Ctx::Param)?;
                    c.vars[v as usize].init = Some(e);
                }
                "min" if !brian => {
                    let e = c.flag_value(f, Ctx::Threshold)?;
                    c.vars[v as usize].min = Some(e);
                }
                "max" if !brian => {
                    let e = c.flag_value(f, Ctx::Threshold)?;
                    c.vars[v as usize].max = Some(e);
                }
                "method" if !brian && ode => {
                    let Some(Expr {
                        kind: ExprKind::Name(m, _),
                        span,
                    }) = &f.value
                    else {
                        return Err(c.err(
                            ErrorKind::Method,
                            f.span,
                            "method needs a name: method=midpoint",
                            METHODS_ALLOWED,
                        ));
                    };
                    if m == "event-driven" || m == "event_driven" {
                        if !synapse {
                            return Err(c.err(
                                ErrorKind::Method,
                                *span,
                                "event-driven integration is for synapse variables",
                                METHODS_ALLOWED,
                            ));
                        }
                        c.vars[v as usize].event_driven = true;
                        continue;
                    }
                    let Some(m) = Method::parse(m) else {
                        return Err(c.err(
                            ErrorKind::Method,
                            *span,
                            format!("unknown method `{m}`"),
                            METHODS_ALLOWED,
                        ));
                    };
                    c.vars[v as usize].method = Some((m, *span));
                }
                "event-driven" | "event_driven" if !brian && synapse && ode => {
                    c.vars[v as usize].event_driven = true
                }
                _ if !brian && ode && as_method.is_some() => {
                    c.vars[v as usize].method = as_method.map(|m| (m, f.span));
                }
                "semiglobal" if !brian && synapse => c.vars[v as usize].semiglobal = true,
                "population" | "postsynaptic" | "semiglobal" | "local" | "float" | "int"
                    if !brian => {}
                "locality" if !brian => {}
                "shared" | "linked" | "summed" | "constant over dt" if brian => {
                    return Err(c.err(ErrorKind::Unsupported, f.span, format!("the Brian2 flag ({name}) is not supported"), "(unless refractory) on neuron equations, (event-driven) on synapse equations, (constant) on x : unit"));
                }
                _ => {
                    let allowed = match (brian, synapse) {
                        (true, false) => "(unless refractory) on a differential equation, (constant) on x : unit",
                        (true, true) => "(event-driven) or (clock-driven) on a differential equation, (constant) on x : unit",
                        (false, false) => "init=…, min=…, max=…, method=…, population, or a method name (euler, midpoint, rk4, exponential, exact)",
                        (false, true) => "init=…, min=…, max=…, method=…, event-driven, semiglobal, postsynaptic, or a method name",
                    };
                    return Err(c.err(
                        ErrorKind::Unsupported,
                        f.span,
                        format!("flag `{name}` is not allowed here"),
                        allowed,
                    ));
                }
            }
        }
    }
    // ANNarchy: refractoriness holds every variable except the conductances g_*
    if !brian && !synapse && ast.refractory.is_some() {
        for v in c.vars.iter_mut() {
            if !v.name.starts_with("g_") {
                v.unless_refractory = true;
            }
        }
    }
    // ---- equations, second pass: right-hand sides
    let mut eqs = Vec::new();
    for &(k, v) in &order {
        let d = &ast.decls[k];
        match (&d.kind, v) {
            (DeclKind::Ode(rhs), Some(v)) => {
                let (e, t) = c.expr(rhs, Ctx::Ode)?;
                c.expect_num(t, rhs.span, &format!("the right side of d{}/dt", d.name))?;
                if let Ty::Num(got) = t {
                    let want = c.vars[v as usize].dim.div(Dim::SECOND);
                    // with white noise the noise term has its own dimension: checked per term
                    if got != want && !e.any(&|x| matches!(x, RExpr::Noise(_))) {
                        return Err(c.err(
                            ErrorKind::Units,
                            rhs.span,
                            format!(
                                "units do not match: d{}/dt is {}/second, so the right side must be {want}; it is {got}",
                                d.name,
                                c.vars[v as usize].dim
                            ),
                            format!("an expression in {want} (the variable's unit divided by second)"),
                        ));
                    }
                }
                eqs.push(Equation::Ode {
                    var: v,
                    rhs: e,
                    span: d.span,
                });
            }
            (DeclKind::Assign(op, rhs), Some(v)) => {
                let (e, t) = c.expr(rhs, Ctx::Equation)?;
                c.expect_num(t, rhs.span, &format!("the value of {}", d.name))?;
                eqs.push(Equation::Assign {
                    var: v,
                    op: *op,
                    rhs: e,
                    span: d.span,
                });
            }
            (DeclKind::Subexpr(_), None) => {
                if let Some(Decl0::Subexpr(s)) = c.names.get(&d.name).cloned() {
                    c.subexpr(s, d.name_span)?;
                }
            }
            _ => {}
        }
    }
    // ---- threshold, reset, refractory
    let threshold = match &ast.threshold {
        Some(e) => {
            c.pop_ok = !synapse;
            let (r, t) = c.expr(e, Ctx::Threshold)?;
            c.pop_ok = false;
            c.expect_bool(t, e.span, "the threshold")?;
            Some((r, e.span))
        }
        None => None,
    };
    c.pop_ok = !synapse;
    let reset = statements(&mut c, &ast.reset, Ctx::Statement)?;
    c.pop_ok = false;
    let refractory = match &ast.refractory {
        Some(e) => {
            let (r, t) = c.expr(e, Ctx::Refractory)?;
            match t {
                Ty::Bool if brian => Some((Refractory::Until(r), e.span)),
                Ty::Bool => {
                    return Err(c.err(
                        ErrorKind::Type,
                        e.span,
                        "ANNarchy's refractory period is a duration in ms",
                        "a number or a parameter (ms)",
                    ));
                }
                Ty::Num(d) if d != Dim::SECOND => {
                    return Err(c.err(ErrorKind::Units, e.span, format!("the refractory period must be a duration (second) or a condition; this is {d}"), "a duration like 5*ms, or a condition like v > -40*mV"));
                }
                _ => {
                    if r.any(&|x| matches!(x, RExpr::Var(_))) && !brian {
                        return Err(c.err(
                            ErrorKind::Type,
                            e.span,
                            "the refractory period must not depend on state variables",
                            "a number or a parameter (ms)",
                        ));
                    }
                    Some((Refractory::Duration(r), e.span))
                }
            }
        }
        None => None,
    };
    if threshold.is_none() && !synapse {
        if let Some(s) = reset.first() {
            return Err(c.err(
                ErrorKind::Unsupported,
                s.span,
                "a reset without a threshold never runs",
                format!(
                    "add a {} condition",
                    if brian { "threshold" } else { "spike" }
                ),
            ));
        }
        if let Some((_, span)) = &refractory {
            return Err(c.err(
                ErrorKind::Unsupported,
                *span,
                "a refractory period without a threshold never starts",
                format!(
                    "add a {} condition",
                    if brian { "threshold" } else { "spike" }
                ),
            ));
        }
    }
    let init = statements(&mut c, &ast.init, Ctx::Init)?;
    let on_pre = statements(&mut c, &ast.on_pre, Ctx::OnPre)?;
    let on_post = statements(&mut c, &ast.on_post, Ctx::OnPost)?;
    let method = match &ast.method {
        Some((m, span)) => match Method::parse(m) {
            Some(m) => Some((m, *span)),
            None => {
                return Err(c.err(
                    ErrorKind::Method,
                    *span,
                    format!("unknown method `{m}`"),
                    METHODS_ALLOWED,
                ));
            }
        },
        None => None,
    };
    let delay = match &ast.delay {
        Some(e) => {
            let (r, t) = c.expr(e, Ctx::Delay)?;
            if let Ty::Num(d) = t {
                if d != Dim::SECOND {
                    return Err(c.err(
                        ErrorKind::Units,
                        e.span,
                        format!("the delay must be a duration (second); this is {d}"),
                        "a duration like 1.5*ms",
                    ));
                }
            }
            let x = c
                .const_value(&r)
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| {
                    c.err(
                        ErrorKind::Value,
                        e.span,
                        "the delay must be a constant ≥ 0",
                        "a number of ms (ANNarchy) or a duration like 1.5*ms (Brian2)",
                    )
                })?;
            Some(x)
        }
        None => None,
    };
    // synapses: a postsynaptic value that on_pre adds to cannot also be read by on_pre
    if synapse {
        for s in on_pre.iter() {
            if let Target::Ext(k) = s.target {
                let uses = |st: &RStmt| st.value.any(&|x| *x == RExpr::Ext(k));
                if on_pre.iter().any(uses) {
                    let e = &c.ext[k as usize];
                    return Err(c.err(ErrorKind::Unsupported, s.span, format!("on_pre both adds to and reads the postsynaptic `{}`", e.name), "on_pre adds to postsynaptic values or reads them, not both (arrivals of one step are applied together)"));
                }
            }
        }
    }
    if synapse {
        semiglobal_reads(&c, &eqs, [&init, &on_pre, &on_post])?;
    }
    let noise = std::mem::take(&mut c.noise);
    if synapse && !noise.is_empty() {
        return Err(c.err(
            ErrorKind::Unsupported,
            ast.decls
                .first()
                .map_or(Span::new(Field::Equations, 0, 0), |d| d.span),
            "white noise in synapse equations is not supported",
            "xi in neuron equations",
        ));
    }
    Ok(Checked {
        sources: src.clone(),
        params: c.params,
        vars: c.vars,
        eqs,
        threshold,
        reset,
        refractory,
        init,
        on_pre,
        on_post,
        ext: c.ext,
        noise,
        method,
        delay,
        reductions: c.pops,
    })
}

/// ANNarchy's `: semiglobal` variables hold one value per postsynaptic neuron: their equations
/// (and bounds) may read only parameters, postsynaptic values, `t`, `dt`, `t_post`, `j` and other
/// semiglobal variables, and only their own equation sets them.
fn semiglobal_reads(c: &Checker, eqs: &[Equation], stmts: [&[RStmt]; 3]) -> LangResult<()> {
    const ALLOWED: &str =
        "parameters, postsynaptic values (post.x), t, dt, t_post, j and other semiglobal variables";
    if let Some(w) = c.vars.iter().find(|v| v.semiglobal && v.name == "w") {
        return Err(c.err(
            ErrorKind::Unsupported,
            w.span,
            "the weight `w` is semiglobal",
            "`w` has one value per synapse (drop the semiglobal flag)",
        ));
    }
    for eq in eqs {
        let (Equation::Ode { var, rhs, span } | Equation::Assign { var, rhs, span, .. }) = eq;
        let v = &c.vars[*var as usize];
        if !v.semiglobal {
            continue;
        }
        if v.event_driven {
            return Err(c.err(
                ErrorKind::Unsupported,
                *span,
                format!("`{}` is semiglobal and event-driven", v.name),
                "semiglobal variables are integrated every step (drop one flag)",
            ));
        }
        let mut bad: Option<String> = None;
        let mut look = |e: &RExpr| {
            e.visit(&mut |x| {
                let what = match x {
                    RExpr::Var(u) if !c.vars[*u as usize].semiglobal => Some(format!(
                        "the per-synapse variable `{}`",
                        c.vars[*u as usize].name
                    )),
                    RExpr::Ext(k) if c.ext[*k as usize].scope == Scope::Pre => {
                        Some(format!("the presynaptic `{}`", c.ext[*k as usize].name))
                    }
                    RExpr::Builtin(b @ (Builtin::I | Builtin::TPre | Builtin::Delay)) => {
                        Some(format!("`{}`, a per-synapse value", b.name()))
                    }
                    _ => None,
                };
                if bad.is_none() {
                    bad = what;
                }
            })
        };
        look(rhs);
        for e in [&v.min, &v.max].into_iter().flatten() {
            look(e);
        }
        if let Some(what) = bad {
            return Err(c.err(
                ErrorKind::Unsupported,
                *span,
                format!(
                    "`{}` is semiglobal (one value per postsynaptic neuron) but reads {what}",
                    v.name
                ),
                ALLOWED,
            ));
        }
    }
    for st in stmts.into_iter().flatten() {
        if let Target::Var(u) = st.target {
            let v = &c.vars[u as usize];
            if v.semiglobal {
                return Err(c.err(
                    ErrorKind::Unsupported,
                    st.span,
                    format!("`{}` is semiglobal (one value per postsynaptic neuron): only its equation sets it", v.name),
                    "statements set per-synapse variables and add to postsynaptic targets",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::parse::parse_model;
    use crate::lang::source::ModelSource;

    fn check_src(m: &ModelSource, synapse: bool) -> LangResult<Checked> {
        let src = m.sources("test", synapse)?;
        let ast = parse_model(&src)?;
        check(&src, &ast, synapse)
    }

    #[test]
    fn cuba_checks() {
        let mut m = ModelSource::brian2(
            "dv/dt = (ge+gi-(v-El))/taum : volt (unless refractory)\ndge/dt = -ge/taue : volt\ndgi/dt = -gi/taui : volt",
        );
        m.parameters =
            "taum = 20*ms\ntaue = 5*ms\ntaui = 10*ms\nVt = -50*mV\nVr = -60*mV\nEl = -49*mV".into();
        m.threshold = Some("v > Vt".into());
        m.reset = Some("v = Vr".into());
        m.refractory = Some("5*ms".into());
        let c = check_src(&m, false).unwrap();
        assert_eq!(c.vars.len(), 3);
        assert!(c.vars[0].unless_refractory);
        assert_eq!(c.params[0].default, 20.0);
        assert_eq!(c.params[3].default, -50.0);
    }

    #[test]
    fn unknown_names_list_the_nearest() {
        let mut m = ModelSource::brian2("dv/dt = (El - v)/taum2 : volt");
        m.parameters = "taum = 20*ms\nEl = -49*mV".into();
        let e = check_src(&m, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownName);
        assert_eq!((e.line, e.column), (1, 18));
        assert!(e.allowed.contains("nearest: taum"), "{e}");
    }

    #[test]
    fn wrong_units_name_both_dimensions() {
        let mut m = ModelSource::brian2("dv/dt = (El - v)/taum + I : volt\nI : amp");
        m.parameters = "taum = 20*ms\nEl = -49*mV".into();
        let e = check_src(&m, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Units);
        assert!(e.message.contains("volt/second (m² kg s⁻⁴ A⁻¹)"), "{e}");
        assert!(e.message.contains("amp (A)"), "{e}");
    }

    #[test]
    fn annarchy_implicit_conductances_and_functions() {
        let mut m = ModelSource::annarchy(
            "a = 0.02\nb = 0.2",
            "I = g_exc * nmda(v, -80.0, 60.0)\ndv/dt = 0.04*v*v + 5*v + 140 - u + I : init=-65.0\ndu/dt = a*(b*v - u) : init=-13.0",
        );
        m.functions = "nmda(v, t, s) = ((v-t)/(s))^2 / (1.0 + ((v-t)/(s))^2)".into();
        m.spike = Some("v >= 30.0".into());
        m.reset = Some("v = -65.0\nu += 8.0".into());
        m.refractory = Some("1.0".into());
        let c = check_src(&m, false).unwrap();
        let g = c.vars.iter().find(|v| v.name == "g_exc").unwrap();
        assert_eq!(g.kind, VarKind::Implicit);
        assert!(!g.unless_refractory);
        assert!(
            c.vars
                .iter()
                .find(|v| v.name == "v")
                .unwrap()
                .unless_refractory
        );
    }
}

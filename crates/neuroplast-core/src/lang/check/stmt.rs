//! Statements (reset, `init`, `on_pre`, `on_post`): the target each assigns (a variable of
//! the model, or a postsynaptic value a synapse adds to) and the value's type.

use crate::lang::ast::{AssignOp, Scope, Stmt};
use crate::lang::checked::{RStmt, Target, VarKind};
use crate::lang::error::{nearest, ErrorKind, LangResult};
use crate::lang::symbolic::{Builtin, RExpr};

use super::checker::{Checker, Ctx, Decl0, Ty};

pub(super) fn statements(c: &mut Checker, stmts: &[Stmt], ctx: Ctx) -> LangResult<Vec<RStmt>> {
    let mut out = Vec::new();
    for s in stmts {
        let span = s.target_span.to(s.value.span);
        let (value, vt) = c.expr(&s.value, ctx)?;
        c.expect_num(
            vt,
            s.value.span,
            &format!("the value assigned to `{}`", s.target),
        )?;
        if value.any(&|e| matches!(e, RExpr::Builtin(Builtin::IExt))) && ctx != Ctx::Statement {
            return Err(c.err(
                ErrorKind::Unsupported,
                s.value.span,
                "I_ext is only known during a step",
                "I_ext in equations, threshold and reset",
            ));
        }
        // the target
        let local = c.names.get(&s.target).cloned();
        let target_names: Vec<String> = c
            .vars
            .iter()
            .filter(|v| !v.constant && v.kind != VarKind::Implicit)
            .map(|v| v.name.clone())
            .collect();
        let allowed_targets = if target_names.is_empty() {
            "the variables of this model".to_string()
        } else {
            format!("a variable of this model: {}", target_names.join(", "))
        };
        let post_target = |c: &mut Checker, name: &str, scope: Scope| -> LangResult<Target> {
            if !matches!(ctx, Ctx::OnPre | Ctx::OnPost) || scope == Scope::Pre {
                return Err(c.err(ErrorKind::Unsupported, s.target_span, format!("cannot assign `{name}` of the {} neuron here", if scope == Scope::Pre { "presynaptic" } else { "postsynaptic" }), "on_pre / pre_spike may add to postsynaptic variables (ge_post += w, g_target += w)"));
            }
            if ctx == Ctx::OnPost {
                return Err(c.err(
                    ErrorKind::Unsupported,
                    s.target_span,
                    format!("on_post cannot change the postsynaptic `{name}`"),
                    "on_post changes synapse variables",
                ));
            }
            if !matches!(s.op, AssignOp::Add | AssignOp::Sub) {
                return Err(c.err(ErrorKind::Unsupported, s.target_span, format!("a postsynaptic value can only be added to (`{name} += …`), not set with `{}`", s.op.symbol()), "+= or -= (the arrivals of one step add up)"));
            }
            let k = c.ext_ref(Scope::Post, name, s.target_span, true);
            if let Ty::Num(d) = vt {
                c.ext[k as usize].write_dim = Some(d);
            }
            Ok(Target::Ext(k))
        };
        let target = match (s.scope, local) {
            (Scope::Local, Some(Decl0::Var(v))) => {
                let var = &c.vars[v as usize];
                if var.constant {
                    return Err(c.err(
                        ErrorKind::Unsupported,
                        s.target_span,
                        format!("`{}` is declared (constant)", s.target),
                        allowed_targets,
                    ));
                }
                if var.kind == VarKind::Implicit && ctx != Ctx::Statement {
                    return Err(c.err(
                        ErrorKind::Unsupported,
                        s.target_span,
                        format!("`{}` is a receptor target, set by synapses", s.target),
                        allowed_targets,
                    ));
                }
                if let (Ty::Num(want), Ty::Num(got)) = (Ty::Num(var.dim), vt) {
                    if c.brian && want != got {
                        return Err(c.err(
                            ErrorKind::Units,
                            span,
                            format!(
                                "units do not match: `{}` is {want}, the value is {got}",
                                s.target
                            ),
                            format!("a value in {want}"),
                        ));
                    }
                }
                Target::Var(v)
            }
            (Scope::Local, Some(Decl0::Param(_))) => {
                return Err(c.err(
                    ErrorKind::Unsupported,
                    s.target_span,
                    format!(
                        "`{}` is a parameter; parameters do not change during a run",
                        s.target
                    ),
                    allowed_targets,
                ));
            }
            (Scope::Local, Some(Decl0::Subexpr(_))) => {
                return Err(c.err(
                    ErrorKind::Unsupported,
                    s.target_span,
                    format!(
                        "`{}` is defined by an equation and cannot be assigned",
                        s.target
                    ),
                    allowed_targets,
                ));
            }
            (Scope::Local, None) if c.synapse && !c.brian && s.target == "g_target" => {
                post_target(c, "g_target", Scope::Post)?
            }
            (Scope::Local, None)
                if c.synapse && c.brian && matches!(ctx, Ctx::OnPre | Ctx::OnPost) =>
            {
                let (stem, scope) = if let Some(st) =
                    s.target.strip_suffix("_post").filter(|x| !x.is_empty())
                {
                    (st.to_string(), Scope::Post)
                } else if let Some(st) = s.target.strip_suffix("_pre").filter(|x| !x.is_empty()) {
                    (st.to_string(), Scope::Pre)
                } else {
                    (s.target.clone(), Scope::Post)
                };
                post_target(c, &stem, scope)?
            }
            (Scope::Post | Scope::Pre, _) => {
                let name = s.target.clone();
                post_target(c, &name, s.scope)?
            }
            (Scope::Local, None) => {
                let near = nearest(&s.target, target_names.iter().map(|s| s.as_str()), 3);
                let mut allowed = allowed_targets.clone();
                if !near.is_empty() {
                    allowed = format!("{allowed}; nearest: {}", near.join(", "));
                }
                return Err(c.err(
                    ErrorKind::UnknownName,
                    s.target_span,
                    format!("unknown variable `{}`", s.target),
                    allowed,
                ));
            }
        };
        out.push(RStmt {
            target,
            op: s.op,
            value,
            span,
        });
    }
    Ok(out)
}

//! Name resolution: parameters, variables, subexpressions (inlined, cycles refused), built-in
//! names, units, white noise, and a synapse's references to its pre- and postsynaptic neurons.

use crate::lang::ast::Scope;
use crate::lang::checked::{ExtRef, Var, VarKind};
use crate::lang::error::{nearest, ErrorKind, LangError, LangResult};
use crate::lang::span::Span;
use crate::lang::symbolic::{Builtin, RExpr};
use crate::lang::units::{self, Dim};

use super::checker::{Checker, Ctx, Decl0, Ty};

const BUILTIN_NAMES_NEURON: [&str; 6] = ["t", "dt", "i", "I_ext", "xi", "pi"];
const BUILTIN_NAMES_SYNAPSE: [&str; 9] =
    ["t", "dt", "i", "j", "t_pre", "t_post", "delay", "xi", "pi"];

pub(super) fn is_noise_name(n: &str) -> bool {
    n == "xi" || n.strip_prefix("xi_").is_some_and(|s| !s.is_empty())
}

impl<'a> Checker<'a> {
    pub(super) fn known_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.names.keys().cloned().collect();
        for b in self.bindings.iter().flat_map(|m| m.keys()) {
            v.push(b.clone());
        }
        let builtins: &[&str] = if self.synapse {
            &BUILTIN_NAMES_SYNAPSE
        } else {
            &BUILTIN_NAMES_NEURON
        };
        v.extend(builtins.iter().map(|s| s.to_string()));
        v
    }

    pub(super) fn unknown(&self, name: &str, span: Span, ctx: Ctx) -> LangError {
        let known = self.known_names();
        let near = nearest(name, known.iter().map(|s| s.as_str()), 3);
        let what = match ctx {
            Ctx::Param => "a number, a unit, an earlier parameter or pi",
            _ if self.synapse && self.brian => {
                "a parameter or variable of this synapse, x_pre / x_post for neuron values, or a built-in name"
            }
            _ if self.synapse => {
                "a parameter or variable of this synapse, pre.x / post.x for neuron values, or a built-in name"
            }
            _ => "a parameter, variable or function of this model, or a built-in name (t, dt, i, I_ext, xi, pi)",
        };
        let allowed = if near.is_empty() {
            what.to_string()
        } else {
            format!("{what}; nearest: {}", near.join(", "))
        };
        self.err(
            ErrorKind::UnknownName,
            span,
            format!("unknown name `{name}`"),
            allowed,
        )
    }

    pub(super) fn ext_ref(&mut self, scope: Scope, name: &str, span: Span, write: bool) -> u32 {
        if let Some(k) = self
            .ext
            .iter()
            .position(|e| e.scope == scope && e.name == name)
        {
            let e = &mut self.ext[k];
            e.read |= !write;
            e.written |= write;
            return k as u32;
        }
        self.ext.push(ExtRef {
            scope,
            name: name.to_string(),
            read: !write,
            written: write,
            write_dim: None,
            span,
        });
        (self.ext.len() - 1) as u32
    }

    pub(super) fn name(
        &mut self,
        name: &str,
        scope: Scope,
        span: Span,
        ctx: Ctx,
    ) -> LangResult<(RExpr, Ty)> {
        if scope != Scope::Local {
            if !self.synapse {
                return Err(self.err(
                    ErrorKind::UnknownName,
                    span,
                    format!(
                        "`{}.{name}` refers to a neuron of a synapse, but this is a neuron model",
                        if scope == Scope::Pre { "pre" } else { "post" }
                    ),
                    "the names of this model",
                ));
            }
            let k = self.ext_ref(scope, name, span, false);
            return Ok((RExpr::Ext(k), Ty::Any));
        }
        for b in self.bindings.iter().rev() {
            if let Some(x) = b.get(name) {
                return Ok(x.clone());
            }
        }
        if let Some(d) = self.names.get(name).cloned() {
            match d {
                Decl0::Param(p) => {
                    let par = &self.params[p as usize];
                    let ty = if par.boolean {
                        Ty::Bool
                    } else if self.brian {
                        Ty::Num(par.dim)
                    } else {
                        Ty::Any
                    };
                    return Ok((RExpr::Param(p), ty));
                }
                Decl0::Var(v) => {
                    if ctx == Ctx::Param || ctx == Ctx::Delay {
                        return Err(self.err(
                            ErrorKind::Type,
                            span,
                            format!("`{name}` is a variable; this value must be a constant"),
                            "numbers, units and parameters",
                        ));
                    }
                    let ty = if self.brian {
                        Ty::Num(self.vars[v as usize].dim)
                    } else {
                        Ty::Any
                    };
                    return Ok((RExpr::Var(v), ty));
                }
                Decl0::Subexpr(s) => {
                    if ctx == Ctx::Param || ctx == Ctx::Delay {
                        return Err(self.err(
                            ErrorKind::Type,
                            span,
                            format!(
                                "`{name}` is defined by an equation; this value must be a constant"
                            ),
                            "numbers, units and parameters",
                        ));
                    }
                    return self.subexpr(s, span);
                }
            }
        }
        let time_ty = if self.brian {
            Ty::Num(Dim::SECOND)
        } else {
            Ty::Any
        };
        match name {
            "pi" => return Ok((RExpr::Const(std::f64::consts::PI), self.any_num())),
            "inf" => return Ok((RExpr::Const(f64::INFINITY), Ty::Any)),
            "dt" => return Ok((RExpr::Builtin(Builtin::Dt), time_ty)),
            _ => {}
        }
        if ctx != Ctx::Param && ctx != Ctx::Delay {
            match name {
                "t" => return Ok((RExpr::Builtin(Builtin::T), time_ty)),
                "i" => return Ok((RExpr::Builtin(Builtin::I), self.any_num())),
                "I_ext" if !self.synapse => {
                    let ty = if self.brian {
                        Ty::Num(Dim::AMP)
                    } else {
                        Ty::Any
                    };
                    return Ok((RExpr::Builtin(Builtin::IExt), ty));
                }
                "j" if self.synapse => return Ok((RExpr::Builtin(Builtin::J), self.any_num())),
                "t_pre" | "lastspike_pre" if self.synapse => {
                    return Ok((RExpr::Builtin(Builtin::TPre), time_ty))
                }
                "t_post" | "lastspike_post" if self.synapse => {
                    return Ok((RExpr::Builtin(Builtin::TPost), time_ty))
                }
                "delay" if self.synapse => return Ok((RExpr::Builtin(Builtin::Delay), time_ty)),
                _ => {}
            }
            if is_noise_name(name) {
                if ctx != Ctx::Ode {
                    return Err(self.err(
                        ErrorKind::Unsupported,
                        span,
                        format!("white noise `{name}` can only appear in a differential equation"),
                        "xi in dx/dt = … (Euler–Maruyama); rand() or randn() elsewhere",
                    ));
                }
                let k = match self.noise.iter().position(|n| n == name) {
                    Some(k) => k,
                    None => {
                        self.noise.push(name.to_string());
                        self.noise.len() - 1
                    }
                };
                let ty = if self.brian {
                    Ty::Num(Dim::SECOND.pow(-0.5).unwrap_or(Dim::ONE))
                } else {
                    Ty::Any
                };
                return Ok((RExpr::Noise(k as u32), ty));
            }
        }
        if self.brian {
            if let Some(u) = units::unit(name) {
                return Ok((RExpr::Const(u.value()), Ty::Num(u.dim)));
            }
            if self.synapse && ctx != Ctx::Param && ctx != Ctx::Delay {
                for (suffix, sc) in [("_post", Scope::Post), ("_pre", Scope::Pre)] {
                    if let Some(stem) = name.strip_suffix(suffix).filter(|s| !s.is_empty()) {
                        let k = self.ext_ref(sc, stem, span, false);
                        return Ok((RExpr::Ext(k), Ty::Any));
                    }
                }
                // Brian2: a name that is not the synapse's refers to the postsynaptic group
                let k = self.ext_ref(Scope::Post, name, span, false);
                return Ok((RExpr::Ext(k), Ty::Any));
            }
        } else if !self.synapse && ctx != Ctx::Param && name.starts_with("g_") && name.len() > 2 {
            // ANNarchy: a conductance used but not defined is a receptor target, reset each step
            self.vars.push(Var {
                name: name.to_string(),
                dim: Dim::ONE,
                kind: VarKind::Implicit,
                init: None,
                min: None,
                max: None,
                method: None,
                unless_refractory: false,
                event_driven: false,
                semiglobal: false,
                constant: false,
                span,
            });
            let v = (self.vars.len() - 1) as u32;
            self.names.insert(name.to_string(), Decl0::Var(v));
            return Ok((RExpr::Var(v), Ty::Any));
        }
        Err(self.unknown(name, span, ctx))
    }

    pub(super) fn subexpr(&mut self, s: usize, span: Span) -> LangResult<(RExpr, Ty)> {
        if let Some(done) = &self.subexpr_done[s] {
            return Ok(done.clone());
        }
        if self.subexpr_stack.contains(&s) {
            let names: Vec<&str> = self
                .subexpr_stack
                .iter()
                .map(|&k| self.subexprs[k].0.as_str())
                .collect();
            return Err(self.err(
                ErrorKind::Duplicate,
                span,
                format!(
                    "subexpressions refer to each other in a cycle: {} → {}",
                    names.join(" → "),
                    self.subexprs[s].0
                ),
                "definitions that can be evaluated in some order",
            ));
        }
        self.subexpr_stack.push(s);
        let (name, expr, dim, dspan) = self.subexprs[s].clone();
        let (e, t) = self.expr(&expr, Ctx::Equation)?;
        self.subexpr_stack.pop();
        if let Ty::Num(d) = t {
            if d != dim {
                return Err(self.units_error(
                    expr.span,
                    &format!("`{name}` is declared in"),
                    dim,
                    d,
                ));
            }
        }
        if t == Ty::Bool {
            return Err(self.err(
                ErrorKind::Type,
                dspan,
                format!("`{name}` is a condition, not a number"),
                "a numeric expression",
            ));
        }
        let out = (e, Ty::Num(dim));
        self.subexpr_done[s] = Some(out.clone());
        Ok(out)
    }
}

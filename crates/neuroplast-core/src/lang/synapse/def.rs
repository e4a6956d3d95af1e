//! A synapse model's definition: [`SynapseModelDef`] (parsed, checked, integration planned,
//! once per model), what it reads from and adds to its neurons, and the checks against the
//! neuron models it connects.

use serde::{Deserialize, Serialize};

use crate::lang::ast::Scope;
use crate::lang::check::check;
use crate::lang::checked::{Checked, Equation, VarKind};
use crate::lang::error::{nearest, ErrorKind, LangResult};
use crate::lang::integrate::{plan, Plan};
use crate::lang::neuron::{NeuronModelDef, ParamInfo, VarInfo, VarRole};
use crate::lang::parse::parse_model;
use crate::lang::source::ModelSource;
use crate::lang::span::Syntax;
use crate::lang::units::system_unit;

/// Which neuron of a synapse a value belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The presynaptic neuron (`x_pre`, `pre.x`).
    Pre,
    /// The postsynaptic neuron (`x_post`, `post.x`, and in Brian2 a name the synapse does not
    /// define).
    Post,
}

/// A synapse model, parsed and checked.
#[derive(Clone, Debug)]
pub struct SynapseModelDef {
    name: String,
    source: ModelSource,
    pub(crate) checked: Checked,
    pub(crate) plan: Plan,
}

impl SynapseModelDef {
    /// Parse, check and plan synapse model `name`.
    ///
    /// ```
    /// use neuroplast_core::lang::{ModelSource, SynapseModelDef};
    /// let mut src = ModelSource::brian2("w : 1\ndA/dt = -A/tau : 1 (event-driven)");
    /// src.parameters = "tau = 20*ms".into();
    /// src.on_pre = Some("ge += w\nA += 0.01".into());
    /// let def = SynapseModelDef::from_source("stdp", &src).unwrap();
    /// assert_eq!(def.targets(), vec!["ge".to_string()]);
    /// ```
    pub fn from_source(name: &str, source: &ModelSource) -> LangResult<SynapseModelDef> {
        let src = source.sources(name, true)?;
        let ast = parse_model(&src)?;
        let checked = check(&src, &ast, true)?;
        let plan = plan(&checked)?;
        // per-step equations cannot read event-driven variables (they are only up to date at
        // events)
        for eq in &checked.eqs {
            let (rhs, span, own) = match eq {
                Equation::Ode { var, rhs, span } => (rhs, span, *var),
                Equation::Assign { var, rhs, span, .. } => (rhs, span, *var),
            };
            if checked.vars[own as usize].event_driven {
                continue;
            }
            if let Some(v) = checked
                .vars
                .iter()
                .enumerate()
                .find(|(k, v)| v.event_driven && rhs.uses_var(*k as u32))
            {
                return Err(src.error(
                    ErrorKind::Unsupported,
                    *span,
                    format!(
                        "an equation integrated every step reads the event-driven `{}`, which is only up to date at spikes",
                        v.1.name
                    ),
                    "read event-driven variables in on_pre / on_post, or drop (event-driven) to integrate it every step",
                ));
            }
        }
        Ok(SynapseModelDef {
            name: name.to_string(),
            source: source.clone(),
            checked,
            plan,
        })
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text it was built from.
    pub fn source(&self) -> &ModelSource {
        &self.source
    }

    /// The parameters.
    pub fn parameters(&self) -> Vec<ParamInfo> {
        let brian = self.checked.sources.syntax == Syntax::Brian2;
        self.checked
            .params
            .iter()
            .map(|p| ParamInfo {
                name: p.name.clone(),
                default: p.default,
                unit: if brian {
                    system_unit(p.dim)
                } else {
                    String::new()
                },
                per_neuron: !p.population,
            })
            .collect()
    }

    /// The per-synapse variables.
    pub fn variables(&self) -> Vec<VarInfo> {
        let brian = self.checked.sources.syntax == Syntax::Brian2;
        self.checked
            .vars
            .iter()
            .map(|v| VarInfo {
                name: v.name.clone(),
                unit: if brian {
                    system_unit(v.dim)
                } else {
                    String::new()
                },
                role: match v.kind {
                    VarKind::Ode => VarRole::Ode,
                    VarKind::Assigned => VarRole::Assigned,
                    VarKind::Plain | VarKind::Implicit => VarRole::Plain,
                },
                initial: None,
            })
            .collect()
    }

    /// The neuron values the model reads, in the order [`SynapseExec`]'s calls expect them in
    /// `values` (e.g. `(Post, "v")` for `v_post`, `(Post, "r")` for ANNarchy's `post.r`).
    ///
    /// [`SynapseExec`]: crate::lang::SynapseExec
    pub fn reads(&self) -> Vec<(Side, String)> {
        self.checked
            .ext
            .iter()
            .filter(|e| e.read)
            .map(|e| (side(e.scope), e.name.clone()))
            .collect()
    }

    /// The postsynaptic variables `on_pre` adds to (receptor targets, e.g. `ge`; ANNarchy's
    /// `g_target`, which stands for the projection's targets), in the order of the `target`
    /// argument of `add`.
    pub fn targets(&self) -> Vec<String> {
        self.checked
            .ext
            .iter()
            .filter(|e| e.written)
            .map(|e| e.name.clone())
            .collect()
    }

    /// Refuse reads of neuron values other than `allowed` (what the caller provides, written
    /// `shown` in the message): an error at the read's line and column, with the nearest of
    /// the model's own names (in Brian2 a misspelt variable reads as a postsynaptic one).
    pub fn check_reads(&self, allowed: &[(Side, &str)], shown: &str) -> LangResult<()> {
        let c = &self.checked;
        let Some(e) = c
            .ext
            .iter()
            .find(|e| e.read && !allowed.contains(&(side(e.scope), e.name.as_str())))
        else {
            return Ok(());
        };
        let own: Vec<&str> = c
            .vars
            .iter()
            .map(|v| v.name.as_str())
            .chain(c.params.iter().map(|p| p.name.as_str()))
            .collect();
        let near = nearest(&e.name, own.iter().copied(), 3);
        let which = match side(e.scope) {
            Side::Pre => "presynaptic",
            Side::Post => "postsynaptic",
        };
        Err(c.sources.error(
            ErrorKind::Unsupported,
            e.span,
            format!(
                "`{}` reads the {which} neuron's `{}`; here a synapse model reads {shown} only",
                self.name, e.name
            ),
            if near.is_empty() {
                format!("{shown}, or the model's own variables and parameters")
            } else {
                format!(
                    "{shown}, or the model's own names; nearest: {}",
                    near.join(", ")
                )
            },
        ))
    }

    /// Whether [`SynapseExec::per_step`] does anything (equations integrated every step).
    ///
    /// [`SynapseExec::per_step`]: crate::lang::SynapseExec::per_step
    pub fn has_per_step(&self) -> bool {
        self.equations_every_step(false) || self.equations_every_step(true)
    }

    /// Whether any equation of a semiglobal (`semiglobal`) or per-synapse variable runs every
    /// step.
    pub(super) fn equations_every_step(&self, semiglobal: bool) -> bool {
        self.checked.eqs.iter().any(|eq| match eq {
            Equation::Ode { var, .. } | Equation::Assign { var, .. } => {
                let v = &self.checked.vars[*var as usize];
                !v.event_driven && v.semiglobal == semiglobal
            }
        })
    }

    /// The default transmission delay of the model's `delay` field, ms.
    pub fn delay_ms(&self) -> Option<f64> {
        self.checked.delay
    }

    /// Check the model against its postsynaptic neuron model: every postsynaptic value read
    /// exists (a variable or parameter of `post`, or one of `provided`, such as the network's
    /// rate `r`), every target is a target of `post` (ANNarchy's `g_target` is checked by the
    /// network against the projection's targets), and in Brian2 syntax what is added has the
    /// target's dimension.
    pub fn check_post(&self, post: &NeuronModelDef, provided: &[&str]) -> LangResult<()> {
        let c = &self.checked;
        let pc = &post.checked;
        for e in &c.ext {
            if e.scope != Scope::Post {
                continue;
            }
            let var = pc.vars.iter().find(|v| v.name == e.name);
            let known = var.is_some()
                || pc.params.iter().any(|p| p.name == e.name)
                || provided.contains(&e.name.as_str());
            if e.read && !known {
                let mut names: Vec<&str> = pc.vars.iter().map(|v| v.name.as_str()).collect();
                names.extend(pc.params.iter().map(|p| p.name.as_str()));
                names.extend(provided.iter().copied());
                let near = nearest(&e.name, names.iter().copied(), 3);
                return Err(c.sources.error(
                    ErrorKind::UnknownName,
                    e.span,
                    format!(
                        "the postsynaptic model `{}` has no `{}`",
                        post.name(),
                        e.name
                    ),
                    if near.is_empty() {
                        format!("its variables and parameters: {}", names.join(", "))
                    } else {
                        format!("its variables and parameters; nearest: {}", near.join(", "))
                    },
                ));
            }
            if e.written && e.name != "g_target" {
                let targets = post.targets();
                if !targets.contains(&e.name) {
                    return Err(c.sources.error(
                        ErrorKind::UnknownName,
                        e.span,
                        format!(
                            "`{}` is not a target of the postsynaptic model `{}`",
                            e.name,
                            post.name()
                        ),
                        format!("its targets: {}", targets.join(", ")),
                    ));
                }
                if let (Some(v), Some(d)) = (var, e.write_dim) {
                    if c.sources.syntax == Syntax::Brian2
                        && pc.sources.syntax == Syntax::Brian2
                        && v.dim != d
                    {
                        return Err(c.sources.error(
                            ErrorKind::Units,
                            e.span,
                            format!(
                                "units do not match: `{}` of `{}` is {}, what is added is {d}",
                                e.name,
                                post.name(),
                                v.dim
                            ),
                            format!("a value in {}", v.dim),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn side(s: Scope) -> Side {
    match s {
        Scope::Pre => Side::Pre,
        _ => Side::Post,
    }
}

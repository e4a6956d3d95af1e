//! The text of a model as users write it: one table per model (`[models.<name>]` in an
//! experiment file, or a file of its own under `examples/models/`).
//!
//! ```toml
//! [models.cuba]
//! syntax = "brian2"
//! parameters = """
//! taum = 20*ms
//! El = -49*mV
//! """
//! equations = "dv/dt = (El - v)/taum : volt (unless refractory)"
//! threshold = "v > -50*mV"
//! reset = "v = -60*mV"
//! refractory = "5*ms"
//! method = "exact"
//! ```
//!
//! The fields a model uses depend on its syntax: Brian2 writes `threshold`, `on_pre`,
//! `on_post`; ANNarchy writes `spike`, `pre_spike`, `post_spike`. Every other field is shared.
//! Numbers may be given as TOML numbers where a field holds a single value (`refractory`,
//! `delay`). `refractory_rule` (`"nest"` / `"brian2"`) says how many steps a refractory
//! period holds a neuron; it defaults to the syntax's own simulator's rule.

use serde::{Deserialize, Deserializer, Serialize};

use super::error::{ErrorKind, LangResult, Sources};
use super::span::{Field, Syntax};
use crate::refractory::RefractoryRule;

/// One model as written in an experiment file (`[models.<name>]`) or a model file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSource {
    /// `"brian2"` or `"annarchy"`.
    pub syntax: Option<Syntax>,
    /// Free text shown in listings (ignored by the language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Constants, one per line: `tau = 20*ms` (Brian2, like names in Brian2's namespace) or
    /// `tau = 20.0 : population` (ANNarchy).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub parameters: String,
    /// The model's equations, one per line (Brian2's model string; ANNarchy's `equations`).
    #[serde(default, alias = "model", skip_serializing_if = "String::is_empty")]
    pub equations: String,
    /// User functions, one per line: `nmda(v, t, s) = ((v-t)/s)^2 / (1 + ((v-t)/s)^2)`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub functions: String,
    /// Brian2: the spike condition (`v > Vt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    /// ANNarchy: the spike condition (`v >= 30.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spike: Option<String>,
    /// Statements run for each neuron that spiked (lines or `;`-separated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset: Option<String>,
    /// Refractory period: a duration (`5*ms`; ANNarchy: ms as a number), or a Brian2 condition
    /// (`v > -40*mV`: refractory while it holds after a spike).
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub refractory: Option<String>,
    /// How many steps a refractory period of `R = round(refractory / dt)` steps holds a neuron:
    /// `"nest"` (`R` steps after the spike step; NEST's and ANNarchy's count, the built-in
    /// LIFs' default) or `"brian2"` (`R − 1`: Brian2's, active again at the step where
    /// `t − lastspike` reaches the period). Default: the rule of the syntax's own simulator,
    /// `"brian2"` for Brian2 syntax and `"nest"` for ANNarchy's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refractory_rule: Option<RefractoryRule>,
    /// Brian2: the integration method of the whole model (`exact`, `euler`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Initial values, statements run once per neuron when a population is built
    /// (`v = Vr + rand() * (Vt - Vr)`; `i` is the neuron's index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<String>,
    /// Brian2 synapses: statements run on the arrival of a presynaptic spike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_pre: Option<String>,
    /// Brian2 synapses: statements run on a postsynaptic spike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_post: Option<String>,
    /// ANNarchy synapses: statements run on the arrival of a presynaptic spike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_spike: Option<String>,
    /// ANNarchy synapses: statements run on a postsynaptic spike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_spike: Option<String>,
    /// Synapses: the default transmission delay (`1*ms`; ANNarchy: ms as a number).
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub delay: Option<String>,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string (\"5*ms\") or a number of milliseconds")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(Some(s.to_string()))
        }
        fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<Self::Value, E> {
            Ok(Some(format!("{x:?}")))
        }
        fn visit_i64<E: serde::de::Error>(self, x: i64) -> Result<Self::Value, E> {
            Ok(Some(x.to_string()))
        }
        fn visit_u64<E: serde::de::Error>(self, x: u64) -> Result<Self::Value, E> {
            Ok(Some(x.to_string()))
        }
    }
    d.deserialize_any(V)
}

impl ModelSource {
    /// A Brian2 model with the given equations (set the other fields afterwards).
    pub fn brian2(equations: &str) -> ModelSource {
        ModelSource {
            syntax: Some(Syntax::Brian2),
            equations: equations.to_string(),
            ..Default::default()
        }
    }

    /// An ANNarchy model with the given parameters and equations.
    pub fn annarchy(parameters: &str, equations: &str) -> ModelSource {
        ModelSource {
            syntax: Some(Syntax::Annarchy),
            parameters: parameters.to_string(),
            equations: equations.to_string(),
            ..Default::default()
        }
    }

    /// The refractory rule in force: `refractory_rule`, or the syntax's default.
    pub fn refractory_rule_or_default(&self) -> RefractoryRule {
        self.refractory_rule.unwrap_or(match self.syntax {
            Some(Syntax::Annarchy) => RefractoryRule::Nest,
            _ => RefractoryRule::Brian2,
        })
    }

    /// The field texts indexed by [`Field`], after checking that each field given belongs to
    /// the model's syntax and kind (`synapse`: a synapse model).
    pub(crate) fn sources(&self, name: &str, synapse: bool) -> LangResult<Sources> {
        let mut texts = vec![String::new(); Field::ALL.len()];
        let syntax = self.syntax.unwrap_or(Syntax::Brian2);
        let probe = Sources {
            model: name.to_string(),
            syntax,
            texts: texts.clone(),
        };
        let Some(syntax) = self.syntax else {
            return Err(probe.field_error(
                ErrorKind::Unsupported,
                None,
                "the model table has no `syntax`",
                "syntax = \"brian2\" or syntax = \"annarchy\"",
            ));
        };
        let misplaced = |key: &str, instead: &str| {
            Err(probe.field_error(
                ErrorKind::Unsupported,
                None,
                format!(
                    "`{key}` is not a field of a {} {} model",
                    match syntax {
                        Syntax::Brian2 => "Brian2",
                        Syntax::Annarchy => "ANNarchy",
                    },
                    if synapse { "synapse" } else { "neuron" }
                ),
                instead.to_string(),
            ))
        };
        let brian = syntax == Syntax::Brian2;
        // the names of the other syntax
        if brian {
            if self.spike.is_some() {
                return misplaced("spike", "Brian2 writes the spike condition as `threshold`");
            }
            if self.pre_spike.is_some() {
                return misplaced("pre_spike", "Brian2 writes `on_pre`");
            }
            if self.post_spike.is_some() {
                return misplaced("post_spike", "Brian2 writes `on_post`");
            }
        } else {
            if self.threshold.is_some() {
                return misplaced(
                    "threshold",
                    "ANNarchy writes the spike condition as `spike`",
                );
            }
            if self.on_pre.is_some() {
                return misplaced("on_pre", "ANNarchy writes `pre_spike`");
            }
            if self.on_post.is_some() {
                return misplaced("on_post", "ANNarchy writes `post_spike`");
            }
            if self.method.is_some() {
                return misplaced(
                    "method",
                    "ANNarchy gives the method per equation: `dx/dt = … : method=midpoint`",
                );
            }
        }
        let threshold = self.threshold.as_ref().or(self.spike.as_ref());
        let on_pre = self.on_pre.as_ref().or(self.pre_spike.as_ref());
        let on_post = self.on_post.as_ref().or(self.post_spike.as_ref());
        if synapse {
            for (key, given) in [
                ("threshold / spike", threshold.is_some()),
                ("reset", self.reset.is_some()),
                ("refractory", self.refractory.is_some()),
                ("refractory_rule", self.refractory_rule.is_some()),
            ] {
                if given {
                    return misplaced(key, "a synapse model has parameters, equations, functions, init, on_pre/on_post (pre_spike/post_spike) and delay");
                }
            }
        } else {
            for (key, given) in [
                ("on_pre / pre_spike", on_pre.is_some()),
                ("on_post / post_spike", on_post.is_some()),
                ("delay", self.delay.is_some()),
            ] {
                if given {
                    return misplaced(key, "a neuron model has parameters, equations, functions, threshold/spike, reset, refractory, method (Brian2) and init");
                }
            }
        }
        let mut put = |f: Field, s: Option<&String>| {
            if let Some(s) = s {
                texts[f as usize] = s.clone();
            }
        };
        put(Field::Parameters, Some(&self.parameters));
        put(Field::Equations, Some(&self.equations));
        put(Field::Functions, Some(&self.functions));
        put(Field::Threshold, threshold);
        put(Field::Reset, self.reset.as_ref());
        put(Field::Refractory, self.refractory.as_ref());
        put(Field::Method, self.method.as_ref());
        put(Field::Init, self.init.as_ref());
        put(Field::OnPre, on_pre);
        put(Field::OnPost, on_post);
        put(Field::Delay, self.delay.as_ref());
        Ok(Sources {
            model: name.to_string(),
            syntax,
            texts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misplaced_fields_are_named() {
        let mut m = ModelSource::brian2("dv/dt = -v/(10*ms) : volt");
        m.spike = Some("v > 1".into());
        let e = m.sources("x", false).unwrap_err().to_string();
        assert!(
            e.contains("`spike` is not a field of a Brian2 neuron model"),
            "{e}"
        );
        assert!(e.contains("threshold"), "{e}");
        let mut m = ModelSource::annarchy("", "dv/dt = -v");
        m.on_pre = Some("g_target += w".into());
        let e = m.sources("x", true).unwrap_err().to_string();
        assert!(e.contains("pre_spike"), "{e}");
        let m = ModelSource::default();
        let e = m.sources("x", true).unwrap_err().to_string();
        assert!(e.contains("syntax = \"brian2\""), "{e}");
    }
}

//! The machinery behind the one list of plasticity rules ([`super::rules!`] in
//! `plasticity/mod.rs`): every line `Variant = "name" => State` becomes a variant of
//! [`PlasticitySpec`](super::PlasticitySpec) (what experiment files write:
//! `plasticity = { kind = "name", … }`) and of [`RuleState`](super::RuleState) (the built
//! rule), with one `match` per projection and step as the dispatch.

/// Declares the one list of plasticity rules: `Variant = "name" => State` (a type of a module
/// declared by hand) or `Variant = "name" => State in file` (the rule's own file
/// `plasticity/file.rs`: the line declares the module and re-exports its public items), each
/// line with a `///` summary; see the module docs.
macro_rules! rules {
    ($( #[doc = $doc:literal] $variant:ident = $name:literal => $ty:ident $(in $module:ident)? ),* $(,)?) => {
        $($(
            pub mod $module;
            pub use $module::*;
        )?)*

        /// A plasticity rule and its parameters, as written in experiment files
        /// (`plasticity = { kind = "pair_stdp", … }`). One variant per line of the `rules!`
        /// list.
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "kind", deny_unknown_fields)]
        pub enum PlasticitySpec {
            $(
                #[doc = $doc]
                #[serde(rename = $name)]
                $variant(<$ty as $crate::spiking::plasticity::SynapseRule>::Params),
            )*
        }

        impl PlasticitySpec {
            /// Every rule's `kind`, in list order.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// `(kind, one-line summary)` of every rule, in list order.
            pub const SUMMARIES: &'static [(&'static str, &'static str)] =
                &[$(($name, $doc.trim_ascii())),*];

            /// The rule's `kind` as written in experiment files.
            pub fn name(&self) -> &'static str {
                match self {
                    $(PlasticitySpec::$variant(_) => $name,)*
                }
            }

            /// Rule `kind` with its default parameters; `None` for a kind not in
            /// [`NAMES`](Self::NAMES).
            pub fn default_of(kind: &str) -> Option<PlasticitySpec> {
                match kind {
                    $($name => Some(PlasticitySpec::$variant(Default::default())),)*
                    _ => None,
                }
            }

            /// Check the parameters; `path` is the key path of the rule table.
            pub fn validate(&self, path: &str, dt: f64) -> $crate::Result<()> {
                match self {
                    $(PlasticitySpec::$variant(p) => <$ty as $crate::spiking::plasticity::SynapseRule>::validate(p, path, dt),)*
                }
            }

            /// The lowest weight the rule can give (a plastic conductance must stay ≥ 0).
            pub fn w_min(&self) -> f64 {
                match self {
                    $(PlasticitySpec::$variant(p) => <$ty as $crate::spiking::plasticity::SynapseRule>::w_min(p),)*
                }
            }

            /// Check the rule against the projection's postsynaptic side: `post` is the
            /// population's model when it is written as equations, `receptors` what the
            /// projection delivers to; errors name `path` (the rule table).
            pub fn check_post(&self, path: &str, post: Option<&$crate::lang::NeuronModelDef>, receptors: &[String]) -> $crate::Result<()> {
                match self {
                    $(PlasticitySpec::$variant(p) => <$ty as $crate::spiking::plasticity::SynapseRule>::check_post(p, path, post, receptors),)*
                }
            }

            /// The neuron values the rule reads (`v_post`, `pre.x`), in its order.
            pub fn neuron_reads(&self) -> Vec<NeuronRead> {
                match self {
                    $(PlasticitySpec::$variant(p) => <$ty as $crate::spiking::plasticity::SynapseRule>::neuron_reads(p),)*
                }
            }

            /// Check the neuron values the rule reads against the state variables of the
            /// pre- and postsynaptic populations; errors name `path` (the rule table).
            pub fn check_reads(&self, path: &str, pre: &[&str], post: &[&str]) -> $crate::Result<()> {
                match self {
                    $(PlasticitySpec::$variant(p) => <$ty as $crate::spiking::plasticity::SynapseRule>::check_reads(p, path, pre, post),)*
                }
            }

            /// The rule's state for `synapses` (parameters validated).
            pub(crate) fn build(&self, synapses: &mut $crate::spiking::projection::Synapses, dt: f64, rng: $crate::rng::Rng) -> RuleState {
                match self {
                    $(PlasticitySpec::$variant(p) => RuleState::$variant(<$ty as $crate::spiking::plasticity::SynapseRule>::new(p, synapses, dt, rng)),)*
                }
            }
        }

        /// The rule-specific state of a plastic projection, one variant per rule.
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        // One value per projection: the size difference between the variants costs nothing.
        #[allow(clippy::large_enum_variant)]
        pub enum RuleState {
            $( #[doc = $doc] $variant($ty), )*
        }

        impl RuleState {
            #[inline]
            fn on_arrivals(&mut self, cx: Arrivals<'_>, add: &mut impl FnMut(u32, f64)) {
                match self { $(RuleState::$variant(r) => r.on_arrivals(cx, add),)* }
            }
            #[inline]
            fn after_step(&mut self, cx: PostSpikes<'_>) {
                match self { $(RuleState::$variant(r) => r.after_step(cx),)* }
            }
            fn flush(&mut self, cx: PostSpikes<'_>) {
                match self { $(RuleState::$variant(r) => r.flush(cx),)* }
            }
            fn reward(&mut self, amount: f64) -> bool {
                match self { $(RuleState::$variant(r) => r.reward(amount),)* }
            }
            fn takes_reward(&self) -> bool {
                match self { $(RuleState::$variant(r) => r.takes_reward(),)* }
            }
            fn bytes(&self) -> usize {
                match self { $(RuleState::$variant(r) => r.bytes(),)* }
            }
        }
    };
}
pub(crate) use rules;

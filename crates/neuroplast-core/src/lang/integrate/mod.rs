//! Integration methods: which variables are integrated together and how, checked when a model
//! is defined (a method that cannot integrate its equations is an error then), and the
//! update formulas lowered when a population is built.
//!
//! | method | update over one step `h` |
//! |---|---|
//! | `exact` | `x ← P x + Q b`, `P = e^{Ah}`, `Q = ∫₀ʰ e^{As} ds` for `x' = A x + b` with constant `A` (computed at build time; one variable alone: `P = exp(a h)`, `Q = h·exprel(a h)`) |
//! | `exponential_euler` | `x ← −b/a + (x + b/a)·exp(a h)` for `x' = a x + b`, `a`, `b` frozen over the step (Brian2's form) |
//! | `euler` | `x ← x + h f(x)` (Euler–Maruyama with `xi`: `+ g·√h·N(0,1)`) |
//! | `midpoint`, `rk2` | `x ← x + h f(x + h/2 · f(x))` |
//! | `heun` | `x ← x + h/2 (k₁ + k₂)`, `k₂ = f(x + h k₁)` |
//! | `rk4` | classic fourth order |
//!
//! Variables with the same method are one coupled system; other variables (other methods,
//! ANNarchy's assigned variables) are held at their values of the start of the step (or their
//! value at the equation's position, for ANNarchy's assignments). Two ways of writing the same
//! arithmetic as a hand-written kernel: in explicit methods an increment `h · (N / c)` with a
//! constant `c` is computed as `(h/c) · N`, and a variable that only decays (`x' = a x`, `a`
//! constant) is updated as `x · R(a h)` with the method's factor `R` computed at build time
//! (`1 + a h` for Euler).
//!
//! | module | part |
//! |---|---|
//! | `plan` | groups and methods chosen and checked; event-driven variables |
//! | `build` | values known when a population is built |
//! | `update` | the update formulas lowered |

mod build;
mod plan;
mod update;

pub(crate) use build::{Build, BV};
pub(crate) use plan::{plan, Plan};
pub(crate) use update::lower_groups;

//! The names of the integration methods a model may ask for (`method` field, ANNarchy's
//! `method=` flag); how each integrates is in `integrate`.

use serde::{Deserialize, Serialize};

/// An integration method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Exact propagator of a linear system with constant coefficients.
    Exact,
    /// Exponential Euler (each equation linear in its own variable).
    ExponentialEuler,
    /// Forward Euler (Euler–Maruyama with white noise).
    Euler,
    /// Explicit midpoint (Brian2's `rk2`).
    Midpoint,
    /// Heun (explicit trapezoid).
    Heun,
    /// Classic fourth-order Runge–Kutta.
    Rk4,
}

/// The method names accepted, for messages.
pub const METHODS_ALLOWED: &str = "exact (linear, constant coefficients), exponential_euler / exponential (each equation linear in its own variable), euler / explicit, midpoint / rk2, heun, rk4";

impl Method {
    /// The method called `s` (Brian2 and ANNarchy names).
    pub fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "exact" | "linear" | "independent" => Method::Exact,
            "exponential_euler" | "exponential" => Method::ExponentialEuler,
            "euler" | "explicit" => Method::Euler,
            "midpoint" | "rk2" => Method::Midpoint,
            "heun" => Method::Heun,
            "rk4" => Method::Rk4,
            _ => return None,
        })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Exact => "exact",
            Method::ExponentialEuler => "exponential_euler",
            Method::Euler => "euler",
            Method::Midpoint => "midpoint",
            Method::Heun => "heun",
            Method::Rk4 => "rk4",
        }
    }

    /// Order of accuracy of the explicit methods.
    pub fn order(self) -> u32 {
        match self {
            Method::Euler | Method::ExponentialEuler => 1,
            Method::Midpoint | Method::Heun => 2,
            Method::Rk4 => 4,
            Method::Exact => u32::MAX,
        }
    }
}

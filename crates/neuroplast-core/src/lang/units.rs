//! Physical dimensions and unit names (Brian2 syntax).
//!
//! Values are stored in one coherent unit system, the one the rest of neuroplast uses:
//! **ms, mV, nA** and what follows from them — µS, nF, MΩ, pC, and 1/ms for rates. A Brian2
//! literal `1.62*mV` is stored as 1.62, `10*Hz` as 0.01 (per ms), `200*pF` as 0.2 (nF). Every
//! unit is a power of ten away from this system, so a literal costs one multiplication by an
//! exactly known factor (`5*ms` is exactly 5).
//!
//! Dimensions are vectors of exponents over the SI base units (m, kg, s, A, K, mol, cd) in
//! halves, so `sqrt(ms)` and Brian2's white noise `xi` (s^-1/2) have dimensions too.

use std::fmt;

/// Exponents of the SI base units (m, kg, s, A, K, mol, cd), each stored doubled (so halves
/// are whole numbers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dim(pub [i16; 7]);

const BASE: [&str; 7] = ["m", "kg", "s", "A", "K", "mol", "cd"];
/// Power of ten of the system unit of each base dimension (m: 1 m, kg: 1e-21 kg, s: 1 ms,
/// A: 1 nA; then volt → mV, siemens → µS, farad → nF).
const SYSTEM_EXP10: [i32; 7] = [0, -21, -3, -9, 0, 0, 0];

impl Dim {
    /// Dimensionless.
    pub const ONE: Dim = Dim([0; 7]);

    const fn base(k: usize) -> Dim {
        let mut d = [0i16; 7];
        d[k] = 2;
        Dim(d)
    }

    /// Metre.
    pub const METRE: Dim = Dim::base(0);
    /// Kilogram.
    pub const KILOGRAM: Dim = Dim::base(1);
    /// Second.
    pub const SECOND: Dim = Dim::base(2);
    /// Ampere.
    pub const AMP: Dim = Dim::base(3);

    /// `true` for dimensionless.
    pub fn is_one(self) -> bool {
        self == Dim::ONE
    }

    /// Product of two dimensions.
    pub fn mul(self, o: Dim) -> Dim {
        Dim(std::array::from_fn(|k| self.0[k] + o.0[k]))
    }

    /// Quotient of two dimensions.
    pub fn div(self, o: Dim) -> Dim {
        Dim(std::array::from_fn(|k| self.0[k] - o.0[k]))
    }

    /// `self^p` when every resulting exponent is a whole or half number.
    pub fn pow(self, p: f64) -> Option<Dim> {
        let mut out = [0i16; 7];
        for (o, &e) in out.iter_mut().zip(&self.0) {
            let x = f64::from(e) * p;
            if (x - x.round()).abs() > 1e-9 || x.abs() > 1000.0 {
                return None;
            }
            *o = x.round() as i16;
        }
        Some(Dim(out))
    }

    /// Power of ten of this dimension's system unit in SI (e.g. −3 for volt: 1 mV).
    fn system_exp10(self) -> Option<i32> {
        let twice: i32 = self
            .0
            .iter()
            .zip(SYSTEM_EXP10)
            .map(|(&e, s)| i32::from(e) * s)
            .sum();
        (twice % 2 == 0).then_some(twice / 2)
    }

    /// The exponents written out, e.g. `m² kg s⁻³ A⁻¹` (`1` when dimensionless).
    pub fn base_form(self) -> String {
        let mut parts = Vec::new();
        for (&e, base) in self.0.iter().zip(BASE) {
            if e == 0 {
                continue;
            }
            let exp = if e % 2 == 0 {
                let e = e / 2;
                if e == 1 {
                    String::new()
                } else {
                    superscript(&e.to_string())
                }
            } else {
                superscript(&format!("{e}/2"))
            };
            parts.push(format!("{base}{exp}"));
        }
        if parts.is_empty() {
            "1".into()
        } else {
            parts.join(" ")
        }
    }
}

fn superscript(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            '9' => '⁹',
            '-' => '⁻',
            '/' => 'ᐟ',
            c => c,
        })
        .collect()
}

/// Named dimensions, for messages (first match wins).
fn named() -> [(&'static str, Dim); 14] {
    let v = volt();
    [
        ("1", Dim::ONE),
        ("volt", v),
        ("amp", Dim::AMP),
        ("siemens", Dim::AMP.div(v)),
        ("farad", Dim::AMP.mul(Dim::SECOND).div(v)),
        ("ohm", v.div(Dim::AMP)),
        ("second", Dim::SECOND),
        ("hertz", Dim::ONE.div(Dim::SECOND)),
        ("coulomb", Dim::AMP.mul(Dim::SECOND)),
        ("metre", Dim::METRE),
        ("kilogram", Dim::KILOGRAM),
        ("watt", v.mul(Dim::AMP)),
        ("joule", v.mul(Dim::AMP).mul(Dim::SECOND)),
        ("volt/second", v.div(Dim::SECOND)),
    ]
}

fn volt() -> Dim {
    // kg m² s⁻³ A⁻¹
    Dim([4, 2, -6, -2, 0, 0, 0])
}

impl fmt::Display for Dim {
    /// `volt (m² kg s⁻³ A⁻¹)`, `amp (A)`, `1 (dimensionless)`, or the base form alone.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_one() {
            return write!(f, "1 (dimensionless)");
        }
        for (name, d) in named() {
            if d == *self {
                return write!(f, "{name} ({})", self.base_form());
            }
        }
        for (name, d) in named() {
            if d.div(Dim::SECOND) == *self && name != "1" {
                return write!(f, "{name}/second ({})", self.base_form());
            }
        }
        write!(f, "{}", self.base_form())
    }
}

/// The unit values of dimension `dim` are stored in (`mV` for volt, `ms` for second, `nA`,
/// `µS`, `nF`, `MΩ`, `1/ms` for hertz), or `1` when dimensionless.
pub fn system_unit(dim: Dim) -> String {
    let v = volt();
    let table = [
        ("1", Dim::ONE),
        ("mV", v),
        ("nA", Dim::AMP),
        ("µS", Dim::AMP.div(v)),
        ("nF", Dim::AMP.mul(Dim::SECOND).div(v)),
        ("MΩ", v.div(Dim::AMP)),
        ("ms", Dim::SECOND),
        ("1/ms", Dim::ONE.div(Dim::SECOND)),
        ("pC", Dim::AMP.mul(Dim::SECOND)),
        ("m", Dim::METRE),
        ("mV/ms", v.div(Dim::SECOND)),
        ("nA/ms", Dim::AMP.div(Dim::SECOND)),
        ("µS/ms", Dim::AMP.div(v).div(Dim::SECOND)),
    ];
    for (name, d) in table {
        if d == dim {
            return name.to_string();
        }
    }
    match dim.system_exp10() {
        Some(0) => dim.base_form(),
        Some(e) => format!("1e{e} {}", dim.base_form()),
        None => dim.base_form(),
    }
}

/// A unit name's dimension and its value in system units (an exact power of ten, as the
/// exponent).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UnitValue {
    /// Its dimension.
    pub dim: Dim,
    /// Its value in system units is `10^exp10`.
    pub exp10: i32,
}

impl UnitValue {
    /// The value in system units.
    pub fn value(self) -> f64 {
        pow10(self.exp10)
    }
}

/// `10^k` as the closest `f64` (the literal `1e{k}`, not a product of roundings).
pub fn pow10(k: i32) -> f64 {
    format!("1e{k}").parse().unwrap_or(f64::NAN)
}

/// Base unit names: name, dimension, SI power of ten of the unit itself (gram = −3).
fn base_units() -> Vec<(&'static str, Dim, i32)> {
    let v = volt();
    let one = Dim::ONE;
    vec![
        ("metre", Dim::METRE, 0),
        ("meter", Dim::METRE, 0),
        ("m", Dim::METRE, 0),
        ("gram", Dim::KILOGRAM, -3),
        ("gramme", Dim::KILOGRAM, -3),
        ("g", Dim::KILOGRAM, -3),
        ("second", Dim::SECOND, 0),
        ("s", Dim::SECOND, 0),
        ("amp", Dim::AMP, 0),
        ("ampere", Dim::AMP, 0),
        ("A", Dim::AMP, 0),
        ("kelvin", Dim::base(4), 0),
        ("K", Dim::base(4), 0),
        ("mole", Dim::base(5), 0),
        ("mol", Dim::base(5), 0),
        ("candela", Dim::base(6), 0),
        ("cd", Dim::base(6), 0),
        ("volt", v, 0),
        ("V", v, 0),
        ("siemens", Dim::AMP.div(v), 0),
        ("S", Dim::AMP.div(v), 0),
        ("farad", Dim::AMP.mul(Dim::SECOND).div(v), 0),
        ("F", Dim::AMP.mul(Dim::SECOND).div(v), 0),
        ("ohm", v.div(Dim::AMP), 0),
        ("Ω", v.div(Dim::AMP), 0),
        ("hertz", one.div(Dim::SECOND), 0),
        ("Hz", one.div(Dim::SECOND), 0),
        ("coulomb", Dim::AMP.mul(Dim::SECOND), 0),
        ("C", Dim::AMP.mul(Dim::SECOND), 0),
        ("joule", v.mul(Dim::AMP).mul(Dim::SECOND), 0),
        ("J", v.mul(Dim::AMP).mul(Dim::SECOND), 0),
        ("watt", v.mul(Dim::AMP), 0),
        ("W", v.mul(Dim::AMP), 0),
        ("litre", Dim::METRE.pow(3.0).unwrap_or(Dim::ONE), -3),
        ("liter", Dim::METRE.pow(3.0).unwrap_or(Dim::ONE), -3),
        ("l", Dim::METRE.pow(3.0).unwrap_or(Dim::ONE), -3),
        ("radian", one, 0),
        ("rad", one, 0),
    ]
}

const PREFIXES: [(&str, i32); 17] = [
    ("y", -24),
    ("z", -21),
    ("a", -18),
    ("f", -15),
    ("p", -12),
    ("n", -9),
    ("u", -6),
    ("µ", -6),
    ("μ", -6),
    ("m", -3),
    ("c", -2),
    ("d", -1),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("da", 1),
];

/// The unit called `name` (`mV`, `ms`, `uS`, `Hz`, `cm2`, `metre3`, `siemens`, …), if any.
pub fn unit(name: &str) -> Option<UnitValue> {
    // a trailing 2 or 3 on a length unit is its square or cube (cm2, um2, metre3)
    let (stem, power) = match name.strip_suffix('2').or_else(|| name.strip_suffix('3')) {
        Some(stem) if !stem.is_empty() => (stem, if name.ends_with('2') { 2 } else { 3 }),
        _ => (name, 1),
    };
    let found = lookup(stem)?;
    if power > 1 && found.0 != Dim::METRE {
        return None;
    }
    let dim = found.0.pow(f64::from(power))?;
    let si_exp = found.1 * power;
    Some(UnitValue {
        dim,
        exp10: si_exp - dim.system_exp10()?,
    })
}

fn lookup(stem: &str) -> Option<(Dim, i32)> {
    let bases = base_units();
    if let Some(&(_, d, e)) = bases.iter().find(|b| b.0 == stem) {
        return Some((d, e));
    }
    for (p, pe) in PREFIXES {
        if let Some(rest) = stem.strip_prefix(p) {
            if let Some(&(_, d, e)) = bases.iter().find(|b| b.0 == rest) {
                // no prefix on kilogram itself, nor on dimensionless names
                if rest != "kilogram" && !d.is_one() {
                    return Some((d, e + pe));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_powers_of_ten_of_the_system() {
        assert_eq!(unit("mV").unwrap().value(), 1.0);
        assert_eq!(unit("volt").unwrap().value(), 1000.0);
        assert_eq!(unit("ms").unwrap().value(), 1.0);
        assert_eq!(unit("second").unwrap().value(), 1000.0);
        assert_eq!(unit("nA").unwrap().value(), 1.0);
        assert_eq!(unit("pA").unwrap().value(), 1e-3);
        assert_eq!(unit("uS").unwrap().value(), 1.0);
        assert_eq!(unit("µS").unwrap().value(), 1.0);
        assert_eq!(unit("nS").unwrap().value(), 1e-3);
        assert_eq!(unit("nF").unwrap().value(), 1.0);
        assert_eq!(unit("pF").unwrap().value(), 1e-3);
        assert_eq!(unit("Hz").unwrap().value(), 1e-3);
        assert_eq!(unit("kHz").unwrap().value(), 1.0);
        assert_eq!(unit("Mohm").unwrap().value(), 1.0);
        assert_eq!(unit("cm").unwrap().value(), 1e-2);
        assert_eq!(unit("um2").unwrap().value(), 1e-12);
        assert_eq!(unit("um2").unwrap().dim, Dim::METRE.pow(2.0).unwrap());
        assert!(unit("mV2").is_none());
        assert!(unit("tau").is_none());
        assert!(unit("kkg").is_none());
    }

    #[test]
    fn dimensions_print_with_names_and_base_form() {
        assert_eq!(volt().to_string(), "volt (m² kg s⁻³ A⁻¹)");
        assert_eq!(Dim::AMP.to_string(), "amp (A)");
        assert_eq!(Dim::ONE.to_string(), "1 (dimensionless)");
        assert_eq!(
            volt().div(Dim::SECOND).div(Dim::SECOND).to_string(),
            "volt/second/second (m² kg s⁻⁵ A⁻¹)"
        );
        assert_eq!(Dim::SECOND.pow(-0.5).unwrap().base_form(), "s⁻¹ᐟ²");
        assert_eq!(Dim::SECOND.pow(0.3), None);
    }
}

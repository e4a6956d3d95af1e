//! Seeds in TOML. A seed is any `u64`, but TOML integers are signed 64-bit: seeds up to
//! 2⁶³ − 1 are written as integers, larger ones (from `--seed` or Python) as a string of
//! decimal digits (`seed = "18446744073709551615"`), so that a resolved `config.toml` always
//! repeats its run. Both forms are read back.

use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;

/// Write a seed: an integer when TOML can hold it, else a string of digits.
pub fn serialize<S: Serializer>(seed: &u64, s: S) -> Result<S::Ok, S::Error> {
    if i64::try_from(*seed).is_ok() {
        s.serialize_u64(*seed)
    } else {
        s.serialize_str(&seed.to_string())
    }
}

/// Read a seed: a non-negative integer, or a string of decimal digits up to 2⁶⁴ − 1.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    struct Seed;
    impl Visitor<'_> for Seed {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a seed: an integer 0 … 2⁶³ − 1, or a string of digits up to 2⁶⁴ − 1")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom(format!("a seed must be ≥ 0, got {v}")))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            v.parse().map_err(|_| {
                E::custom(format!(
                    "a seed string must be decimal digits up to 18446744073709551615: {v:?}"
                ))
            })
        }
    }
    d.deserialize_any(Seed)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct S {
        #[serde(with = "super")]
        seed: u64,
    }

    #[test]
    fn every_u64_round_trips_through_toml() {
        for seed in [0, 1, i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX] {
            let text = toml::to_string(&S { seed }).unwrap();
            assert_eq!(toml::from_str::<S>(&text).unwrap(), S { seed }, "{text}");
        }
        assert_eq!(
            toml::to_string(&S { seed: u64::MAX }).unwrap().trim(),
            "seed = \"18446744073709551615\""
        );
        let err = toml::from_str::<S>("seed = -3").unwrap_err().to_string();
        assert!(err.contains("≥ 0, got -3"), "{err}");
        let err = toml::from_str::<S>("seed = \"x1\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("decimal digits"), "{err}");
    }
}

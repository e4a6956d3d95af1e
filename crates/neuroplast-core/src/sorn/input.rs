//! External input u(t) to the excitatory units.
//!
//! Two ways exist in the sources, and both are here:
//! * **symbol pools** (lab code, W^EU): every symbol of an alphabet drives its own pool of
//!   `units_per_symbol` randomly chosen E units with binary weights × `gain`;
//! * **real values added to chosen units** (`sorn` package): a matrix of shape
//!   (units, T) whose column t is added to the drive at step t, or fresh U(low, high) values
//!   every step.
//!
//! An input adds its contribution straight into the drive vector (no dense u(t) is built).

use rand::seq::index;
use rand::Rng as _;
use serde::{Deserialize, Serialize};

use crate::rng::{self, Rng, Stream};
use crate::{ensure, Error, Result};

/// The order in which symbols are presented.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SequenceSpec {
    /// A uniformly random symbol of `alphabet` every step.
    Random {
        /// The symbols, one character each.
        alphabet: String,
    },
    /// The characters of `text`, repeated cyclically.
    Cycle {
        /// The sequence.
        text: String,
    },
    /// Words drawn uniformly at random and concatenated (the counting task's
    /// `ABBBC` / `DEEEF` stream).
    Words {
        /// The words.
        words: Vec<String>,
    },
    /// Lazar 2009's counting task: the words A Bⁿ C and D Eⁿ F, each drawn with p = 0.5
    /// (the same stream as `words` with those two words).
    Counting {
        /// n, the number of repeated middle letters.
        n: usize,
    },
}

impl SequenceSpec {
    /// The words of a `words` or `counting` sequence (`None` for the others).
    pub fn words(&self) -> Option<Vec<String>> {
        match self {
            SequenceSpec::Words { words } => Some(words.clone()),
            SequenceSpec::Counting { n } => Some(vec![
                format!("A{}C", "B".repeat(*n)),
                format!("D{}F", "E".repeat(*n)),
            ]),
            _ => None,
        }
    }
}

/// Symbol-pool input, as configured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymbolSpec {
    /// N_U: E units driven by each symbol.
    pub units_per_symbol: usize,
    /// Input weight of every pool unit.
    #[serde(default = "one")]
    pub gain: f64,
    /// Whether pools of different symbols may share units (lab code: false).
    #[serde(default)]
    pub overlap: bool,
    /// Symbol order.
    pub sequence: SequenceSpec,
}

fn one() -> f64 {
    1.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Order {
    Random,
    Cycle(Vec<u16>),
    Words(Vec<Vec<u16>>),
}

/// An input source with its position and random stream (part of a checkpoint).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Input {
    /// No input.
    None,
    /// Symbol pools.
    Symbols {
        /// The alphabet; symbol k is `alphabet[k]`.
        alphabet: Vec<char>,
        /// E units of each symbol's pool, ascending.
        pools: Vec<Vec<u32>>,
        /// Input weight.
        gain: f64,
        /// How symbols follow each other.
        order: OrderState,
    },
    /// Real values, (units × T) row-major, added to `units`.
    Matrix {
        /// Receiving E units.
        units: Vec<u32>,
        /// Values: unit k at step t is `data[k * len + t]`.
        data: Vec<f64>,
        /// T, the number of columns.
        len: u64,
        /// Start again at column 0 after the last one.
        repeat: bool,
        /// Next column.
        pos: u64,
    },
    /// Fresh U(low, high) values every step on `units` (the `sorn` documentation's input).
    Uniform {
        /// Receiving E units.
        units: Vec<u32>,
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
        /// Random stream.
        rng: Rng,
    },
}

/// Position within a symbol sequence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderState {
    order: Order,
    word: usize,
    pos: usize,
    current: Option<u16>,
    rng: Rng,
}

impl Input {
    /// Symbol-pool input for a network of `ne` E units; pools and the symbol stream are
    /// drawn from the master seed's input stream.
    pub fn symbols(spec: &SymbolSpec, ne: usize, seed: u64) -> Result<Input> {
        if let SequenceSpec::Counting { n } = spec.sequence {
            ensure!(
                (1..=100_000).contains(&n),
                "input.sequence.n",
                "must be in [1, 100000], got {n}"
            );
        }
        let words = spec.sequence.words();
        let mut alphabet: Vec<char> = match (&spec.sequence, &words) {
            (SequenceSpec::Random { alphabet }, _) => alphabet.chars().collect(),
            (SequenceSpec::Cycle { text }, _) => text.chars().collect(),
            (_, Some(words)) => words.iter().flat_map(|w| w.chars()).collect(),
            (_, None) => unreachable!("words and counting sequences have words"),
        };
        alphabet.sort_unstable();
        alphabet.dedup();
        ensure!(
            !alphabet.is_empty(),
            "input.sequence",
            "needs at least one symbol"
        );
        ensure!(
            alphabet.len() <= u16::MAX as usize,
            "input.sequence",
            "at most {} symbols, got {}",
            u16::MAX,
            alphabet.len()
        );
        if let SequenceSpec::Words { words } = &spec.sequence {
            ensure!(
                words.iter().all(|w| !w.is_empty()),
                "input.sequence.words",
                "words must not be empty"
            );
        }
        let n = spec.units_per_symbol;
        ensure!(
            n >= 1 && n <= ne,
            "input.units_per_symbol",
            "must be in [1, ne = {ne}], got {n}"
        );
        ensure!(
            spec.overlap || n * alphabet.len() <= ne,
            "input.units_per_symbol",
            "{} symbols × {n} units need {} distinct E units but ne = {ne}; lower it or set input.overlap = true",
            alphabet.len(),
            n * alphabet.len()
        );
        ensure!(
            spec.gain.is_finite(),
            "input.gain",
            "must be finite, got {}",
            spec.gain
        );
        let mut rng = rng::stream(seed, Stream::Input);
        let pools = if spec.overlap {
            (0..alphabet.len())
                .map(|_| sorted(index::sample(&mut rng, ne, n).into_iter()))
                .collect()
        } else {
            let all = index::sample(&mut rng, ne, n * alphabet.len()).into_vec();
            all.chunks(n).map(|c| sorted(c.iter().copied())).collect()
        };
        let code = |c: char| alphabet.binary_search(&c).expect("in alphabet") as u16;
        let order = match (&spec.sequence, words) {
            (SequenceSpec::Random { .. }, _) => Order::Random,
            (SequenceSpec::Cycle { text }, _) => Order::Cycle(text.chars().map(code).collect()),
            (_, words) => Order::Words(
                words
                    .unwrap_or_default()
                    .iter()
                    .map(|w| w.chars().map(code).collect())
                    .collect(),
            ),
        };
        Ok(Input::Symbols {
            alphabet: alphabet.clone(),
            pools,
            gain: spec.gain,
            order: OrderState {
                order,
                word: 0,
                pos: 0,
                current: None,
                rng,
            },
        })
    }

    /// Real-valued input: `data` is (units.len() × len) row-major, as a numpy array of shape
    /// (nu, T). `path` names the configuration key in errors.
    pub fn matrix(
        units: Vec<u32>,
        data: Vec<f64>,
        shape: [usize; 2],
        repeat: bool,
        ne: usize,
        path: &str,
    ) -> Result<Input> {
        check_units(&units, ne, path)?;
        if shape[0] != units.len() || shape[0] * shape[1] != data.len() || shape[1] == 0 {
            return Err(Error::ShapeMismatch {
                what: format!("{path}: input matrix"),
                expected: format!("({}, T ≥ 1), one row per input unit", units.len()),
                got: format!("({}, {})", shape[0], shape[1]),
            });
        }
        ensure!(
            data.iter().all(|v| v.is_finite()),
            path,
            "input matrix contains NaN or infinite values"
        );
        Ok(Input::Matrix {
            units,
            data,
            len: shape[1] as u64,
            repeat,
            pos: 0,
        })
    }

    /// Fresh U(low, high) input on `units` every step.
    pub fn uniform(units: Vec<u32>, low: f64, high: f64, ne: usize, seed: u64) -> Result<Input> {
        check_units(&units, ne, "input.units")?;
        ensure!(
            low.is_finite() && high.is_finite() && low <= high,
            "input",
            "needs finite low ≤ high, got low = {low}, high = {high}"
        );
        Ok(Input::Uniform {
            units,
            low,
            high,
            rng: rng::stream(seed, Stream::Input),
        })
    }

    /// Steps this input can still deliver (`None` = unlimited).
    pub fn remaining(&self) -> Option<u64> {
        match self {
            Input::Matrix {
                len, repeat, pos, ..
            } if !repeat => Some(len - pos),
            _ => None,
        }
    }

    /// The symbol presented at the last step, if this is a symbol input.
    pub fn current_symbol(&self) -> Option<char> {
        match self {
            Input::Symbols {
                alphabet, order, ..
            } => order.current.map(|s| alphabet[s as usize]),
            _ => None,
        }
    }

    /// The alphabet of a symbol input (symbol k is `alphabet[k]`; empty for other inputs).
    pub fn alphabet(&self) -> &[char] {
        match self {
            Input::Symbols { alphabet, .. } => alphabet,
            _ => &[],
        }
    }

    /// The index (into [`Input::alphabet`]) of the symbol presented at the last step.
    pub fn current_code(&self) -> Option<u16> {
        match self {
            Input::Symbols { order, .. } => order.current,
            _ => None,
        }
    }

    /// Where the symbol presented at the last step stands in its word (`words`, `counting`)
    /// or in the cycled text (`cycle`), counting from 0; 0 for random symbols.
    pub fn current_position(&self) -> Option<usize> {
        match self {
            Input::Symbols { order, .. } if order.current.is_some() => Some(order.position()),
            _ => None,
        }
    }

    /// Advance one step and add u(t) to the E drive.
    pub fn apply(&mut self, drive: &mut [f64]) {
        match self {
            Input::None => {}
            Input::Symbols {
                pools, gain, order, ..
            } => {
                let s = order.next(pools.len());
                for &u in &pools[s as usize] {
                    drive[u as usize] += *gain;
                }
            }
            Input::Matrix {
                units,
                data,
                len,
                repeat,
                pos,
            } => {
                if *pos == *len {
                    debug_assert!(*repeat, "input matrix exhausted (checked before running)");
                    *pos = 0;
                }
                let t = *pos as usize;
                let l = *len as usize;
                for (k, &u) in units.iter().enumerate() {
                    drive[u as usize] += data[k * l + t];
                }
                *pos += 1;
            }
            Input::Uniform {
                units,
                low,
                high,
                rng,
            } => {
                for &u in units.iter() {
                    drive[u as usize] += *low + (*high - *low) * rng.random::<f64>();
                }
            }
        }
    }
}

impl OrderState {
    /// Position of the last presented symbol (`pos` already points at the next one).
    fn position(&self) -> usize {
        let len = match &self.order {
            Order::Random => return 0,
            Order::Cycle(seq) => seq.len(),
            Order::Words(words) => words[self.word].len(),
        };
        (self.pos + len - 1) % len
    }

    fn next(&mut self, n_symbols: usize) -> u16 {
        let s = match &self.order {
            Order::Random => self.rng.random_range(0..n_symbols) as u16,
            Order::Cycle(seq) => {
                let s = seq[self.pos];
                self.pos = (self.pos + 1) % seq.len();
                s
            }
            Order::Words(words) => {
                if self.pos == 0 {
                    self.word = self.rng.random_range(0..words.len());
                }
                let w = &words[self.word];
                let s = w[self.pos];
                self.pos = (self.pos + 1) % w.len();
                s
            }
        };
        self.current = Some(s);
        s
    }
}

fn sorted(it: impl Iterator<Item = usize>) -> Vec<u32> {
    let mut v: Vec<u32> = it.map(|u| u as u32).collect();
    v.sort_unstable();
    v
}

fn check_units(units: &[u32], ne: usize, path: &str) -> Result<()> {
    ensure!(!units.is_empty(), path, "needs at least one input unit");
    let mut s = units.to_vec();
    s.sort_unstable();
    s.dedup();
    ensure!(s.len() == units.len(), path, "input units must be distinct");
    ensure!(
        (*s.last().unwrap() as usize) < ne,
        path,
        "input unit {} does not exist (E units are 0..{})",
        s.last().unwrap(),
        ne
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_pools() {
        let spec = SymbolSpec {
            units_per_symbol: 3,
            gain: 2.0,
            overlap: false,
            sequence: SequenceSpec::Words {
                words: vec!["ABBC".into(), "DEEF".into()],
            },
        };
        let mut inp = Input::symbols(&spec, 20, 1).unwrap();
        let Input::Symbols { pools, .. } = &inp else {
            unreachable!()
        };
        let mut all: Vec<u32> = pools.concat();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 18, "disjoint pools");
        let mut text = String::new();
        let mut d = vec![0.0; 20];
        for _ in 0..400 {
            inp.apply(&mut d);
            text.push(inp.current_symbol().unwrap());
        }
        // The stream is a concatenation of whole words.
        for w in text.as_bytes().chunks(4) {
            assert!(w == b"ABBC" || w == b"DEEF", "{text}");
        }
        assert!(text.contains("ABBC") && text.contains("DEEF"));
        // Each step adds gain to exactly one pool: 400 steps × 3 units × 2.0.
        assert_eq!(d.iter().sum::<f64>(), 2400.0);
    }

    #[test]
    fn too_many_pool_units_is_an_error() {
        let spec = SymbolSpec {
            units_per_symbol: 10,
            gain: 1.0,
            overlap: false,
            sequence: SequenceSpec::Random {
                alphabet: "ABC".into(),
            },
        };
        let e = Input::symbols(&spec, 20, 1).unwrap_err().to_string();
        assert!(e.contains("input.units_per_symbol"), "{e}");
    }

    #[test]
    fn matrix_shape_is_checked() {
        let e = Input::matrix(vec![0, 1], vec![0.0; 6], [3, 2], false, 10, "input.file")
            .unwrap_err()
            .to_string();
        assert!(e.contains("input.file") && e.contains("(3, 2)"), "{e}");
        let mut m = Input::matrix(vec![4, 1], vec![1., 2., 3., 4.], [2, 2], true, 10, "x").unwrap();
        let mut d = vec![0.0; 10];
        m.apply(&mut d);
        assert_eq!((d[4], d[1]), (1.0, 3.0));
        m.apply(&mut d);
        m.apply(&mut d);
        assert_eq!((d[4], d[1]), (4.0, 10.0));
    }
}

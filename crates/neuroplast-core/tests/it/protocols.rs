//! Protocol runs as engines: `run` returns what it returned before the runs became engines
//! (digests minted from the code of commit 75eb218), and a run advanced in any chunks, or
//! checkpointed and restored on the way, ends with the same figures, spikes and data files as
//! a run advanced in one call.

use neuroplast_core::checkpoint;
use neuroplast_core::engine::{Engine, Kind};
use neuroplast_core::experiments::{self, characters, drn, polychronization, sorf, ProtocolSpec};
use neuroplast_core::hash::Fnv1a;
use neuroplast_core::recording::{ArrayData, Recording};

fn f64s(h: &mut Fnv1a, v: &[f64]) {
    h.write_u64(v.len() as u64);
    for x in v {
        h.write_u64(x.to_bits());
    }
}

fn ints<T: Copy + TryInto<u64>>(h: &mut Fnv1a, v: &[T]) {
    h.write_u64(v.len() as u64);
    for &x in v {
        // negative values (−1: no winner) as their two's complement
        h.write_u64(x.try_into().unwrap_or(u64::MAX));
    }
}

fn cbor(v: &impl serde::Serialize) -> Vec<u8> {
    let mut b = Vec::new();
    ciborium::into_writer(v, &mut b).unwrap();
    b
}

fn poly_params() -> polychronization::Params {
    polychronization::Params {
        n: 200,
        duration_s: 3,
        spectrum_s: 2,
        raster_s: 1,
        rate_windows_s: vec![[0, 2], [1, 3]],
        ..Default::default()
    }
}

fn sorf_params() -> sorf::Params {
    sorf::Params {
        epochs: 2,
        orientations: 2,
        stimulus_ms: 200.0,
        rest_ms: 50.0,
        test_stimulus_ms: 100.0,
        test_rest_ms: 50.0,
        record_epoch_weights: true,
        ..Default::default()
    }
}

fn drn_params() -> drn::Params {
    drn::Params {
        steps: 3000,
        ..Default::default()
    }
}

fn poly_digest(o: &polychronization::Outcome) -> u64 {
    let mut h = Fnv1a::default();
    let mut s = o.summary.clone();
    s.simulation_seconds = 0.0;
    s.realtime_factor = 0.0;
    h.write_bytes(&cbor(&s));
    for sp in [
        &s.spectrum_first,
        &s.spectrum_last,
        &s.spectrum_first_all,
        &s.spectrum_last_all,
        &s.spectrum_last_inh,
    ] {
        f64s(&mut h, &sp.freq_hz);
        f64s(&mut h, &sp.power);
    }
    f64s(&mut h, &o.rate_exc_per_s);
    f64s(&mut h, &o.rate_inh_per_s);
    f64s(&mut h, &o.weights);
    for c in [
        &o.counts_first_exc,
        &o.counts_first_inh,
        &o.counts_last_exc,
        &o.counts_last_inh,
    ] {
        ints(&mut h, c);
    }
    for r in [&o.raster_first, &o.raster_last] {
        ints(&mut h, &r.steps);
        ints(&mut h, &r.ids);
    }
    h.finish()
}

fn sorf_digest(o: &sorf::Outcome) -> u64 {
    let mut h = Fnv1a::default();
    let mut s = o.summary.clone();
    s.wall_seconds_per_epoch = Vec::new();
    s.wall_seconds_test = 0.0;
    h.write_bytes(&cbor(&s));
    for v in [
        &o.w_on_initial,
        &o.w_off_initial,
        &o.w_on_final,
        &o.w_off_final,
        &o.exc_rates,
        &o.inh_rates,
        &o.tuning,
        &o.inh_tuning,
        &o.epoch_weights,
    ] {
        f64s(&mut h, v);
    }
    h.finish()
}

fn characters_digest(o: &characters::Outcome) -> u64 {
    let mut h = Fnv1a::default();
    h.write_bytes(&cbor(&o.summary));
    h.write_u64(o.n_neurons as u64);
    f64s(&mut h, &o.initial_weights);
    f64s(&mut h, &o.final_weights);
    ints(&mut h, &o.train_winners);
    ints(&mut h, &o.test_counts);
    h.finish()
}

fn drn_digest(o: &drn::Outcome) -> u64 {
    let mut h = Fnv1a::default();
    let mut s = o.summary.clone();
    s.sim_seconds = 0.0;
    h.write_bytes(&cbor(&s));
    ints(&mut h, &o.spike_steps);
    ints(&mut h, &o.spike_ids);
    f64s(&mut h, &o.mean_exc_weight);
    h.finish()
}

/// Everything `run` returns (figures without wall times, every array bit for bit) for small
/// parameters is what it was before the protocols became engines. To re-mint after a change
/// that is meant to change results, print the digests and say why in the commit.
#[test]
fn run_outcomes_unchanged() {
    let ok = &mut |_: f64| true;
    let o = polychronization::run(&poly_params(), 5, ok).unwrap();
    assert_eq!(o.summary.spike_hash, "5ea3f011985e7458");
    assert_eq!(poly_digest(&o), 0x9a37e45f66f160c3);
    let o = sorf::run(&sorf_params(), 5, ok).unwrap();
    assert_eq!(sorf_digest(&o), 0xee0f414a52497e33);
    let p = sorf::Params {
        test: false,
        ..sorf_params()
    };
    assert_eq!(
        sorf_digest(&sorf::run(&p, 5, ok).unwrap()),
        0xf26d8e8848568915
    );
    let o = characters::run(&characters::Params::default(), 1, ok).unwrap();
    assert_eq!(characters_digest(&o), 0x749fe2ac7ea4c58c);
    let p = characters::Params {
        dendrite_tau: characters::DendriteTau::Current,
        characters: characters::CharacterSet::Count(6),
        train_epochs: 5,
        ..Default::default()
    };
    assert_eq!(
        characters_digest(&characters::run(&p, 2, ok).unwrap()),
        0x4d1250d93d0274d9
    );
    assert_eq!(
        drn_digest(&drn::run(&drn_params(), 5, ok).unwrap()),
        0x4f0e10780bac444c
    );
    let p = drn::Params {
        variant: drn::Variant::Const,
        gamma: 1.0,
        ..drn_params()
    };
    assert_eq!(
        drn_digest(&drn::run(&p, 5, ok).unwrap()),
        0xd7c8dd0f3fee295f
    );
}

/// The figures of a finished engine without its wall times, as CBOR bytes (NaN-safe).
fn figures(e: &dyn Engine) -> Vec<u8> {
    let mut s = e.summary();
    for key in [
        "simulation_seconds",
        "realtime_factor",
        "wall_seconds_per_epoch",
        "wall_seconds_test",
        "sim_seconds",
    ] {
        if s.number(key).is_some() || key == "wall_seconds_per_epoch" {
            s.insert(key, 0.0);
        }
    }
    cbor(&s)
}

/// What a finished run left: figures, spike hash, step count, and every drained file.
#[derive(PartialEq)]
struct End {
    figures: Vec<u8>,
    hash: u64,
    steps: u64,
    data: Recording,
}

impl std::fmt::Debug for End {
    /// Short: the hash, the steps and digests of the figures and of the data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digest = |b: &[u8]| {
            let mut h = Fnv1a::default();
            h.write_bytes(b);
            h.finish()
        };
        let files: Vec<(&str, u64)> = self
            .data
            .arrays
            .iter()
            .map(|c| (c.file.as_str(), digest(&cbor(c))))
            .collect();
        write!(
            f,
            "End {{ hash: {:016x}, steps: {}, figures: {:016x}, files: {files:x?} }}",
            self.hash,
            self.steps,
            digest(&self.figures)
        )
    }
}

fn end_of(e: &dyn Engine, data: Recording) -> End {
    assert_eq!(e.remaining(), Some(0));
    End {
        figures: figures(e),
        hash: e.spike_hash(),
        steps: e.step_count(),
        data,
    }
}

/// Advance in one call, draining once.
fn whole(spec: &ProtocolSpec, seed: u64) -> End {
    let mut e = spec.build(seed).unwrap();
    let total = e.remaining().unwrap();
    e.advance(total + 1000); // capped at the end
    assert_eq!(e.step_count(), total);
    let data = e.drain();
    assert!(e.drain().is_empty(), "files are handed out once");
    end_of(&*e, data)
}

/// Uneven chunks 1, 2, 3, 5, 8, … (cycling), draining after each.
fn chunked(spec: &ProtocolSpec, seed: u64) -> End {
    let mut e = spec.build(seed).unwrap();
    let mut data = e.drain();
    let (mut a, mut b) = (1u64, 2u64);
    while e.remaining() != Some(0) {
        let before = e.step_count();
        let left = e.remaining().unwrap();
        e.advance(a);
        assert_eq!(e.step_count(), before + a.min(left));
        data.append(e.drain());
        (a, b) = (b, a + b);
        if a > 2000 {
            (a, b) = (1, 2);
        }
        e.advance(0);
    }
    end_of(&*e, data)
}

/// Advance `first` steps, drain, checkpoint, restore, and finish the copy.
fn resumed(spec: &ProtocolSpec, seed: u64, first: u64) -> End {
    let mut e = spec.build(seed).unwrap();
    e.advance(first);
    let mut data = e.drain();
    let mut bytes = Vec::new();
    e.checkpoint(&mut bytes).unwrap();
    drop(e);
    let mut e = checkpoint::restore(&bytes).unwrap();
    assert_eq!(e.step_count(), first);
    assert_eq!(e.threads(), 1);
    e.set_threads(2).unwrap();
    let left = e.remaining().unwrap();
    e.advance(left);
    data.append(e.drain());
    end_of(&*e, data)
}

fn specs() -> Vec<(&'static str, ProtocolSpec)> {
    vec![
        (
            "polychronization",
            ProtocolSpec::Polychronization(poly_params()),
        ),
        (
            "polychronization",
            ProtocolSpec::Polychronization(polychronization::Params {
                raster_s: 0,
                spectrum_s: 3,
                thalamic: polychronization::Thalamic::Bernoulli,
                ..poly_params()
            }),
        ),
        ("sorf", ProtocolSpec::Sorf(sorf_params())),
        (
            "sorf",
            ProtocolSpec::Sorf(sorf::Params {
                stimulus_ms: 251.0,
                rest_ms: 0.0,
                test_rest_ms: 0.0,
                record_epoch_weights: false,
                ..sorf_params()
            }),
        ),
        (
            "characters",
            ProtocolSpec::Characters(characters::Params {
                train_epochs: 10,
                ..Default::default()
            }),
        ),
        ("drn", ProtocolSpec::Drn(drn_params())),
        (
            "drn",
            ProtocolSpec::Drn(drn::Params {
                variant: drn::Variant::Const,
                gamma: 1.0,
                steps: 1001,
                ..drn_params()
            }),
        ),
    ]
}

/// Results do not depend on how the steps are chunked, nor on a checkpoint on the way
/// (mid-segment, at a segment boundary, at the start, at the end); a restored run continues
/// on two threads with the same spikes.
#[test]
fn chunks_and_checkpoints_change_nothing() {
    for (kind, spec) in specs() {
        let reference = whole(&spec, 3);
        assert!(reference.steps > 1000, "{kind}");
        assert_eq!(chunked(&spec, 3), reference, "{kind}: chunked");
        for first in [0, 1, 999, 1000, reference.steps / 2 + 7, reference.steps] {
            assert_eq!(
                resumed(&spec, 3, first),
                reference,
                "{kind}: resumed at {first}"
            );
        }
        assert_ne!(whole(&spec, 4).hash, reference.hash, "{kind}: seeds differ");
    }
}

/// The files each protocol hands out are today's `data/*.npy` files, with the same values as
/// the `Outcome` of `run`.
#[test]
fn drained_files_are_the_outcome() {
    fn files(spec: &ProtocolSpec, seed: u64) -> Vec<(String, Vec<usize>, ArrayData)> {
        let mut e = spec.build(seed).unwrap();
        let left = e.remaining().unwrap();
        e.advance(left);
        let mut out: Vec<_> = e
            .drain()
            .arrays
            .into_iter()
            .map(|mut c| {
                assert_eq!(c.arrays.len(), 1, "{}", c.file);
                let a = c.arrays.remove(0);
                assert_eq!(a.name, "", "{}: one unnamed array (an .npy)", c.file);
                assert_eq!(
                    a.shape.iter().product::<usize>(),
                    a.data.len(),
                    "{}",
                    c.file
                );
                (c.file, a.shape, a.data)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
    let names = |f: &[(String, Vec<usize>, ArrayData)]| -> Vec<String> {
        f.iter().map(|x| x.0.clone()).collect()
    };
    let ok = &mut |_: f64| true;

    let p = poly_params();
    let f = files(&ProtocolSpec::Polychronization(p.clone()), 5);
    let o = polychronization::run(&p, 5, ok).unwrap();
    assert_eq!(
        names(&f),
        [
            "counts_first_exc",
            "counts_first_inh",
            "counts_last_exc",
            "counts_last_inh",
            "raster_first_ids",
            "raster_first_steps",
            "raster_last_ids",
            "raster_last_steps",
            "rate_exc_per_s",
            "rate_inh_per_s",
            "weights_final"
        ]
        .map(|s| format!("data/{s}"))
    );
    assert_eq!(f[0].2, ArrayData::U32(o.counts_first_exc));
    assert_eq!(f[5].2, ArrayData::U64(o.raster_first.steps));
    assert_eq!(f[8].2, ArrayData::F64(o.rate_exc_per_s));
    assert_eq!(f[10].2, ArrayData::F64(o.weights));

    let p = sorf_params();
    let f = files(&ProtocolSpec::Sorf(p.clone()), 5);
    let o = sorf::run(&p, 5, ok).unwrap();
    assert_eq!(
        names(&f),
        [
            "exc_rates",
            "inh_rates",
            "inh_tuning",
            "tuning",
            "w_off_final",
            "w_off_initial",
            "w_on_final",
            "w_on_initial",
            "weights_epochs"
        ]
        .map(|s| format!("data/{s}"))
    );
    assert_eq!(
        (f[0].1.clone(), &f[0].2),
        (vec![2, 4], &ArrayData::F64(o.exc_rates))
    );
    assert_eq!(
        (f[3].1.clone(), &f[3].2),
        (vec![2, 4], &ArrayData::F64(o.tuning))
    );
    assert_eq!(f[6].1, vec![4, 32, 32]);
    assert_eq!(f[6].2, ArrayData::F64(o.w_on_final));
    assert_eq!(f[8].1, vec![2, 2, 4, 32, 32]);
    assert_eq!(f[8].2, ArrayData::F64(o.epoch_weights));
    let p = sorf::Params {
        test: false,
        record_epoch_weights: false,
        ..sorf_params()
    };
    assert_eq!(
        files(&ProtocolSpec::Sorf(p), 5).len(),
        6,
        "no tuning, no epoch weights"
    );

    let p = characters::Params::default();
    let f = files(&ProtocolSpec::Characters(p.clone()), 1);
    let o = characters::run(&p, 1, ok).unwrap();
    assert_eq!(
        names(&f),
        [
            "response",
            "train_winners",
            "weights_final",
            "weights_initial"
        ]
        .map(|s| format!("data/{s}"))
    );
    assert_eq!(
        (f[0].1.clone(), &f[0].2),
        (vec![4, 4, 3], &ArrayData::U32(o.test_counts))
    );
    assert_eq!(
        (f[1].1.clone(), &f[1].2),
        (vec![25, 4], &ArrayData::I32(o.train_winners))
    );
    assert_eq!(
        (f[3].1.clone(), &f[3].2),
        (vec![4, 15], &ArrayData::F64(o.initial_weights))
    );

    let p = drn_params();
    let f = files(&ProtocolSpec::Drn(p.clone()), 5);
    let o = drn::run(&p, 5, ok).unwrap();
    assert_eq!(
        names(&f),
        ["mean_exc_weight", "spike_ids", "spike_steps"].map(|s| format!("data/{s}"))
    );
    assert_eq!(f[0].2, ArrayData::F64(o.mean_exc_weight));
    assert_eq!(f[2].2, ArrayData::U64(o.spike_steps));
    let p = drn::Params {
        variant: drn::Variant::Const,
        ..drn_params()
    };
    assert_eq!(
        files(&ProtocolSpec::Drn(p), 5).len(),
        2,
        "const: no weight trace"
    );
}

/// Files that are final before the end are handed out then: SORF's initial weights with the
/// first step, the first raster of spnet after `raster_s`, the characters' initial weights at
/// once and their training files when training ends.
#[test]
fn early_files_come_early() {
    let drained = |e: &mut Box<dyn Engine>| -> Vec<String> {
        e.drain().arrays.into_iter().map(|c| c.file).collect()
    };
    let mut e = ProtocolSpec::Sorf(sorf_params()).build(1).unwrap();
    assert!(drained(&mut e).is_empty());
    e.advance(1);
    assert_eq!(drained(&mut e), ["data/w_on_initial", "data/w_off_initial"]);
    e.advance(999); // training ends at 2 × 2 × 250 steps
    assert_eq!(drained(&mut e), ["data/weights_epochs"]);

    let mut e = ProtocolSpec::Polychronization(poly_params())
        .build(1)
        .unwrap();
    e.advance(999);
    assert!(drained(&mut e).is_empty());
    e.advance(1);
    assert_eq!(
        drained(&mut e),
        ["data/raster_first_steps", "data/raster_first_ids"]
    );

    let mut e = ProtocolSpec::Characters(characters::Params::default())
        .build(1)
        .unwrap();
    assert_eq!(drained(&mut e), ["data/weights_initial"]);
    e.advance(25 * 4 * 100 - 1);
    assert!(drained(&mut e).is_empty());
    e.advance(1);
    assert_eq!(
        drained(&mut e),
        ["data/weights_final", "data/train_winners"]
    );
}

/// Kind, clock, schedule and the figures before and after the end.
#[test]
fn engine_surface() {
    let cases: [(ProtocolSpec, &str, f64, u64, &[&str]); 4] = [
        (
            ProtocolSpec::Polychronization(poly_params()),
            "polychronization",
            1.0,
            3000,
            &["simulate", "actions"],
        ),
        (
            ProtocolSpec::Sorf(sorf_params()),
            "sorf",
            1.0,
            2 * 2 * 250 + 2 * 150,
            &["train", "test", "actions"],
        ),
        (
            ProtocolSpec::Characters(characters::Params::default()),
            "characters",
            1.0,
            (25 * 4 + 4 * 3) * 100,
            &["train", "test", "step", "stdp"],
        ),
        (
            ProtocolSpec::Drn(drn_params()),
            "drn",
            0.1,
            3000,
            &["simulate", "actions"],
        ),
    ];
    for (spec, kind, dt, total, phases) in cases {
        let mut e = spec.build(2).unwrap();
        assert_eq!(e.kind(), Kind::Protocol(kind));
        assert_eq!(e.kind().name(), "protocol");
        assert_eq!(e.dt_ms(), Some(dt));
        assert_eq!((e.step_count(), e.remaining()), (0, Some(total)));
        let names: Vec<&str> = e.schedule().iter().map(|p| p.name).collect();
        assert_eq!(&names[..phases.len()], phases, "{kind}");
        let s = e.summary();
        assert_eq!(s.number("steps"), Some(0.0), "{kind}");
        assert_eq!(s.number("total_steps"), Some(total as f64), "{kind}");
        e.set_profile(true);
        e.advance(total / 2);
        let s = e.summary();
        assert_eq!(s.number("steps"), Some((total / 2) as f64), "{kind}");
        assert_eq!(e.remaining(), Some(total - total / 2));
        let profile = e.profile().expect("profiling");
        assert!(profile
            .iter()
            .all(|(name, secs)| names.contains(name) && *secs >= 0.0));
        let text = format!("{:?}", cbor(&s));
        assert!(!text.is_empty());
        e.advance(total);
        assert_eq!(e.remaining(), Some(0));
        let s = e.summary();
        assert_eq!(
            s.number("steps"),
            None,
            "{kind}: acceptance figures replace progress"
        );
    }
}

/// `outcome` needs an undrained complete run; `restore` refuses other checkpoints; `build`
/// names the key of a bad value.
#[test]
fn errors_say_why() {
    let mut run = sorf::Run::new(&sorf_params(), 1).unwrap();
    run.advance(10);
    let e = run.clone().outcome().unwrap_err().to_string();
    assert!(
        e.contains("not complete") && e.contains("1290 steps left"),
        "{e}"
    );
    run.advance(2000);
    let _ = run.drain();
    let e = run.outcome().unwrap_err().to_string();
    assert!(e.contains("drained"), "{e}");
    let bad = ProtocolSpec::Drn(drn::Params {
        steps: 0,
        ..drn_params()
    });
    let e = bad.build(1).err().unwrap().to_string();
    assert!(e.contains("protocol.steps"), "{e}");
    let net = neuroplast_core::spiking::benchmarks::coba(100, 1)
        .unwrap()
        .build()
        .unwrap();
    let mut bytes = Vec::new();
    net.checkpoint(&mut bytes).unwrap();
    let e = experiments::restore(&bytes).err().unwrap().to_string();
    assert!(
        e.contains("spiking-network checkpoint, not a protocol-run one"),
        "{e}"
    );
}

#![allow(missing_docs)] // criterion_group! generates undocumented functions
//! Criterion benchmarks of the spiking kernels: one step of the COBA/CUBA 4k and Izhikevich
//! 2006 networks (throughput in synaptic events), the IF_cond_exp update alone (neurons), and
//! delivery through a projection (synapses). `cargo bench -p neuroplast-core --bench spiking`.
//! The end-to-end figures against peers come from `neuroplast bench` and
//! `scripts/bench_vs_peers.sh`, not from here.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use neuroplast_core::spiking::benchmarks::Benchmark;
use neuroplast_core::spiking::neuron::{IfCondExp, IfCondExpParams, NeuronModel};
use neuroplast_core::spiking::projection::{SpikeRing, Synapses};

fn network_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("network_100_steps");
    for (which, n) in [
        (Benchmark::Coba, 4000),
        (Benchmark::Cuba, 4000),
        (Benchmark::Izh06, 1000),
    ] {
        let mut net = which.builder(n, 4321).unwrap().build().unwrap();
        net.run(2_000); // leave the initial transient
        let before = net.synaptic_events();
        net.run(100);
        g.throughput(Throughput::Elements(
            (net.synaptic_events() - before).max(1),
        ));
        g.bench_function(BenchmarkId::new(which.name(), n), |b| {
            b.iter(|| net.run(100))
        });
    }
    g.finish();
}

fn lif_update(c: &mut Criterion) {
    let mut g = c.benchmark_group("if_cond_exp_update");
    let n = 4000;
    let params = IfCondExpParams {
        cm: 0.2,
        v_rest: -60.0,
        v_reset: -60.0,
        tau_refrac: 5.0,
        i_offset: 0.19,
        ..Default::default()
    };
    let mut lif = IfCondExp::new(&params, n, 0.1).unwrap();
    let mut spikes = Vec::with_capacity(n);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter(|| {
            spikes.clear();
            lif.step(&mut [], &[], &mut spikes)
        })
    });
    g.finish();
}

fn delivery(c: &mut Criterion) {
    let mut g = c.benchmark_group("delivery");
    // 4000 → 4000 neurons, 80 synapses each, 40 spiking presynaptic neurons per step
    let (n, k) = (4000u32, 80u32);
    let pre: Vec<u32> = (0..n)
        .flat_map(|i| std::iter::repeat_n(i, k as usize))
        .collect();
    let post: Vec<u32> = (0..n * k)
        .map(|s| s.wrapping_mul(2_654_435_761) % n)
        .collect();
    let weight: Vec<f64> = (0..n * k).map(|s| f64::from(s % 7) * 0.001).collect();
    let delay = vec![1u32; (n * k) as usize];
    let syn = Synapses::new(n as usize, n as usize, &pre, &post, &weight, &delay);
    let mut ring = SpikeRing::new(2, 64);
    let spikes: Vec<u32> = (0..40).map(|i| i * 97).collect();
    ring.store(0, &spikes);
    let mut g_exc = vec![0.0; n as usize];
    g.throughput(Throughput::Elements(40 * u64::from(k)));
    g.bench_function("4000x80_40_spikes", |b| {
        b.iter(|| syn.deliver(1, &ring, 0, n, |j, w| g_exc[j] += w))
    });
    g.finish();
}

criterion_group!(benches, network_step, lif_update, delivery);
criterion_main!(benches);

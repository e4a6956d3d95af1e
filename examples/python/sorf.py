"""SORF (Carlson, Richert, Dutt & Krichmar 2013, as ANNarchy's notebook SORF.ipynb builds it),
written as a plain Python script on neuroplast's public API: the network built call by call,
the stimulus protocol driven from Python (a Poisson rate change per grating), the receptive
fields measured with numpy. The built-in `sorf` protocol (examples/sorf.toml) does the same in
Rust; docs/python.md compares the two.

    .venv/bin/python examples/python/sorf.py --seed 1              # built-in neuron and rule
    .venv/bin/python examples/python/sorf.py --seed 1 --equations  # the notebook's equations
    .venv/bin/python examples/python/sorf.py --epochs 2 --orientations 8   # a quick look

Prints, per Exc neuron, rf_match (best |corr| of w_on − w_off with a grating over θ in 1°
steps and 16 phases), corr(w_on, w_off), and the Exc / Inh rates of epoch 1 and epochs 2–20.
Acceptance (the protocol's): rf_match ≥ 0.5 for every Exc neuron, corr ≤ −0.7, Exc rate
10 ± 1.5 Hz in epochs 2–20.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

import neuroplast as npl

SIDE = 32
PIX = SIDE * SIDE


def grating(theta: float, phase: float, frequency: float) -> np.ndarray:
    """sin(2π·f·(cos θ·x + sin θ·y) + φ) on the 32×32 grid, x, y = linspace(−1, 1)."""
    lin = np.linspace(-1.0, 1.0, SIDE)
    x, y = np.meshgrid(lin, lin)
    return np.sin(2 * np.pi * frequency * (np.cos(theta) * x + np.sin(theta) * y) + phase).ravel()


def build(seed: int, equations: bool) -> npl.Network:
    net = npl.Network(dt=1.0, seed=seed)
    if equations:
        neuron = npl.Model.library("RSNeuron")
        rule = npl.Model.library("homeo_stdp")
        exc_rcp, inh_rcp = ["g_ampa", "g_nmda"], ["g_gabaa", "g_gabab"]
        buffer_rule = dict(plasticity=rule, rate_window_ms=10000.0)
        exc_inh_rule = dict(plasticity=rule, rate_window_ms=10000.0, tau_plus=51.0,
                            tau_minus=78.0, A_plus=-4.1e-5, A_minus=-1.5e-5, Rtarget=75.0)
    else:
        neuron = "SORF"
        exc_rcp, inh_rcp = ["ampa", "nmda"], ["gabaa", "gabab"]
        buffer_rule = dict(plasticity={"kind": "homeostatic_stdp"})
        exc_inh_rule = dict(plasticity={"kind": "homeostatic_stdp", "tau_plus": 51.0,
                                        "tau_minus": 78.0, "a_plus": -4.1e-5,
                                        "a_minus": -1.5e-5, "r_target": 75.0})
    for side in ("on", "off"):
        net.population(f"{side}_poiss", PIX, "SpikeSourcePoisson", params={"rate": 1.0})
    for side in ("on", "off"):
        net.population(f"{side}_buf", PIX, neuron)
    net.population("exc", 4, neuron)
    net.population("inh", 4, neuron)
    for side in ("on", "off"):
        net.connect(f"{side}_poiss", f"{side}_buf", npl.one_to_one(), weight=npl.uniform(0.2, 0.6),
                    delay=1.0, receptor=exc_rcp)
    for side in ("on", "off"):
        net.connect(f"{side}_buf", "exc", npl.all_to_all(), weight=npl.uniform(0.004, 0.015),
                    delay=1.0, receptor=exc_rcp, name=f"{side}_exc", **buffer_rule)
    net.connect("exc", "inh", npl.all_to_all(), weight=npl.uniform(0.116, 0.403), delay=1.0,
                receptor=exc_rcp, **exc_inh_rule)
    net.connect("inh", "exc", npl.all_to_all(), weight=npl.uniform(0.065, 0.259), delay=1.0,
                receptor=inh_rcp)
    return net


def weights(net: npl.Network, projection: str) -> np.ndarray:
    """A projection's weights as [post][pre] (4 × 1024)."""
    pre, post, _ = net.connections(projection)
    w = np.zeros((4, PIX))
    w[post, pre] = net.weights(projection)
    return w


def rf_match(d: np.ndarray, frequency: float) -> tuple[np.ndarray, np.ndarray]:
    """Best |corr(d[i], grating)| over θ in 1° steps and 16 phases, and its θ (degrees)."""
    gs = np.array([grating(np.radians(deg), 2 * np.pi * k / 16, frequency)
                   for deg in range(180) for k in range(16)])
    gs = (gs - gs.mean(1, keepdims=True)) / np.linalg.norm(gs - gs.mean(1, keepdims=True), axis=1, keepdims=True)
    dz = d - d.mean(1, keepdims=True)
    dz /= np.linalg.norm(dz, axis=1, keepdims=True)
    r = np.abs(dz @ gs.T)
    best = r.argmax(1)
    return r.max(1), (best // 16).astype(float)


def run(seed: int = 1, epochs: int = 20, orientations: int = 40, equations: bool = False,
        frequency: float = 1.2, max_rate: float = 28.0) -> dict:
    net = build(seed, equations)
    rng = np.random.default_rng(seed)
    thetas = np.pi * np.arange(orientations) / orientations
    exc_hz, inh_hz = [], []
    for _ in range(epochs):
        before = net.spike_counts()
        for k in rng.permutation(orientations):
            z = grating(thetas[k], 0.0, frequency)
            net.set("on_poiss.rate", max_rate * np.maximum(z, 0.0))
            net.set("off_poiss.rate", max_rate * np.maximum(-z, 0.0))
            net.run(duration_ms=2000.0)
            net.set("on_poiss.rate", 1.0)
            net.set("off_poiss.rate", 1.0)
            net.run(duration_ms=500.0)
        after = net.spike_counts()
        seconds = orientations * 2.5
        exc_hz.append((after["exc"] - before["exc"]) / (4 * seconds))
        inh_hz.append((after["inh"] - before["inh"]) / (4 * seconds))
    # the end of training: freezing brings every lazily updated weight up to date (as the
    # protocol does before it measures)
    for projection in ("on_exc", "off_exc", "exc_inh"):
        net.set_plastic(projection, False)
    on, off = weights(net, "on_exc"), weights(net, "off_exc")
    match, theta = rf_match(on - off, frequency)
    corr = [float(np.corrcoef(on[i], off[i])[0, 1]) for i in range(4)]
    return {
        "seed": seed,
        "equations": equations,
        "rf_match": [float(m) for m in match],
        "rf_orientation_deg": theta.tolist(),
        "corr_on_off": corr,
        "exc_rate_epoch_1": exc_hz[0],
        "exc_rate_epochs_2_on": float(np.mean(exc_hz[1:])) if epochs > 1 else None,
        "inh_rate_epochs_2_on": float(np.mean(inh_hz[1:])) if epochs > 1 else None,
        "w_exc_inh_min": float(net.weights("exc_inh").min()),
    }


def rounded(x):
    """Figures rounded for printing."""
    if isinstance(x, float):
        return round(x, 3)
    if isinstance(x, list):
        return [rounded(v) for v in x]
    if isinstance(x, dict):
        return {k: rounded(v) for k, v in x.items()}
    return x


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--orientations", type=int, default=40)
    ap.add_argument("--equations", action="store_true", help="the notebook's RSNeuron and homeo_stdp")
    a = ap.parse_args()
    print(json.dumps(rounded(run(a.seed, a.epochs, a.orientations, a.equations))))

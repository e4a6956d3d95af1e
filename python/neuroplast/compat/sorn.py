"""A drop-in for the PyPI ``sorn`` 0.7.4 package: change ``from sorn import Simulator,
Trainer`` to ``from neuroplast.compat.sorn import Simulator, Trainer``.

``run(inputs, phase, state, timesteps, noise, freeze, callbacks, **kwargs)`` returns
``(state_dict, callback_values)`` with ``sorn``'s keys, shapes and orientation (weights as
[pre, post]); the network is neuroplast's ``sorn-package`` preset, which reproduces the
package's model, quirks included (strict threshold, inhibition from x(t), σ = 0.04, T_E
clamped to [te_min, te_max], h_ip = 2·nu/ne, I→E synapses removed at ≤ 0).

The older API of the package's JOSS paper, ``Simulator.simulate_sorn`` and
``Trainer.train_sorn`` (``matrices``, ``time_steps``, ``_ne``-style keywords, five return
values), is provided too.

Intentional differences from ``sorn`` 0.7.4 (each a bug there):

* parameters never leak from one call to the next (``sorn`` keeps them as class attributes);
* unknown keyword arguments raise ``TypeError`` (``sorn`` ignores them); ``timesteps`` is
  required with a clear message (``sorn`` crashes);
* memory does not grow with the number of steps unless a callback asks for per-step data;
* ``phase`` is checked (``"plasticity"`` or ``"training"``; training needs a ``state``);
* with a ``state``, the state's size wins over an ``ne`` keyword (with a warning; ``sorn``
  crashes, e.g. on its own README's ``Trainer`` example);
* an empty W_EE/W_EI column stays empty instead of becoming NaN;
* randomness comes from neuroplast's generator, seeded from numpy's global generator, so
  ``np.random.seed(k)`` makes a call reproducible (the spikes differ from ``sorn``'s);
"""

from __future__ import annotations

import warnings
from typing import Any, Iterable

import numpy as np

from .._neuroplast import ConfigError
from ..sorn import Sorn

__all__ = ["Simulator", "Trainer", "DEFAULTS", "CALLBACKS", "FREEZE"]

#: ``sorn`` 0.7.4's parameters and their defaults (``ni`` is always int(0.2·ne)).
DEFAULTS: dict[str, Any] = {
    "ne": 200,
    "nu": 10,
    "network_type_ee": "Sparse",
    "network_type_ei": "Sparse",
    "network_type_ie": "Dense",
    "lambda_ee": 20,
    "lambda_ei": 40,
    "lambda_ie": 100,
    "eta_stdp": 0.004,
    "eta_inhib": 0.001,
    "eta_ip": 0.01,
    "te_max": 1.0,
    "ti_max": 0.5,
    "ti_min": 0.0,
    "te_min": 0.0,
    "mu_ip": 0.1,
    "sigma_ip": 0.0,
}
#: ``freeze`` names and the neuroplast rules they stop (``ss`` = synaptic scaling).
FREEZE = {"stdp": "stdp", "ip": "ip", "sp": "sp", "istdp": "istdp", "ss": "sn"}
#: Supported callbacks.
CALLBACKS = (
    "ExcitatoryActivation",
    "RecurrentActivation",
    "InhibitoryActivation",
    "WEE",
    "WEI",
    "TE",
    "TI",
    "EEConnectionCounts",
    "EIConnectionCounts",
)


def _connectivity(kind: str, key: str, degree: str, lam: float) -> dict[str, Any]:
    if kind == "Dense":
        return {"kind": "dense"}
    if kind == "Sparse":
        return {"kind": degree, "mean": float(lam), "sd": 1.0}
    raise ValueError(f"{key} must be 'Sparse' or 'Dense', got {kind!r}")


def _dense(post: np.ndarray, pre: np.ndarray, w: np.ndarray, n_pre: int, n_post: int) -> np.ndarray:
    m = np.zeros((n_pre, n_post))
    m[pre, post] = w
    return m


class _Runner:
    """The shared ``run`` of :data:`Simulator` and :data:`Trainer`."""

    #: Trainer: plasticity only in the "plasticity" phase.
    _trainer = False

    def run(
        self,
        inputs: np.ndarray | None = None,
        phase: str = "plasticity",
        state: dict[str, np.ndarray] | None = None,
        timesteps: int | None = None,
        noise: bool = True,
        freeze: Iterable[str] | None = None,
        callbacks: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> tuple[dict[str, np.ndarray], dict[str, list]]:
        unknown = sorted(set(kwargs) - set(DEFAULTS))
        if unknown:
            raise TypeError(
                f"run() got unexpected keyword argument(s) {unknown}; allowed: {sorted(DEFAULTS)}"
            )
        if timesteps is None:
            raise TypeError("run() needs timesteps (the number of steps to simulate)")
        timesteps = int(timesteps)
        if timesteps < 1:
            raise ValueError(f"timesteps must be ≥ 1, got {timesteps}")
        if phase not in ("plasticity", "training"):
            raise ValueError(f"phase must be 'plasticity' or 'training', got {phase!r}")
        if phase == "training" and state is None:
            raise ValueError("phase='training' continues a network: pass the state of a previous run")
        callbacks = list(callbacks or [])
        for c in callbacks:
            if c not in CALLBACKS:
                raise ValueError(f"unknown callback {c!r}; allowed: {list(CALLBACKS)}")
        frozen = []
        for f in freeze or []:
            if f not in FREEZE:
                raise ValueError(f"unknown freeze name {f!r}; allowed: {list(FREEZE)}")
            frozen.append(FREEZE[f])
        if self._trainer and phase == "training":
            frozen = list(FREEZE.values())

        p = {**DEFAULTS, **kwargs}  # a fresh copy every call: nothing leaks
        ne = int(p["ne"])
        if state is not None:
            # The state defines the network (sorn's own README passes ne=100 with a 200-unit
            # state, which crashes sorn): its size wins, with a warning.
            ne_state = np.asarray(state["Wee"]).shape[0]
            if "ne" in kwargs and int(kwargs["ne"]) != ne_state:
                warnings.warn(
                    f"ne = {kwargs['ne']} ignored: the state has {ne_state} excitatory units",
                    stacklevel=2,
                )
            ne = ne_state
        nu = int(p["nu"])
        if not 0 < 2 * nu < ne:
            raise ConfigError(
                f"nu = {nu} with ne = {ne}: the target rate h_ip = 2·nu/ne = {2 * nu / ne:g} must "
                f"be in (0, 1), so ne must be > 2·nu = {2 * nu} (or lower nu)"
            )
        net = Sorn(
            preset="sorn-package",
            ne=ne,
            seed=int(np.random.randint(0, 2**62)),
            noise_sigma=0.04 if noise else 0.0,
            h_ip=2.0 * nu / ne,
            w_ee=_connectivity(p["network_type_ee"], "network_type_ee", "normal_in_degree", p["lambda_ee"]),
            w_ei=_connectivity(p["network_type_ei"], "network_type_ei", "normal_out_degree", p["lambda_ei"]),
            w_ie=_connectivity(p["network_type_ie"], "network_type_ie", "normal_in_degree", p["lambda_ie"]),
            eta_stdp=float(p["eta_stdp"]),
            eta_istdp=float(p["eta_inhib"]),
            eta_ip=float(p["eta_ip"]),
            mu_ip=float(p["mu_ip"]),
            thresholds_e={"kind": "uniform", "low": float(p["te_min"]), "high": float(p["te_max"])},
            thresholds_i={"kind": "uniform", "low": float(p["ti_min"]), "high": float(p["ti_max"])},
            ip_clamp=[float(p["te_min"]), float(p["te_max"])],
        )
        ni = int(0.2 * ne)
        if state is not None:
            net._core.set_state(
                np.ascontiguousarray(np.asarray(state["X"], dtype=float)[:, -1]),
                np.ascontiguousarray(np.asarray(state["Y"], dtype=float)[:, -1]),
                np.ascontiguousarray(np.asarray(state["Te"], dtype=float).ravel()),
                np.ascontiguousarray(np.asarray(state["Ti"], dtype=float).ravel()),
                np.ascontiguousarray(np.asarray(state["Wee"], dtype=float).T),
                np.ascontiguousarray(np.asarray(state["Wei"], dtype=float).T),
                np.ascontiguousarray(np.asarray(state["Wie"], dtype=float).T),
            )

        want = set(callbacks)
        activations = bool(want & {"ExcitatoryActivation", "InhibitoryActivation"})
        record = ["spikes" if activations else "spikes:2"]
        if want & {"TE"}:
            record.append("thresholds:1")
        if want & {"WEE", "WEI", "EIConnectionCounts"}:
            record.append("weights:1")
        if "EEConnectionCounts" in want:
            record.append("connection_fraction:1")
        if "RecurrentActivation" in want:
            record.append("internal")
        u = None
        if inputs is not None:
            u = np.asarray(inputs, dtype=float)
            if u.ndim != 2 or u.shape[0] != nu:
                raise ValueError(f"inputs must have shape (nu, timesteps) = ({nu}, {timesteps}), got {u.shape}")
            if u.shape[1] < timesteps:
                raise ValueError(f"inputs has {u.shape[1]} columns, fewer than timesteps = {timesteps}")
            u = u[:, :timesteps].T
        t0 = net.t
        rec = net.run(timesteps, inputs=u, record=record, freeze=frozen, progress=self._progress())

        def raster(key: str, n: int, first: int, count: int) -> np.ndarray:
            # Row k: the state after update `first + k` (0-based spike steps: a spike of
            # step s is a unit active in x(s + 1)).
            r = np.zeros((count, n))
            s = rec[key]
            steps = s["step"].astype(np.int64)
            keep = steps >= first
            r[steps[keep] - first, s["neuron"][keep]] = 1.0
            return r

        s = net.state_dict()
        t = net.t
        # x(t − 1) and x(t): the updates t − 2 and t − 1
        xs = raster("spikes_e", ne, t - 2, 2)
        ys = raster("spikes_i", ni, t - 2, 2)
        if timesteps == 1:
            # x(t−1) is the state the call started from.
            xs[0] = state["X"][:, -1] if state is not None else 0.0
            ys[0] = state["Y"][:, -1] if state is not None else 0.0
        out = {
            "Wee": _dense(s["w_ee_post"], s["w_ee_pre"], s["w_ee_w"], ne, ne),
            "Wei": _dense(s["w_ei_post"], s["w_ei_pre"], s["w_ei_w"], ni, ne),
            "Wie": _dense(s["w_ie_post"], s["w_ie_pre"], s["w_ie_w"], ne, ni),
            "Te": s["te"].reshape(ne, 1).copy(),
            "Ti": s["ti"].reshape(ni, 1).copy(),
            "X": xs.T.copy(),
            "Y": ys.T.copy(),
        }
        values: dict[str, list] = {}
        if "ExcitatoryActivation" in want:
            values["ExcitatoryActivation"] = list(raster("spikes_e", ne, t0, timesteps))
        if "InhibitoryActivation" in want:
            values["InhibitoryActivation"] = list(raster("spikes_i", ni, t0, timesteps))
        if "RecurrentActivation" in want:
            # r(t+1) = Θ(W_EE x − W_EI y + ξ − T_E): the same noise, no input.
            values["RecurrentActivation"] = [
                row.astype(float).reshape(ne, 1) for row in rec["internal"]
            ]
        if "TE" in want:
            values["TE"] = [row.reshape(ne, 1) for row in rec["thresholds"][1:]]
        if "TI" in want:
            values["TI"] = [out["Ti"].copy() for _ in range(timesteps)]
        snaps = rec.get("weights", [])
        if "WEE" in want:
            values["WEE"] = [_dense(w["ee_post"], w["ee_pre"], w["ee_w"], ne, ne) for w in snaps[1:]]
        if "WEI" in want:
            values["WEI"] = [_dense(w["ei_post"], w["ei_pre"], w["ei_w"], ni, ne) for w in snaps[1:]]
        if "EEConnectionCounts" in want:
            # Before each step's plasticity: the samples at t0 … t − 1.
            frac = rec["connection_fraction"][:-1]
            values["EEConnectionCounts"] = [int(round(f * ne * (ne - 1))) for f in frac]
        if "EIConnectionCounts" in want:
            values["EIConnectionCounts"] = [int(len(w["ei_w"])) for w in snaps[:-1]]
        return out, values

    def _progress(self) -> bool:
        return False

    def _legacy(
        self,
        inputs: np.ndarray | None = None,
        phase: str = "plasticity",
        matrices: dict[str, np.ndarray] | None = None,
        noise: bool = True,
        time_steps: int | None = None,
        freeze: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> tuple[dict[str, np.ndarray], list, list, list, list]:
        """The older API of the ``sorn`` JOSS paper and documentation
        (``simulate_sorn``/``train_sorn`` with ``matrices``, ``time_steps`` and ``_``-prefixed
        parameters), returning (state, E, I, R, C): the excitatory, inhibitory and recurrent
        activity of every step and the E→E connection count of every step."""
        params = {}
        for k, v in kwargs.items():
            if not k.startswith("_") or k[1:] not in DEFAULTS:
                raise TypeError(
                    f"unexpected keyword argument {k!r}; allowed: "
                    f"{sorted('_' + d for d in DEFAULTS)}"
                )
            params[k[1:]] = v
        state, values = self.run(
            inputs=inputs,
            phase=phase,
            state=matrices,
            timesteps=time_steps,
            noise=noise,
            freeze=freeze,
            callbacks=[
                "ExcitatoryActivation",
                "InhibitoryActivation",
                "RecurrentActivation",
                "EEConnectionCounts",
            ],
            **params,
        )
        return (
            state,
            values["ExcitatoryActivation"],
            values["InhibitoryActivation"],
            values["RecurrentActivation"],
            values["EEConnectionCounts"],
        )


class _Simulator(_Runner):
    """``sorn.Simulator``: plasticity in every phase unless frozen; a progress bar (tqdm,
    if installed)."""

    def _progress(self) -> bool:
        return True

    def simulate_sorn(self, *args: Any, **kwargs: Any) -> tuple[dict[str, np.ndarray], list, list, list, list]:
        """The JOSS paper's ``Simulator.simulate_sorn`` (see :meth:`_Runner._legacy`)."""
        return self._legacy(*args, **kwargs)


class _Trainer(_Runner):
    """``sorn.Trainer``: plasticity only in the ``"plasticity"`` phase; no progress bar."""

    _trainer = True

    def train_sorn(self, *args: Any, **kwargs: Any) -> tuple[dict[str, np.ndarray], list, list, list, list]:
        """The JOSS paper's ``Trainer.train_sorn`` (see :meth:`_Runner._legacy`)."""
        return self._legacy(*args, **kwargs)


#: Module-level singletons, as in ``sorn``.
Simulator = _Simulator()
Trainer = _Trainer()

"""PyNN's standard cells, synapses and current sources on neuroplast's built-in models.

neuroplast's built-in models carry PyNN's names, parameters and units, so most translations
are the identity. Each cell type adds what the engine needs: ``engine_model`` (the built-in
model), ``engine_state`` (PyNN's recordable and initialisable variables → the model's state
variables), ``engine_scalar`` (parameters neuroplast takes per population, not per neuron),
``engine_fixed`` (engine settings), ``current_scale`` (nA → the model's current unit) and
``engine_receptor`` (PyNN's receptor type → the projection's receptor or synapse)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import StandardCurrentSource, build_translations, cells, electrodes, synapses

from . import simulator

_LIF = ("tau_m", "cm", "v_rest", "v_thresh", "v_reset", "tau_refrac", "i_offset", "tau_syn_E", "tau_syn_I")


def _identity(*names: str) -> dict[str, Any]:
    return build_translations(*[(n, n) for n in names])


class _EngineCell:
    engine_model = ""
    engine_state: dict[str, str] = {}
    state_scale: dict[str, float] = {}
    engine_scalar: tuple[str, ...] = ()
    engine_fixed: dict[str, Any] = {}
    current_scale = 1.0

    def engine_receptor(self, receptor_type: str) -> dict[str, Any]:
        if receptor_type not in ("excitatory", "inhibitory"):
            raise ValueError(
                f"{type(self).__name__} has receptor types 'excitatory' and 'inhibitory', got {receptor_type!r}"
            )
        return {"receptor": receptor_type}


_CURR = {"v": "v", "isyn_exc": "i_exc", "isyn_inh": "i_inh"}
_COND = {"v": "v", "gsyn_exc": "g_exc", "gsyn_inh": "g_inh"}


class IF_curr_exp(_EngineCell, cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    translations = _identity(*_LIF)
    engine_model = "IF_curr_exp"
    engine_state = _CURR


class IF_curr_alpha(_EngineCell, cells.IF_curr_alpha):
    __doc__ = cells.IF_curr_alpha.__doc__
    translations = _identity(*_LIF)
    engine_model = "IF_curr_alpha"
    engine_state = _CURR


class IF_cond_exp(_EngineCell, cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__
    translations = _identity(*_LIF, "e_rev_E", "e_rev_I")
    engine_model = "IF_cond_exp"
    engine_state = _COND


class IF_cond_alpha(_EngineCell, cells.IF_cond_alpha):
    __doc__ = cells.IF_cond_alpha.__doc__
    translations = _identity(*_LIF, "e_rev_E", "e_rev_I")
    engine_model = "IF_cond_alpha"
    engine_state = _COND


class EIF_cond_exp_isfa_ista(_EngineCell, cells.EIF_cond_exp_isfa_ista):
    __doc__ = cells.EIF_cond_exp_isfa_ista.__doc__
    translations = _identity(
        "cm", "tau_refrac", "v_spike", "v_reset", "v_rest", "tau_m", "i_offset", "a", "b",
        "delta_T", "tau_w", "v_thresh", "e_rev_E", "tau_syn_E", "e_rev_I", "tau_syn_I",
    )
    engine_model = "EIF_cond_exp_isfa_ista"
    engine_state = {**_COND, "w": "w"}


def _adex_alpha() -> dict[str, Any]:
    """The library's AdEx model (the built-in EIF_cond_exp_isfa_ista as equations) with alpha
    conductances: a spike of weight w adds w to ``x``, and g = e·x filtered once more gives
    PyNN's w·(t/τ)·e^(1 − t/τ)."""
    from ..builder import Model

    table = dict(Model.library("AdEx").table)
    table["description"] = "adaptive exponential integrate-and-fire with alpha conductances (PyNN EIF_cond_alpha_isfa_ista)"
    table["equations"] = table["equations"].replace(
        "dg_exc/dt = -g_exc/tau_syn_E : siemens\ndg_inh/dt = -g_inh/tau_syn_I : siemens\n",
        "dg_exc/dt = (2.718281828459045*x_exc - g_exc)/tau_syn_E : siemens\n"
        "dx_exc/dt = -x_exc/tau_syn_E : siemens\n"
        "dg_inh/dt = (2.718281828459045*x_inh - g_inh)/tau_syn_I : siemens\n"
        "dx_inh/dt = -x_inh/tau_syn_I : siemens\n",
    )
    assert "x_exc" in table["equations"], "the library's AdEx equations changed"
    return table


class EIF_cond_alpha_isfa_ista(_EngineCell, cells.EIF_cond_alpha_isfa_ista):
    __doc__ = cells.EIF_cond_alpha_isfa_ista.__doc__
    # an equation model: the library's AdEx in Brian2 syntax with alpha synapses; its `a` is
    # in the language's coherent unit µS, PyNN's in nS
    translations = build_translations(
        *[(n, n) for n in ("cm", "tau_refrac", "v_spike", "v_reset", "v_rest", "tau_m", "i_offset",
                           "b", "delta_T", "tau_w", "v_thresh", "e_rev_E", "tau_syn_E", "e_rev_I", "tau_syn_I")],
        ("a", "a", 0.001),
    )
    engine_model = "EIF_cond_alpha_isfa_ista"
    engine_state = {**_COND, "w": "w"}

    @property
    def engine_equations(self) -> dict[str, Any]:
        return _adex_alpha()

    def engine_receptor(self, receptor_type: str) -> dict[str, Any]:
        super().engine_receptor(receptor_type)
        return {"receptor": {"excitatory": "x_exc", "inhibitory": "x_inh"}[receptor_type]}


class HH_cond_exp(_EngineCell, cells.HH_cond_exp):
    __doc__ = cells.HH_cond_exp.__doc__
    translations = _identity(
        "gbar_Na", "gbar_K", "g_leak", "cm", "v_offset", "e_rev_Na", "e_rev_K", "e_rev_leak",
        "e_rev_E", "e_rev_I", "tau_syn_E", "tau_syn_I", "i_offset",
    )
    engine_model = "HH_cond_exp"
    engine_state = {**_COND, "m": "m", "h": "h", "n": "n"}


class Izhikevich(_EngineCell, cells.Izhikevich):
    __doc__ = cells.Izhikevich.__doc__
    # the 2003 model's current is in "model units": pA-sized numbers (NEST's I_e, Brian2's
    # i/pF), so 1 nA is 1000
    translations = build_translations(("a", "a"), ("b", "b"), ("c", "c"), ("d", "d"), ("i_offset", "i_offset", 1000.0))
    engine_model = "Izhikevich"
    engine_state = {"v": "v", "u": "u"}
    engine_fixed = {"integrator": "euler"}
    current_scale = 1000.0

    def engine_receptor(self, receptor_type: str) -> dict[str, Any]:
        super().engine_receptor(receptor_type)
        return {"synapse": {"kind": "voltage_jump"}}  # PyNN: the weight (mV) jumps v


class SpikeSourcePoisson(_EngineCell, cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = _identity("rate", "start", "duration")
    engine_model = "SpikeSourcePoisson"
    engine_scalar = ("start", "duration")


class SpikeSourceArray(_EngineCell, cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = _identity("spike_times")
    engine_model = "SpikeSourceArray"


# ---- synapses -------------------------------------------------------------------------------


def _one(values: dict[str, np.ndarray], name: str, synapse: str) -> float:
    a = np.asarray(values[name], dtype=float)
    if a.size and np.any(a != a[0]):
        raise ValueError(f"neuroplast.pynn: {synapse} takes one {name} per projection, got several")
    return float(a[0]) if a.size else 0.0


class _MinimumDelay:
    def _get_minimum_delay(self) -> float:
        return simulator.state.min_delay_ms


class StaticSynapse(_MinimumDelay, synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = _identity("weight", "delay")

    def engine_plasticity(self, values: dict[str, np.ndarray], celltype: Any) -> dict[str, Any] | None:
        return None


class TsodyksMarkramSynapse(_MinimumDelay, synapses.TsodyksMarkramSynapse):
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__
    translations = _identity("weight", "delay", "U", "tau_rec", "tau_facil")

    def engine_plasticity(self, values: dict[str, np.ndarray], celltype: Any) -> dict[str, Any]:
        rule = {"kind": "tsodyks_markram"}
        for name in ("U", "tau_rec", "tau_facil"):
            rule[name] = _one(values, name, "TsodyksMarkramSynapse")
        return rule


class STDPMechanism(_MinimumDelay, synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = _identity("weight", "delay", "dendritic_delay_fraction")

    def _build_translations(self) -> None:
        self.translations = dict(self.base_translations)  # PyNN's updates the class's dict
        for component in (self.timing_dependence, self.weight_dependence, self.voltage_dependence):
            if component:
                self.translations.update(component.translations)

    def engine_plasticity(self, values: dict[str, np.ndarray], celltype: Any) -> dict[str, Any]:
        if not isinstance(self.timing_dependence, SpikePairRule):
            raise NotImplementedError(
                f"neuroplast.pynn: STDP timing dependence {type(self.timing_dependence).__name__}; available: SpikePairRule"
            )
        kinds = {AdditiveWeightDependence: "additive", MultiplicativeWeightDependence: "multiplicative"}
        kind = kinds.get(type(self.weight_dependence))
        if kind is None:
            raise NotImplementedError(
                f"neuroplast.pynn: STDP weight dependence {type(self.weight_dependence).__name__}; "
                "available: AdditiveWeightDependence, MultiplicativeWeightDependence"
            )
        one = {n: _one(values, n, "STDPMechanism") for n in ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max")}
        # PyNN's amplitudes are fractions of w_max; depression's is positive
        return {
            "kind": "pair_stdp",
            "tau_plus": one["tau_plus"],
            "tau_minus": one["tau_minus"],
            "a_plus": one["A_plus"] * one["w_max"],
            "a_minus": -one["A_minus"] * one["w_max"],
            "w_min": one["w_min"],
            "w_max": one["w_max"],
            "weight_dependence": kind,
            "traces": "all_to_all",
        }


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = _identity("w_max", "w_min")


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = _identity("w_max", "w_min")


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = _identity("tau_plus", "tau_minus", "A_plus", "A_minus")


# ---- current sources ------------------------------------------------------------------------


class _CurrentSource(StandardCurrentSource):
    """A PyNN current source: one neuroplast source per population it is injected into."""

    _noisy = False  # a noise source, read from the engine while it runs when recorded

    def __init__(self, **parameters: Any) -> None:
        super().__init__(**parameters)
        object.__setattr__(self, "_native", {})
        object.__setattr__(self, "_targets", {})  # population → list of indices
        object.__setattr__(self, "_recording", False)
        ps = ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        ps.update(**parameters)
        self.set_native_parameters(self.translate(ps))
        simulator.state.current_sources.append(self)
        object.__setattr__(self, "_index", len(simulator.state.current_sources) - 1)

    def get_native_parameters(self) -> ParameterSpace:
        return ParameterSpace(dict(self._native))

    def set_native_parameters(self, parameters: ParameterSpace) -> None:
        parameters.evaluate(simplify=True)
        for name, value in parameters.items():
            self._native[name] = value.value if isinstance(value, Sequence) else value
        if getattr(self, "_targets", None):
            simulator.state.retune(self._retune_edit)

    def inject_into(self, cells: Any) -> None:
        state = simulator.state
        state.structure_changed("a current source injection")
        for cell in cells:
            if not cell.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
            pop = cell.parent
            self._targets.setdefault(pop, []).append(int(pop.id_to_index(cell)))

    def record(self) -> None:
        object.__setattr__(self, "_recording", True)

    def _start(self) -> None:
        """The engine is (re)built at t = 0."""

    def _engine_tables(self) -> dict[str, Any]:
        tables = {}
        for k, (pop, neurons) in enumerate(self._targets.items()):
            tables[f"s{self._index}_{k}"] = {
                "population": pop._engine_name,
                "neurons": sorted(set(neurons)),
                "waveform": self._waveform(pop.celltype.current_scale),
            }
        return tables

    def _retune_edit(self, spec: dict[str, Any]) -> None:
        for name, table in self._engine_tables().items():
            spec["sources"][name]["waveform"] = table["waveform"]

    def _get_data(self) -> tuple[np.ndarray, np.ndarray]:
        dt = simulator.state.dt
        t = np.arange(simulator.state.steps + 1) * dt
        return t, self._amplitude_at(t)

    def _amplitude_at(self, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"neuroplast.pynn cannot record a {type(self).__name__}")


def _seq(value: Any) -> Any:
    return value.value if isinstance(value, Sequence) else value


def _window(t: np.ndarray, start: float, stop: float) -> np.ndarray:
    dt = simulator.state.dt
    return (t >= start - dt / 2) & (t < stop - dt / 2)


class DCSource(_CurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = _identity("amplitude", "start", "stop")

    def _waveform(self, scale: float) -> dict[str, Any]:
        p = self._native
        return {"kind": "dc", "amplitude": float(p["amplitude"]) * scale, "start": float(p["start"]), "stop": float(p["stop"])}

    def _amplitude_at(self, t: np.ndarray) -> np.ndarray:
        p = self._native
        return np.where(_window(t, p["start"], p["stop"]), p["amplitude"], 0.0)


class StepCurrentSource(_CurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = _identity("amplitudes", "times")

    def set_native_parameters(self, parameters: ParameterSpace) -> None:
        """Times must be ≥ 0 and increasing; they go to the nearest step, and of several that
        land on one step the last amplitude stays (as PyNN's Brian2 and NEURON backends)."""
        parameters.evaluate(simplify=True)
        if "times" in parameters.keys():
            times = np.asarray(_seq(parameters["times"]), dtype=float)
            amplitudes = np.asarray(_seq(parameters["amplitudes"] if "amplitudes" in parameters.keys() else self._native["amplitudes"]), dtype=float)
            if np.any(times < 0):
                raise ValueError(f"StepCurrentSource: times must be ≥ 0, got {times.tolist()}")
            if np.any(np.diff(times) <= 0):
                raise ValueError(f"StepCurrentSource: times must increase, got {times.tolist()}")
            if times.size != amplitudes.size:
                raise ValueError(
                    f"StepCurrentSource: {times.size} times but {amplitudes.size} amplitudes"
                )
            dt = simulator.state.dt
            steps = np.round(times / dt).astype(np.int64)
            last = np.append(steps[1:] != steps[:-1], True)
            self._native["times"] = steps[last] * dt
            self._native["amplitudes"] = amplitudes[last]
        elif "amplitudes" in parameters.keys():
            self._native["amplitudes"] = np.asarray(_seq(parameters["amplitudes"]), dtype=float)
        if getattr(self, "_targets", None):
            simulator.state.retune(self._retune_edit)

    def _waveform(self, scale: float) -> dict[str, Any]:
        times = np.asarray(self._native["times"], dtype=float)
        amplitudes = np.asarray(self._native["amplitudes"], dtype=float) * scale
        if times.size == 0:
            return {"kind": "dc", "amplitude": 0.0}
        return {"kind": "step", "times": times.tolist(), "amplitudes": amplitudes.tolist()}

    def _amplitude_at(self, t: np.ndarray) -> np.ndarray:
        times = np.asarray(self._native["times"], dtype=float)
        amplitudes = np.asarray(self._native["amplitudes"], dtype=float)
        out = np.zeros_like(t)
        dt = simulator.state.dt
        for k, (t0, a) in enumerate(zip(times, amplitudes)):
            out[t >= t0 - dt / 2] = a
        return out


class ACSource(_CurrentSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    translations = _identity("amplitude", "start", "stop", "frequency", "offset", "phase")

    def _waveform(self, scale: float) -> dict[str, Any]:
        p = self._native
        return {
            "kind": "sine",
            "amplitude": float(p["amplitude"]) * scale,
            "offset": float(p["offset"]) * scale,
            "frequency": float(p["frequency"]),
            "phase": float(p["phase"]),
            "start": float(p["start"]),
            "stop": float(p["stop"]),
        }

    def _amplitude_at(self, t: np.ndarray) -> np.ndarray:
        p = self._native
        wave = p["offset"] + p["amplitude"] * np.sin(2 * np.pi * p["frequency"] * (t - p["start"]) / 1000.0 + np.deg2rad(p["phase"]))
        return np.where(_window(t, p["start"], p["stop"]), wave, 0.0)


class NoisyCurrentSource(_CurrentSource, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = _identity("mean", "start", "stop", "stdev", "dt")

    _noisy = True

    def _start(self) -> None:
        object.__setattr__(self, "_trace", [])

    def _steps(self) -> tuple[int, int, int]:
        """(start, stop, draw period) in steps."""
        p, dt = self._native, simulator.state.dt
        every = max(int(round((p.get("dt") or dt) / dt)), 1)
        return int(round(p["start"] / dt)), int(min(round(p["stop"] / dt), 2**62)), every

    def _cuts(self, a: int, b: int) -> list[int]:
        """Steps in (a, b) where the current changes: start, each draw, stop."""
        start, stop, every = self._steps()
        lo = max(a + 1, start)
        cuts = [stop] if a < stop < b else []
        if lo < b:
            k0 = -(-(lo - start) // every)
            cuts += (start + every * np.arange(k0, (b - 1 - start) // every + 1)).tolist()
        return cuts

    def _note(self, net: Any, a: int, b: int) -> None:
        """Steps a..b−1 ran within one draw: the first target's current then."""
        start, stop, _ = self._steps()
        name = next(iter(self._engine_tables()))
        value = float(net._core.noise_values(name)[0]) if start <= a < stop else 0.0
        self._trace.append(np.full(b - a, value / next(iter(self._targets)).celltype.current_scale))

    def _get_data(self) -> tuple[np.ndarray, np.ndarray]:
        steps = simulator.state.steps
        trace = np.concatenate(getattr(self, "_trace", []) or [np.zeros(0)])
        start, stop, _ = self._steps()
        last = trace[-1] if trace.size and start <= steps < stop else 0.0
        return np.arange(steps + 1) * simulator.state.dt, np.append(trace, last)

    def _waveform(self, scale: float) -> dict[str, Any]:
        p = self._native
        dt = p.get("dt") or simulator.state.dt
        return {
            "kind": "noise",
            "mean": float(p["mean"]) * scale,
            "stdev": float(p["stdev"]) * scale,
            "dt": float(dt),
            "start": float(p["start"]),
            "stop": float(p["stop"]),
        }

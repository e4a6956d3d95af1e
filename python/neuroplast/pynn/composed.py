"""PyNN's composed cells on neuroplast: ``PointNeuron(LIF(…) or AdExp(…), AMPA=AlphaPSR(…),
…)`` becomes an equation model written for that composition (Brian2 syntax, the language of
``docs/model-language.md``): the neuron's membrane equation with one synaptic term per named
receptor, each receptor's own variables and parameters suffixed with its name
(``tau_syn_AMPA``, ``g_AMPA``). PyNN's dotted names (``AMPA.tau_syn``, ``AMPA.gsyn``) map to
those."""

from __future__ import annotations

from typing import Any

import numpy as np

from pyNN.parameters import ParameterSpace
from pyNN.standardmodels import build_translations, cells, receptors

from .standardmodels import _EngineCell, _identity

_E = "2.718281828459045"


class LIF(cells.LIF):
    __doc__ = cells.LIF.__doc__
    translations = _identity("cm", "tau_refrac", "v_reset", "v_rest", "tau_m", "i_offset", "v_thresh")
    units_of = {"cm": "nF", "tau_refrac": "ms", "v_reset": "mV", "v_rest": "mV", "tau_m": "ms", "i_offset": "nA", "v_thresh": "mV"}
    state = {"v": "v"}

    def equations(self, synaptic: str) -> dict[str, str]:
        return {
            "equations": f"dv/dt = (v_rest - v)/tau_m + ({synaptic} + i_offset + I_ext)/cm : volt (unless refractory)\n",
            "threshold": "v >= v_thresh",
            "reset": "v = v_reset\n",
        }


class AdExp(cells.AdExp):
    __doc__ = cells.AdExp.__doc__
    # `a` in the language's coherent µS, PyNN's in nS
    translations = build_translations(
        *[(n, n) for n in ("cm", "tau_refrac", "v_spike", "v_reset", "v_rest", "tau_m", "i_offset",
                           "b", "delta_T", "tau_w", "v_thresh")],
        ("a", "a", 0.001),
    )
    units_of = {"cm": "nF", "tau_refrac": "ms", "v_spike": "mV", "v_reset": "mV", "v_rest": "mV", "tau_m": "ms",
                "i_offset": "nA", "a": "uS", "b": "nA", "delta_T": "mV", "tau_w": "ms", "v_thresh": "mV"}
    state = {"v": "v", "w": "w"}

    def equations(self, synaptic: str) -> dict[str, str]:
        return {
            "equations": (
                "dv/dt = (cm/tau_m*(v_rest - v) + cm/tau_m*delta_T*exp((min(v, v_spike) - v_thresh)/delta_T)"
                f" - w + {synaptic} + i_offset + I_ext)/cm : volt (unless refractory)\n"
                "dw/dt = (a*(v - v_rest) - w)/tau_w : amp\n"
            ),
            "threshold": "v >= v_spike",
            "reset": "v = v_reset\nw += b\n",
        }


class _PSR:
    """A named receptor's parameters (``tau_syn``, ``e_syn``) and variables."""

    translations = _identity("tau_syn", "e_syn", "locations")

    def variables(self, label: str) -> tuple[str, str, str]:
        """(equations, the receptor variable a weight is added to, the synaptic current term)."""
        raise NotImplementedError


class CurrExpPostSynapticResponse(_PSR, receptors.CurrExpPostSynapticResponse):
    __doc__ = receptors.CurrExpPostSynapticResponse.__doc__
    translations = _identity("tau_syn", "locations")
    state = {"isyn": "i"}
    recordable = ["isyn"]

    def variables(self, label: str) -> tuple[str, str, str]:
        return f"di_{label}/dt = -i_{label}/tau_syn_{label} : amp\n", f"i_{label}", f"i_{label}"


class CondExpPostSynapticResponse(_PSR, receptors.CondExpPostSynapticResponse):
    __doc__ = receptors.CondExpPostSynapticResponse.__doc__
    state = {"gsyn": "g"}
    recordable = ["gsyn"]

    def variables(self, label: str) -> tuple[str, str, str]:
        return (f"dg_{label}/dt = -g_{label}/tau_syn_{label} : siemens\n", f"g_{label}",
                f"g_{label}*(e_syn_{label} - v)")


class CondAlphaPostSynapticResponse(_PSR, receptors.CondAlphaPostSynapticResponse):
    __doc__ = receptors.CondAlphaPostSynapticResponse.__doc__
    state = {"gsyn": "g"}
    recordable = ["gsyn"]

    def variables(self, label: str) -> tuple[str, str, str]:
        return (
            f"dg_{label}/dt = ({_E}*x_{label} - g_{label})/tau_syn_{label} : siemens\n"
            f"dx_{label}/dt = -x_{label}/tau_syn_{label} : siemens\n",
            f"x_{label}",
            f"g_{label}*(e_syn_{label} - v)",
        )


AlphaPSR = CondAlphaPostSynapticResponse


class PointNeuron(_EngineCell, cells.PointNeuron):
    """PyNN's composed point neuron (``LIF`` or ``AdExp`` with named receptors)."""

    def __init__(self, neuron: Any, **post_synaptic_receptors: Any) -> None:
        if not isinstance(neuron, (LIF, AdExp)):
            raise NotImplementedError(
                f"neuroplast.pynn composes LIF and AdExp neurons, not {type(neuron).__name__}"
            )
        for label, psr in post_synaptic_receptors.items():
            if not isinstance(psr, _PSR):
                raise NotImplementedError(
                    f"neuroplast.pynn: receptor {label}: {type(psr).__name__}; available: "
                    "CurrExpPostSynapticResponse, CondExpPostSynapticResponse, CondAlphaPostSynapticResponse"
                )
            if not label.isidentifier():
                raise ValueError(f"receptor names must be identifiers, got {label!r}")
        super().__init__(neuron, **post_synaptic_receptors)
        psrs = self.post_synaptic_receptors
        self.translations = dict(neuron.translations)
        self.engine_model = "pynn_" + type(neuron).__name__ + "".join(
            f"_{label}_{type(psrs[label]).__name__}" for label in self.receptor_types
        )
        self.engine_state = dict(neuron.state)
        for label, psr in psrs.items():
            for name, var in psr.state.items():
                self.engine_state[f"{label}.{name}"] = f"{var}_{label}"

    # ---- names: PyNN's `AMPA.tau_syn` is the engine's `tau_syn_AMPA` ---------------------

    def _native_name(self, name: str) -> str:
        if "." in name:
            label, param = name.split(".", 1)
            return f"{param}_{label}"
        return self.neuron.translations[name]["translated_name"]

    def get_native_names(self, *names: str, **kwargs: Any) -> list[str]:
        if not names:
            names = tuple(self.neuron.translations) + tuple(
                f"{label}.{p}" for label, psr in self.post_synaptic_receptors.items()
                for p in psr.translations if p != "locations"
            )
        return [self._native_name(n) for n in names]

    @property
    def native_parameters(self) -> ParameterSpace:
        values = dict(self.neuron.native_parameters.items())
        for label, psr in self.post_synaptic_receptors.items():
            for name, value in psr.parameter_space.items():
                if name != "locations":
                    values[f"{name}_{label}"] = value
        return ParameterSpace(values)

    def translate(self, parameters: ParameterSpace, copy: bool = True) -> ParameterSpace:
        parameters.flatten(with_prefix=True)
        neuron = ParameterSpace({k: v for k, v in parameters.items() if "." not in k}, shape=parameters.shape)
        out = dict(self.neuron.translate(neuron).items()) if neuron.keys() else {}
        for name, value in parameters.items():
            if "." in name and not name.endswith(".locations"):
                out[self._native_name(name)] = value
        return ParameterSpace(out, shape=parameters.shape)

    def reverse_translate(self, native_parameters: ParameterSpace) -> ParameterSpace:
        neuron_names = {d["translated_name"] for d in self.neuron.translations.values()}
        neuron = ParameterSpace({k: v for k, v in native_parameters.items() if k in neuron_names},
                                shape=native_parameters.shape)
        out = dict(self.neuron.reverse_translate(neuron).items()) if neuron.keys() else {}
        for label in self.post_synaptic_receptors:
            for name, value in native_parameters.items():
                if name.endswith(f"_{label}"):
                    out[f"{label}.{name[: -len(label) - 1]}"] = value
        return ParameterSpace(out, shape=native_parameters.shape)

    def computed_parameters(self) -> list[str]:
        return []

    def computed_parameters_include(self, parameter_names: Any) -> bool:
        return False

    # ---- the engine -----------------------------------------------------------------------

    @property
    def engine_equations(self) -> dict[str, Any]:
        psrs = self.post_synaptic_receptors
        parts = [psrs[label].variables(label) for label in self.receptor_types]
        synaptic = " + ".join(term for _, _, term in parts) or "0*nA"
        table = {"syntax": "brian2", "description": f"PyNN PointNeuron {self.engine_model}"}
        table.update(self.neuron.equations(synaptic))
        table["equations"] += "".join(eq for eq, _, _ in parts)
        units = dict(self.neuron.units_of)
        for label, psr in psrs.items():
            units[f"tau_syn_{label}"] = "ms"
            if "e_syn" in psr.translations:
                units[f"e_syn_{label}"] = "mV"
        defaults = self.native_parameters  # the population's values override these
        defaults.shape = (1,)
        defaults.evaluate(simplify=True)
        table["parameters"] = "".join(
            f"{name} = {float(np.ravel(defaults[name])[0])}*{unit}\n" for name, unit in units.items()
        )
        table["refractory"] = "tau_refrac"
        table["refractory_rule"] = "nest"
        table["method"] = "euler"
        return table

    def engine_receptor(self, receptor_type: str) -> dict[str, Any]:
        psrs = self.post_synaptic_receptors
        if receptor_type not in psrs:
            raise ValueError(f"this PointNeuron's receptor types are {self.receptor_types}, got {receptor_type!r}")
        return {"receptor": psrs[receptor_type].variables(receptor_type)[1]}

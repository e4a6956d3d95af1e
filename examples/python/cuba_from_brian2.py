"""Brian2's CUBA example (Brette et al. 2007, benchmark 2), ported line by line to neuroplast.

The Brian2 original (brian2/examples/CUBA.py) is quoted above each line. The model string runs
as written (neuroplast's model language, no compiler); Brian2's one NeuronGroup P with the
subgroups Pe = P[:3200] and Pi = P[3200:] becomes two populations of the same model.
docs/python.md walks through it.

    .venv/bin/python examples/python/cuba_from_brian2.py

It builds the same network as examples/cuba_equations.toml and prints the same spike hash
(python/tests/test_builder.py checks it).
"""

import neuroplast as npl


def build(seed: int = 7) -> npl.Network:
    # taum = 20*ms; taue = 5*ms; taui = 10*ms; Vt = -50*mV; Vr = -60*mV; El = -49*mV
    # eqs = '''
    # dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    # dge/dt = -ge/taue : volt
    # dgi/dt = -gi/taui : volt
    # '''
    cuba = npl.Model(
        "CUBA",
        syntax="brian2",
        parameters="taum = 20*ms\ntaue = 5*ms\ntaui = 10*ms\nVt = -50*mV\nVr = -60*mV\nEl = -49*mV",
        equations="""
dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt
""",
        # P = NeuronGroup(4000, eqs, threshold='v>Vt', reset='v = Vr', refractory=5*ms,
        #                 method='exact')
        threshold="v>Vt",
        reset="v = Vr",
        refractory="5*ms",
        method="exact",
        # P.v = 'Vr + rand() * (Vt - Vr)'
        init="v = Vr + rand() * (Vt - Vr)",
        description="Brian2 CUBA neuron: current-based LIF, exact integration",
    )
    # defaultclock.dt = 0.1*ms (Brian2's default); seed(7)
    net = npl.Network(dt=0.1, seed=seed, duration_ms=1000.0)
    # Pe = P[:3200]; Pi = P[3200:]
    pe = net.population("exc", 3200, cuba)
    pi = net.population("inh", 800, cuba)
    # we = (60*0.27/10)*mV; wi = (-20*4.5/10)*mV
    we, wi = 60 * 0.27 / 10, -20 * 4.5 / 10
    # Ce = Synapses(Pe, P, on_pre='ge += we'); Ce.connect(p=0.02)
    # Ci = Synapses(Pi, P, on_pre='gi += wi'); Ci.connect(p=0.02)
    # (Brian2 applies on_pre in the step after the spike: delay = dt)
    p02 = npl.fixed_probability(0.02)
    net.connect(pe, pe, p02, weight=we, delay=0.1, receptor="ge")
    net.connect(pe, pi, p02, weight=we, delay=0.1, receptor="ge")
    net.connect(pi, pe, p02, weight=wi, delay=0.1, receptor="gi")
    net.connect(pi, pi, p02, weight=wi, delay=0.1, receptor="gi")
    # s_mon = SpikeMonitor(P)
    net.record(pe, spikes=True)
    net.record(pi, spikes=True)
    return net


if __name__ == "__main__":
    net = build()
    # run(1 * second)
    rec = net.run(duration_ms=1000.0)
    n = sum(len(rec["spikes"][p][0]) for p in ("exc", "inh"))
    print(f"{n} spikes, {n / 4000:.2f} Hz per neuron, spike hash {net.spike_hash}")

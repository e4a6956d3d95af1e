"""CartPole-v1 balanced by a linear readout of a SORN reservoir.

The four observations (cart position and velocity, pole angle and angular velocity) are
each cut into ``BINS`` intervals; every interval owns a pool of ``POOL`` excitatory units
that get a strong input while the observation is in it (population coding into input pools,
as the SORN's symbol inputs). The reservoir (``lazar2009`` preset, N_E = 400) first runs
``PLASTIC`` steps with STDP, IP and SN on while a random policy plays, then all plasticity is
frozen. The policy is a linear readout of the reservoir state after each observation:
push right iff w·x(t) + b > 0. The readout weights are trained by the cross-entropy method
(CEM): sample a population of weight vectors from a Gaussian, score each by its mean return
over a few episodes, keep the best fifth, refit the Gaussian (plus a little extra spread),
repeat until the whole population balances the pole. The trained readout is then evaluated on 100 new
episodes.

    pip install gymnasium            # the real CartPole-v1, not a re-implementation
    python examples/python/cartpole_sorn.py --seed 1

Prints the training curve, the evaluation mean return and the wall times.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

from neuroplast.sorn import Sorn

NE = 400
BINS = 10
POOL = 8
GAIN = 2.0
# Observation ranges covered by the bins (values outside fall into the end bins).
LOW = np.array([-2.4, -3.0, -0.21, -3.5])
HIGH = -LOW
PLASTIC = 20_000


def encode(obs: np.ndarray) -> np.ndarray:
    """One row of input: GAIN on the pool of each observation's bin, 0 elsewhere."""
    u = np.zeros((1, 4 * BINS * POOL))
    b = np.clip(((obs - LOW) / (HIGH - LOW) * BINS).astype(int), 0, BINS - 1)
    for k in range(4):
        start = (k * BINS + b[k]) * POOL
        u[0, start : start + POOL] = GAIN
    return u


def episode(net: Sorn, env: gym.Env, w: np.ndarray, seed: int | None, max_steps: int = 500) -> float:
    """Return of one episode with readout weights w (last entry: bias)."""
    obs, _ = env.reset(seed=seed)
    total = 0.0
    for _ in range(max_steps):
        x = net.run(1, inputs=encode(obs), record=["spikes:1"])["spikes_e"]["neuron"]
        action = int(w[x].sum() + w[-1] > 0)
        obs, r, terminated, truncated, _ = env.step(action)
        total += r
        if terminated or truncated:
            break
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=60)
    ap.add_argument("--episodes", type=int, default=3, help="episodes per candidate")
    ap.add_argument("--population", type=int, default=40)
    ap.add_argument("--elite", type=float, default=0.2)
    ap.add_argument("--eval-episodes", type=int, default=100)
    ap.add_argument(
        "--readout",
        choices=["all", "recurrent"],
        default="all",
        help="'recurrent': the readout sees only the units that get no input (an ablation)",
    )
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    env = gym.make("CartPole-v1")

    t0 = time.perf_counter()
    net = Sorn(preset="lazar2009", ne=NE, seed=args.seed)
    # Plastic phase: the reservoir adapts to observation sequences of a random policy.
    obs, _ = env.reset(seed=args.seed)
    for _ in range(PLASTIC):
        net.run(1, inputs=encode(obs), record=())
        obs, _, term, trunc, _ = env.step(int(rng.integers(2)))
        if term or trunc:
            obs, _ = env.reset()
    net.freeze("stdp", "ip", "sn")
    t_plastic = time.perf_counter() - t0

    # CEM on the readout (NE weights + bias).
    mean = np.zeros(NE + 1)
    std = np.ones(NE + 1)
    if args.readout == "recurrent":
        std[: 4 * BINS * POOL] = 0.0  # input-pool units keep weight 0
    n_elite = max(2, int(args.population * args.elite))
    t1 = time.perf_counter()
    for it in range(args.iterations):
        ws = mean + std * rng.standard_normal((args.population, NE + 1))
        returns = np.array(
            [
                np.mean([episode(net, env, w, seed=int(rng.integers(2**31))) for _ in range(args.episodes)])
                for w in ws
            ]
        )
        elite = ws[np.argsort(returns)[-n_elite:]]
        mean, std = elite.mean(axis=0), elite.std(axis=0) + 0.02
        if args.readout == "recurrent":
            std[: 4 * BINS * POOL] = 0.0
        print(f"iteration {it + 1:2d}: mean return {returns.mean():6.1f}, best {returns.max():5.0f}", flush=True)
        # Stop once the whole population balances the pole: the mean is then robust.
        if returns.mean() >= 490:
            break
    t_train = time.perf_counter() - t1

    t2 = time.perf_counter()
    evals = [episode(net, env, mean, seed=10_000 + k) for k in range(args.eval_episodes)]
    t_eval = time.perf_counter() - t2
    print(
        f"seed {args.seed}: evaluation mean return {np.mean(evals):.1f} over {len(evals)} episodes "
        f"(min {np.min(evals):.0f}); plastic phase {t_plastic:.1f} s, CEM {t_train:.1f} s, "
        f"evaluation {t_eval:.1f} s"
    )


if __name__ == "__main__":
    main()

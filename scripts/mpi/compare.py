"""Compare two results directories of the same run: every file byte for byte, except
summary.json, whose entries must be equal apart from what describes how the run went (times,
memory, ranks, threads, where it was resumed from), and config.toml, which may differ in
`simulation.threads`.

    python3 scripts/mpi/compare.py ONE OTHER [--continued]

`--continued`: OTHER was resumed from a checkpoint, so its per-run counts differ too.
"""

import json
import sys
from pathlib import Path

HOW = {
    "build_seconds", "wall_seconds", "us_per_step", "steps_per_second", "realtime_factor",
    "peak_rss_mb", "analysis_seconds", "network_mb", "ranks", "exchange", "threads",
}
CONTINUED = {"steps_this_run", "first_step_this_run", "resumed_from", "synaptic_events_this_run"}


def strip(summary, continued):
    drop = HOW | (CONTINUED if continued else set())
    out = {k: v for k, v in summary.items() if k not in drop}
    if continued:
        for pop in out.get("populations", {}).values():
            pop.pop("spikes_this_run", None)
    return out


def config(path):
    """config.toml's lines without the thread count (results never depend on it) and the
    note of which file it was resolved from (a resumed run's is the first run's config.toml)."""
    skip = ("threads = ", "# Fully resolved by ")
    return [l for l in path.read_text().splitlines() if not l.startswith(skip)]


def main():
    one, other = Path(sys.argv[1]), Path(sys.argv[2])
    continued = "--continued" in sys.argv
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(other) for p in other.rglob("*") if p.is_file())
    problems = []
    if files != theirs:
        problems.append(f"different files: {sorted(set(files) ^ set(theirs))}")
    for f in files:
        if not (other / f).is_file():
            continue
        if f.name == "summary.json":
            a = strip(json.loads((one / f).read_text()), False)
            b = strip(json.loads((other / f).read_text()), continued)
            if continued:
                a = strip(a, True)
            if a != b:
                keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
                problems.append(f"{f}: entries differ: {keys}")
        elif f.name == "config.toml":
            if config(one / f) != config(other / f):
                problems.append(f"{f}: differs (besides simulation.threads)")
        elif (one / f).read_bytes() != (other / f).read_bytes():
            problems.append(f"{f}: bytes differ")
    if problems:
        print(f"{one} and {other} differ:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print(f"{other} equals {one} ({len(files)} files)")


if __name__ == "__main__":
    main()

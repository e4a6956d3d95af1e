#!/usr/bin/env bash
# The one command that checks everything: formatting, lints, docs, every test.
# CI runs exactly this (through .ci/run); run it locally before pushing.
set -euo pipefail
cd "$(dirname "$0")/.."

# A clean CI build compiles everything once: incremental caches would only take disk.
if [ "${CI:-}" = true ]; then
    export CARGO_INCREMENTAL=0
fi

# each step's header says how long the run has taken so far (CI's budget is 30 minutes)
step() { printf '\n== %s   [%d s]\n' "$*" "$SECONDS"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

step "ARCHITECTURE.md names only paths that exist"
missing=0
for p in $(grep -oE '`(crates|examples|docs|scripts)/[A-Za-z0-9_./-]+`' ARCHITECTURE.md | tr -d '`' | sort -u); do
    if [ ! -e "$p" ]; then echo "ARCHITECTURE.md names $p, which does not exist"; missing=1; fi
done
[ "$missing" = 0 ]

step "cargo test"
cargo test --workspace --locked

step "Python package: venv (.venv), maturin build, pytest"
# Everything Python needs is installed here, into the git-ignored .venv: nothing by hand.
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.7,<2" "numpy>=1.21" "pytest>=7" "matplotlib>=3.5" "neo>=0.13" "tqdm>=4" \
    "dask[distributed]>=2024.1" "elephant>=1.0" "PyNN==0.13.0" "ray>=2.9"
# The dev profile (the engine at opt-level 2, as `cargo test` builds it): the engine compiled
# by `cargo test` is reused (crates/neuroplast-workspace-hack aligns the builds' dependency
# features). `pip install .` builds release.
.venv/bin/maturin develop --locked --quiet
# The CLI parity test uses the binary `cargo test` just built.
NEUROPLAST_BIN="$PWD/target/debug/neuroplast" .venv/bin/python -m pytest python/tests -q

step "PyNN's own scenario tests on neuroplast.pynn (PyNN 0.13.0 sources from PyPI)"
python/pynn_scenarios/run.sh

step "One network over MPI ranks (Open MPI from apt; mpirun -np 2 and 3)"
scripts/mpi_check.sh

step "all checks passed"

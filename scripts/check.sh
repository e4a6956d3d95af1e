#!/usr/bin/env bash
# The one command that checks everything: formatting, lints, docs, every test.
# CI runs exactly this (through .ci/run); run it locally before pushing.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

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

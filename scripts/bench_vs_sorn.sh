#!/usr/bin/env bash
# neuroplast vs the PyPI `sorn` 0.7.4 package, measured in one session on this machine.
#
#   bash scripts/bench_vs_sorn.sh [SIZES...]        (default sizes: 200 1000 5000)
#
# For each N_E it runs `neuroplast bench sorn` (preset sorn-package: the package's network,
# all five rules, noise on) and `shared/bench/peers/sorn_bench.py` (the package itself, all
# rules, noise, one Simulator.run call), then prints µs/step, the speed ratio and peak RSS.
# neuroplast at N_E = 200 is also measured with delpapa2017 (lab-code semantics).
# The package is installed into .peers/venv_sorn (git-ignored) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${*:-200 1000 5000}
PEERS=${PEERS:-../shared/bench/peers}
VENV=.peers/venv_sorn
if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p .peers
    python3 -m venv "$VENV"
    # sorn 0.7.4 does not import without tqdm and with matplotlib >= 3.10 (shared/reference/sorn.md §7.3)
    "$VENV/bin/pip" install -q sorn==0.7.4 tqdm "matplotlib<3.10" numpy
fi
cargo build --release -q -p neuroplast-cli
NP=target/release/neuroplast
export OPENBLAS_NUM_THREADS=1
printf '%-6s %-14s %14s %14s %10s %12s %12s\n' N_E preset "neuroplast µs" "sorn µs" speedup "np RSS MB" "sorn RSS MB"
for ne in $SIZES; do
    np=$($NP bench sorn --ne "$ne" --preset sorn-package --repeats 5 --json)
    sorn=$("$VENV/bin/python" "$PEERS/sorn_bench.py" "$ne" 30 2000 2>/dev/null | sed -n 's/^RESULT //p')
    python3 - "$ne" "$np" "$sorn" <<'PY'
import json, sys
ne, np_, s = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
us_np, us_s = np_["us_per_step"], 1e3 * s["plastic_step_ms"]
print(f"{ne:<6} {'sorn-package':<14} {us_np:14.2f} {us_s:14.1f} {us_s/us_np:9.0f}x "
      f"{np_['peak_rss_mb']:12.1f} {s['rss_after_plastic_mb']:12.1f}")
PY
done
$NP bench sorn --ne 200 --preset delpapa2017 --repeats 5

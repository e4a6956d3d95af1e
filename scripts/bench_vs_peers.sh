#!/usr/bin/env bash
# neuroplast vs Brian2 (cpp_standalone, the fastest CPU peer) on the standard spiking
# benchmarks, measured side by side in one session on this machine (shared/bench/peers).
#
#   bash scripts/bench_vs_peers.sh [ROUNDS] [BENCHMARKS...]
#       ROUNDS      interleaved rounds (neuroplast, Brian2, neuroplast, Brian2, …); default 2
#       BENCHMARKS  any of coba cuba izh03 izh06 coba40k stdp00; default all six (stdp00 runs 100 s)
#
# neuroplast: `neuroplast bench MODEL --seconds 10 --json` (median of 3 fresh runs, CPU time
# of the simulation loop, 1 thread). Brian2: `brian2_bench.py --target cpp_standalone
# --threads 1 --T 10` (its own CPU timer of the main loop; `prep_s` = code generation and
# C++ compile, which neuroplast does not have). The table shows medians over rounds and
# the ratio neuroplast / Brian2 of `sim_s`; all JSON lines go to .peers/results.jsonl, so
# `python3 shared/bench/peers/summarize.py .peers/results.jsonl` lists everything.
# Brian2 2.9.0 is installed into .peers/venv_brian2 (git-ignored) on first use (needs g++).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
shift || true
MODELS=${*:-coba cuba izh03 izh06 coba40k stdp00}
PEERS=${PEERS:-../shared/bench/peers}
VENV=.peers/venv_brian2
mkdir -p .peers
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    # Brian2 2.9.0 fails at import with numpy 2.4 (shared/bench/peers/README.md)
    "$VENV/bin/pip" install -q brian2==2.9.0 "numpy<2.4" cython
fi
cargo build --release -q -p neuroplast-cli
NP=target/release/neuroplast
OUT=.peers/results.jsonl
export WORKDIR=.peers
for model in $MODELS; do
    case $model in
        coba40k) m=coba; n=(--n 40000); bn=(--N 40000); secs=10 ;;
        stdp00) m=stdp00; n=(); bn=(); secs=100 ;;
        *) m=$model; n=(); bn=(); secs=10 ;;
    esac
    for ((r = 0; r < ROUNDS; r++)); do
        $NP bench "$m" "${n[@]}" --seconds "$secs" --json | sed -n 's/^RESULT //p' | tee -a "$OUT" > .peers/last_np.json
        "$VENV/bin/python" "$PEERS/brian2_bench.py" --model "$m" "${bn[@]}" --target cpp_standalone --threads 1 --T "$secs" 2>>.peers/brian2.log \
            | sed -n 's/^RESULT //p' | tee -a "$OUT" > .peers/last_brian.json
        python3 - "$model" .peers/last_np.json .peers/last_brian.json <<'PY'
import json, sys
name, a, b = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
print(f"{name:8s} neuroplast {a['sim_s']:.3f} s ({a['rate_hz']:.2f} Hz, load {a['loadavg_start']:.1f})  "
      f"brian2 {b['sim_s']:.3f} s ({b['rate_hz']:.2f} Hz, compile {b['prep_s']:.1f} s)  "
      f"ratio {a['sim_s'] / b['sim_s']:.2f}", flush=True)
PY
    done
done

#!/usr/bin/env bash
# PyNN's VAbenchmarks (COBA) on neuroplast.pynn beside `neuroplast bench coba` (three rounds,
# interleaved), then on PyNN's Brian2 backend once, then both ours again (docs/pynn.md).
# Needs: target/release/neuroplast, the .venv of scripts/check.sh, run.sh run once (PyNN's
# sources), and for Brian2 a venv: python3 -m venv .peers/venv_pynn_brian2 &&
#   .peers/venv_pynn_brian2/bin/pip install brian2==2.9.0 "numpy<2.4" cython PyNN==0.13.0
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
cd "$scratch"
ours() { "$repo/.venv/bin/python" "$repo/python/pynn_scenarios/vabenchmarks.py" neuroplast COBA 2>&1 | grep -E "rate|time|engine"; }
bench() { "$repo/target/release/neuroplast" bench coba --seconds 1 2>&1 | tail -1; }
uptime
for r in 1 2 3; do
    echo "== bench coba $r"; bench
    echo "== neuroplast.pynn $r"; ours
done
if [ -x "$repo/.peers/venv_pynn_brian2/bin/python" ]; then
    echo "== PyNN on brian2"
    "$repo/.peers/venv_pynn_brian2/bin/python" - "$repo" <<'PY' 2>&1 | grep -E "rate|time"
import glob, runpy, sys
ex = glob.glob(sys.argv[1] + "/target/pynn/[Pp]y[Nn][Nn]-0.13.0/examples/VAbenchmarks.py")[0]
sys.argv = [ex, "brian2", "COBA"]
runpy.run_path(ex, run_name="__main__")
PY
fi
echo "== neuroplast.pynn 4"; ours
echo "== bench coba 4"; bench
uptime
rm -rf "$scratch"

#!/usr/bin/env bash
# COBA (examples/coba.toml) with 40 000 neurons for 10 s of biological time, connection
# probability P (default 0.02 as in the file: in-degree 800, 32 M synapses; P=0.002 keeps the
# 4k network's in-degree of 80), without figures and checkpoint (rank 0 assembles the whole
# network to write checkpoint.bin, see docs/cluster.md): 1 process × 1 thread, 1 process × 2
# threads and 2 ranks × 1 thread,
# interleaved, REPEATS times each. Prints per run: wall time of the simulation, build time,
# peak RSS of every rank (GNU time), spikes exchanged per interval and bytes sent per rank per
# second of biological time. Needs the CLI built with `--features mpi` (release):
#   cargo build --release -p neuroplast-cli --features mpi && scripts/mpi/coba40k.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="$PWD/target/release/neuroplast"
REPEATS=${REPEATS:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
P=${P:-0.02}
args=(examples/coba.toml -q --force --set simulation.duration_ms=10000
    --set populations.exc.n=32000 --set populations.inh.n=8000
    --set output.plots=false --set output.checkpoint=false)
for p in exc_exc exc_inh inh_exc inh_inh; do
    args+=(--set "projections.$p.connector.p=$P")
done
report() {
    python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
label, out, rss = sys.argv[1], sys.argv[2], sys.argv[3]
s = json.load(open(f"{out}/summary.json"))
rss = [int(x) / 1024 for x in open(rss).read().split()]
x = s.get("exchange")
per = ""
if x:
    bio_s = s["duration_ms"] / 1000
    per = (f" · {x['spikes'] / x['exchanges']:.1f} spikes per exchange (every "
           f"{x['interval_steps']} step(s)) · {x['bytes_sent'] / bio_s / 1024:.0f} KiB sent by rank 0 "
           f"per biological second")
print(f"{label:<16} sim {s['wall_seconds']:.2f} s · build {s['build_seconds']:.2f} s · "
      f"peak RSS per rank {', '.join(f'{r:.0f}' for r in rss)} MiB · hash {s['spike_hash']}{per}")
EOF
}
for k in $(seq "$REPEATS"); do
    /usr/bin/time -f "%M" -o "$OUT/rss" "$BIN" run "${args[@]}" --out "$OUT/a" --threads 1
    report "1 × 1 thread" "$OUT/a" "$OUT/rss"
    /usr/bin/time -f "%M" -o "$OUT/rss" "$BIN" run "${args[@]}" --out "$OUT/b" --threads 2
    report "1 × 2 threads" "$OUT/b" "$OUT/rss"
    rm -f "$OUT"/rss.*
    # shellcheck disable=SC2016 # expanded by each rank's shell
    mpirun -np 2 --bind-to none sh -c \
        '/usr/bin/time -f "%M" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$OUT/rss" \
        "$BIN" run "${args[@]}" --out "$OUT/c" --threads 1
    cat "$OUT"/rss.* >"$OUT/rss"
    report "2 ranks × 1" "$OUT/c" "$OUT/rss"
done

#!/usr/bin/env bash
# One network over MPI ranks (docs/cluster.md), checked end to end with the system's Open MPI:
#  1. COBA 4k (1 s), izh06 with STDP (3000 neurons, 2 s) and a network with delays of 1–20 ms
#     on 2 and 3 ranks (oversubscribed), 1 and 2 threads: the results directory equals the
#     one-process run's (every file byte for byte; summary.json's figures);
#  2. a checkpoint written on 2 ranks resumes on 1 and on 3 ranks as the uninterrupted run;
#  3. a rank killed mid-run: the job exits non-zero within seconds, the launcher names the
#     rank, no results directory (nor a staged one) is left;
#  3b. SIGUSR1 to mpirun stops the run like Ctrl-C: results and checkpoint written, status 130;
#  4. a file that is not distributed (a SORN experiment) is refused, naming `kind`.
# Installs libopenmpi-dev, openmpi-bin and libclang-dev with apt where missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in libopenmpi-dev openmpi-bin libclang-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
    echo "installing ${need[*]} with apt"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}"
fi

cargo clippy -p neuroplast-cli --all-targets --features mpi --locked --quiet -- -D warnings
cargo build -p neuroplast-cli --features mpi --locked --quiet
BIN="$PWD/target/debug/neuroplast"
# root inside containers (CI): Open MPI refuses root unless told
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(mpirun --oversubscribe --bind-to none)
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
compare() { python3 scripts/mpi/compare.py "$@"; }

# --- 1. K ranks × T threads = one process
run_case() {
    local name=$1 file=$2
    shift 2
    "$BIN" run "$file" --out "$OUT/$name-1" -q --force "$@"
    for np in 2 3; do
        for threads in 1 2; do
            "${MPIRUN[@]}" -np "$np" "$BIN" run "$file" --out "$OUT/$name-$np-$threads" -q \
                --threads "$threads" "$@"
            compare "$OUT/$name-1" "$OUT/$name-$np-$threads"
        done
    done
}
run_case coba examples/coba.toml --set output.checkpoint=true
izh=(--set populations.exc.n=2400 --set populations.inh.n=600 --set simulation.duration_ms=2000)
run_case izh06 examples/izhikevich2006.toml "${izh[@]}" --set output.checkpoint=true
run_case delays scripts/mpi/delays.toml --set output.checkpoint=true

# --- 2. checkpoint on 2 ranks, resume on 1 and on 3
resume_case() {
    local name=$1 file=$2 first=$3 more=$4
    shift 4
    "$BIN" run "$file" --out "$OUT/$name-whole" -q --steps $((first + more)) \
        --set output.checkpoint=true "$@"
    "${MPIRUN[@]}" -np 2 "$BIN" run "$file" --out "$OUT/$name-first" -q --steps "$first" \
        --set output.checkpoint=true "$@"
    "$BIN" resume "$OUT/$name-first" --steps "$more" --out "$OUT/$name-on1" -q
    "${MPIRUN[@]}" -np 3 "$BIN" resume "$OUT/$name-first" --steps "$more" --out "$OUT/$name-on3" -q
    compare "$OUT/$name-whole" "$OUT/$name-on1" --continued
    compare "$OUT/$name-whole" "$OUT/$name-on3" --continued
}
resume_case izh06 examples/izhikevich2006.toml 700 800 "${izh[@]}"
resume_case delays scripts/mpi/delays.toml 2300 1700

# --- 3. a rank dies mid-run
"${MPIRUN[@]}" -np 2 "$BIN" run examples/coba.toml --out "$OUT/killed" -q \
    --set simulation.duration_ms=600000 >"$OUT/killed-log.txt" 2>&1 &
launcher=$!
victim=""
for _ in $(seq 100); do
    for pid in $(pgrep -f "neuroplast run examples/coba.toml --out $OUT/killed" || true); do
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then
            victim=$pid
        fi
    done
    [ -n "$victim" ] && [ -n "$(ls -A "$OUT" | grep '^\.killed\.tmp-' || true)" ] && break
    sleep 0.2
done
[ -n "$victim" ] || { echo "rank 1 never started"; cat "$OUT/killed-log.txt"; exit 1; }
sleep 1
kill -9 "$victim"
killed_at=$(date +%s.%N)
status=0
wait "$launcher" || status=$?
took=$(python3 -c "import time; print(round(time.time() - $killed_at, 2))")
echo "rank 1 killed: mpirun exited with status $status after ${took} s; it said:"
sed 's/^/  | /' "$OUT/killed-log.txt"
[ "$status" != 0 ] || { echo "expected a non-zero exit"; exit 1; }
python3 -c "import sys; sys.exit(0 if $took < 20 else 1)" || { echo "took too long"; exit 1; }
grep -q "rank 1" "$OUT/killed-log.txt" || { echo "no rank named:"; cat "$OUT/killed-log.txt"; exit 1; }
if [ -e "$OUT/killed" ] || ls -A "$OUT" | grep -q '^\.killed'; then
    echo "a results directory was left:"; ls -la "$OUT"; exit 1
fi

# --- 3b. SIGUSR1 to mpirun stops every rank at the same chunk, results and checkpoint written
"${MPIRUN[@]}" -np 2 "$BIN" run examples/coba.toml --out "$OUT/stopped" -q \
    --set simulation.duration_ms=600000 >"$OUT/stopped-log.txt" 2>&1 &
launcher=$!
sleep 3
kill -USR1 "$launcher"
status=0
wait "$launcher" || status=$?
[ "$status" = 130 ] || { echo "SIGUSR1: status $status"; cat "$OUT/stopped-log.txt"; exit 1; }
grep -q '"interrupted": true' "$OUT/stopped/summary.json"
[ -f "$OUT/stopped/checkpoint.bin" ]
echo "SIGUSR1: stopped with status 130, results and checkpoint written"

# --- 4. refused before anything runs
status=0
"${MPIRUN[@]}" -np 2 "$BIN" run examples/lazar2009.toml --out "$OUT/sorn" -q \
    >"$OUT/sorn.log" 2>&1 || status=$?
grep -q "kind" "$OUT/sorn.log" && grep -q "one process" "$OUT/sorn.log" \
    || { echo "no refusal naming kind:"; cat "$OUT/sorn.log"; exit 1; }
[ "$status" != 0 ] && [ ! -e "$OUT/sorn" ] || { echo "SORN file not refused"; exit 1; }

echo "refused:"
sed 's/^/  | /' "$OUT/sorn.log"
echo "MPI checks passed"

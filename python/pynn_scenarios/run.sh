#!/usr/bin/env bash
# PyNN's own scenario tests with `sim = neuroplast.pynn`. Downloads the PyNN 0.13.0 source
# distribution from PyPI (not kept in the repository) into target/pynn, puts our fixtures.py
# in place of PyNN's, and runs pytest on test/system/scenarios, leaving out the scenarios
# listed in known_gaps.txt (with their reasons). Arguments go to pytest;
# NEUROPLAST_PYNN_ALL=1 also runs the scenarios PyNN runs only on NEST or NEURON.
# Needs the .venv of scripts/check.sh (neuroplast built, PyNN installed).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
dest=target/pynn
if [ ! -d "$dest/PyNN-0.13.0/test/system/scenarios" ] && [ ! -d "$dest/pynn-0.13.0/test/system/scenarios" ]; then
    mkdir -p "$dest"
    "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
        PyNN==0.13.0 -d "$dest"
    tar -xzf "$dest"/[Pp]y[Nn][Nn]-0.13.0.tar.gz -C "$dest"
fi
src=$(ls -d "$dest"/[Pp]y[Nn][Nn]-0.13.0)
work="$dest/scenarios"
rm -rf "$work"
mkdir -p "$work"
cp -r "$src/test/system/scenarios" "$work/scenarios"
cp python/pynn_scenarios/fixtures.py "$work/scenarios/fixtures.py"
printf "[pytest]\n" > "$work/pytest.ini"  # its own root: test ids start at scenarios/
deselect=()
while read -r id _; do
    case "$id" in ''|'#'*) continue ;; esac
    deselect+=(--deselect "scenarios/${id}[neuroplast]")
done < python/pynn_scenarios/known_gaps.txt
cd "$work"
exec "$OLDPWD/$PY" -m pytest -p no:cacheprovider -p no:warnings -q scenarios "${deselect[@]}" "$@"

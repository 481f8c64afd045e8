#!/usr/bin/env bash
# Builds the gpuembed wheel (python/, scikit-build-core + nanobind, pinned in python/pyproject.toml) and installs it
# with its pinned test/runtime tools into a private virtual environment, .cache/pygpuembed. Prints its python.
#   py=$(scripts/python_env.sh)        # numpy, pytest + gpuembed
#   py=$(scripts/python_env.sh ray)    # + Ray Data and pyarrow (the scale-out example and its test)
# The CMake build folder is kept in .cache/python-build, so a rebuild only recompiles what changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install_deps.sh python3-dev python3-venv
scripts/gen_models.sh
venv=$root/.cache/pygpuembed
pip_q() { "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2; }
[ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
base=(numpy==2.3.5 pytest==8.4.2)
# The build backend, as pinned in python/pyproject.toml: installed here and used without build isolation, so the
# CMake build folder stays valid between runs (an isolated build gets new include paths each time).
build=(scikit-build-core==1.1.2 nanobind==3.1.0)
ray=(ray[data]==2.60.0 pyarrow==22.0.0 pandas==2.3.3)
if [ ! -f "$venv/.base-complete" ]; then pip_q "${base[@]}" "${build[@]}" && touch "$venv/.base-complete"; fi
if [ "${1:-}" = ray ] && [ ! -f "$venv/.ray-complete" ]; then pip_q "${ray[@]}" && touch "$venv/.ray-complete"; fi
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
pip_q --no-deps --no-build-isolation --config-settings=build-dir="$root/.cache/python-build/{wheel_tag}" \
  "$root/python"
echo "$venv/bin/python"

#!/usr/bin/env bash
# Downloads and installs, in the background of scripts/test.sh's first (compile-bound) stage, the pinned packages the
# later stages need: the Python reference tools (scripts/pyref_env.sh), the Python package's venv with its test and
# Ray dependencies (the same pins and stamps as scripts/python_env.sh), and the Rust crate's dependencies. Network
# time then overlaps compilation. Only pip/cargo: apt stays with the foreground scripts (one dpkg lock).
# Each step is idempotent and optional: on failure the foreground script installs the same thing itself.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rc=0
scripts/pyref_env.sh >/dev/null || rc=1
venv=$root/.cache/pygpuembed
set -f  # the pins hold brackets (ray[data]), not globs
pins=$(sed -n 's/^\(base\|build\|ray\)=(\(.*\))$/\2/p' scripts/python_env.sh | tr '\n' ' ')
# A venv that failed half-way (no python3-venv yet: apt is the foreground's) must not be left for python_env.sh.
if [ ! -f "$venv/.ray-complete" ] && { [ -x "$venv/bin/python" ] || python3 -m venv "$venv" || { rm -rf "$venv"; false; }; }; then
  # shellcheck disable=SC2086  # the pins are plain words
  "$venv/bin/python" -m pip install -q --disable-pip-version-check $pins && touch "$venv/.base-complete" "$venv/.ray-complete" || rc=1
fi
if command -v cargo >/dev/null; then (cd rust && cargo fetch --locked -q) || rc=1; fi
exit $rc

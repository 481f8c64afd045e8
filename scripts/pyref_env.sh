#!/usr/bin/env bash
# The Python reference tools (HF tokenizers, sentence-transformers on CPU torch, ...) in a private virtual
# environment, .cache/pyref, with pinned versions. Idempotent; prints the environment's python.
#   py=$(scripts/pyref_env.sh)            # tokenizers, sentencepiece, transformers, numpy, pytest (small)
#   py=$(scripts/pyref_env.sh torch)      # + torch and sentence-transformers (about 3 GB: golden generation only)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/.cache/pyref
base=(tokenizers==0.23.2 sentencepiece==0.2.1 transformers==5.17.0 numpy==2.3.5 pytest==8.4.2 protobuf==6.33.1 safetensors==0.8.0
     )
full=(torch==2.9.1 sentence-transformers==6.0.1)
want=("${base[@]}")
stamp=$venv/.base-complete
if [ "${1:-}" = torch ]; then want+=("${full[@]}"); stamp=$venv/.torch-complete; fi
if [ ! -f "$stamp" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${want[@]}" >&2
  touch "$stamp"
fi
echo "$venv/bin/python"

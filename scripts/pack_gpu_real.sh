#!/usr/bin/env bash
# Packs the real all-MiniLM-L6-v2 folder (scripts/get_models.sh) for the lent GPU machine. Its 91 MB of float32
# weights barely compress and one device call carries at most 64 MiB with the working tree, so the folder travels as
# a tar cut in two parts, one per call, while the machine stays warm (bench/gpu/real_parts.sh there):
#   here:   scripts/pack_gpu_real.sh                 # -> .gpucarry-real1/, .gpucarry-real2/ (ignored)
#   device: run(command="bash bench/gpu/real_parts.sh stash .gpucarry-real1", carry=[".gpucarry-real1"])
#           run(command="bash bench/gpu/real_parts.sh stash .gpucarry-real2 && bash bench/gpu/real_parts.sh assemble && ...",
#               carry=[".gpucarry-real2", ...])
# assemble checks every file's size and sha256 against models/real-models.json, as get_models.py does here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
name=${1:-all-MiniLM-L6-v2}
[ -f ".cache/models/$name/model.safetensors" ] || scripts/get_models.sh
ex=$(git rev-parse --git-common-dir)/info/exclude
grep -qx '/.gpucarry-real*/' "$ex" 2>/dev/null || echo '/.gpucarry-real*/' >> "$ex"
rm -rf .gpucarry-real1 .gpucarry-real2 && mkdir -p .gpucarry-real1 .gpucarry-real2
tar -C .cache/models -cf - "$name" | split -b 46M -d -a 1 - .gpucarry-real1/part.
mv .gpucarry-real1/part.1 .gpucarry-real2/
[ ! -e .gpucarry-real1/part.2 ] || { echo "pack_gpu_real: more than two parts" >&2; exit 1; }
echo "$name" > .gpucarry-real1/NAME
du -sh .gpucarry-real1 .gpucarry-real2

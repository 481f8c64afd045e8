#!/usr/bin/env python3
"""A copy of a generated Unigram model (default .cache/models/xlmr-random) whose tokenizer.json vocabulary is padded
with random pieces to N entries (default 250,002: the multilingual XLM-R's size) and whose word embeddings are padded
with zero rows to match, for bench/wasm/load_bench.mjs (--models-dir): the load time of a large vocabulary.

    python3 bench/wasm/make_big_vocab.py [--src DIR] [--out DIR] [--pieces N]
"""
import argparse
import json
import random
import shutil
import struct
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument("--src", default=".cache/models/xlmr-random")
ap.add_argument("--out", default=".cache/big-vocab/xlmr-250k")
ap.add_argument("--pieces", type=int, default=250002)
a = ap.parse_args()
src, out = Path(a.src), Path(a.out)
shutil.rmtree(out, ignore_errors=True)
shutil.copytree(src, out)

tj = json.loads((out / "tokenizer.json").read_text(encoding="utf-8"))
vocab = tj["model"]["vocab"]
assert tj["model"]["type"] == "Unigram", "a Unigram model is expected"
rng = random.Random(1)
seen = {p for p, _ in vocab}
letters = "abcdefghijklmnopqrstuvwxyzäöüéèàçñßøåæœ"
while len(vocab) < a.pieces:
    piece = "\u2581" + "".join(rng.choice(letters) for _ in range(rng.randint(3, 10)))
    if piece not in seen:
        seen.add(piece)
        vocab.append([piece, -12.0 - rng.random()])
(out / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")

cfg = json.loads((out / "config.json").read_text())
cfg["vocab_size"] = a.pieces
(out / "config.json").write_text(json.dumps(cfg, indent=2))

# model.safetensors: the word embeddings get zero rows for the new pieces; the other tensors move along.
raw = (out / "model.safetensors").read_bytes()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
name = next(k for k in header if k.endswith("word_embeddings.weight"))
rows, width = header[name]["shape"]
pieces = []
offset = 0
for key, info in sorted(((k, v) for k, v in header.items() if k != "__metadata__"), key=lambda kv: kv[1]["data_offsets"][0]):
    b, e = info["data_offsets"]
    chunk = data[b:e]
    if key == name:
        chunk += bytes(4 * width * (a.pieces - rows))
        info["shape"] = [a.pieces, width]
    info["data_offsets"] = [offset, offset + len(chunk)]
    offset += len(chunk)
    pieces.append(chunk)
head = json.dumps(header).encode()
head += b" " * (-len(head) % 8)
(out / "model.safetensors").write_bytes(struct.pack("<Q", len(head)) + head + b"".join(pieces))
print(f"{out}: {len(vocab)} pieces, tokenizer.json {(out / 'tokenizer.json').stat().st_size} B")

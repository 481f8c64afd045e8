#!/usr/bin/env python3
"""Tokenization speed of gpuembed vs HF tokenizers, one thread each, same texts, same run.

  py=$(scripts/pyref_env.sh); $py tools/tokenizer_bench.py [--rounds 5] TOKENIZER_JSON...

Two text sets per tokenizer: 2,000 sentence-like texts (words of several scripts, punctuation, digits; about 60-200
tokens) and 2,000 random torture texts (tools/random_texts.py). HF: Tokenizer.encode_batch with
TOKENIZERS_PARALLELISM=false (one thread, no Python call per text); gpuembed: build/tests/tokenize_lines with a
rounds argument (Tokenizer::encode_ids in a loop, file reading and JSON excluded). Best of --rounds for both.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["RAYON_NUM_THREADS"] = "1"
from tokenizers import Tokenizer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from random_texts import WORDS, text as random_text  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("tokenizers", nargs="+")
p.add_argument("--rounds", type=int, default=5)
p.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", "build", "tests", "tokenize_lines"))
a = p.parse_args()

rng = random.Random(42)
EN = ("the of and to in is was for on that with as by at from his it an were are which this be or has had first one "
      "their its new after who they two her she been other when there all during into school time may years more "
      "most only over city some world would where later up such used many can state about national").split()


def sentence():
    words = []
    for _ in range(rng.randint(40, 120)):
        w = rng.choice(EN) if rng.random() < 0.8 else rng.choice(WORDS)
        words.append(w + (rng.choice(",.;:!?") if rng.random() < 0.08 else ""))
    return " ".join(words)


sets = {"sentences": [sentence() for _ in range(2000)]}
sets["torture"] = [random_text(rng, []) for _ in range(2000)]
print(f"| tokenizer | texts | tokens | HF tokenizers 0.23.2 (ms) | gpuembed (ms) | speed-up |")
print("|---|---|---:|---:|---:|---:|")
for path in a.tokenizers:
    hf = Tokenizer.from_file(path)
    hf.no_truncation()
    hf.no_padding()
    for name, texts in sets.items():
        best = 1e9
        for _ in range(a.rounds):
            start = time.perf_counter()
            enc = hf.encode_batch(texts)
            best = min(best, time.perf_counter() - start)
        tokens = sum(len(e.ids) for e in enc)
        inp = "".join(json.dumps(t) + "\n" for t in texts).encode()
        ours = 1e9
        for _ in range(a.rounds):
            out = subprocess.run([a.binary, path, "0", "1"], input=inp, capture_output=True, check=True).stdout.split()
            ours = min(ours, float(out[0]))
            assert int(out[1]) == tokens, (path, name, int(out[1]), tokens)
        print(f"| {os.path.basename(os.path.dirname(path)) if path.endswith('/tokenizer.json') else os.path.basename(path)} "
              f"| {name} | {tokens} | {best * 1e3:.1f} | {ours * 1e3:.1f} | {best / ours:.2f}x |")

#!/usr/bin/env python3
"""Differential test: tokenizes fresh random texts with gpuembed (build/tests/tokenize_lines) and HF tokenizers and
fails on any difference in ids.

  py=$(scripts/pyref_env.sh); $py tools/tokenizer_diff.py [--n 10000] [--seed S] [--max-length L] TOKENIZER_JSON...

Texts mix random code points from every plane (unassigned and private use included, surrogates excluded), combining
marks, emoji ZWJ sequences, CJK, right-to-left scripts, control and format characters, long words, the tokenizer's
own added tokens inside words, whitespace runs and plain words. Without --seed the seed is fresh each run (printed,
so a failure can be replayed).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from random_texts import text  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("tokenizers", nargs="+")
p.add_argument("--n", type=int, default=10000)
p.add_argument("--seed", type=int)
p.add_argument("--max-length", type=int, default=0)
p.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", "build", "tests", "tokenize_lines"))
p.add_argument("--show", type=int, default=5, help="mismatches printed per tokenizer")
a = p.parse_args()
seed = a.seed if a.seed is not None else int(time.time() * 1000) % (1 << 31)
print(f"tokenizer_diff: seed {seed}, {a.n} texts per tokenizer")

failed = False
for path in a.tokenizers:
    rng = random.Random(f"{seed}:{os.path.basename(path)}")
    hf = Tokenizer.from_file(path)
    if a.max_length:
        hf.enable_truncation(a.max_length)
    else:
        hf.no_truncation()
    hf.no_padding()
    added = [t.content for t in hf.get_added_tokens_decoder().values()]
    texts = [text(rng, added) for _ in range(a.n)]
    start = time.time()
    want = [hf.encode(t).ids for t in texts]
    hf_s = time.time() - start
    inp = "".join(json.dumps(t) + "\n" for t in texts)
    start = time.time()
    run = subprocess.run([a.binary, path, str(a.max_length)], input=inp.encode(), capture_output=True)
    ge_s = time.time() - start
    if run.returncode != 0:
        print(f"{path}: tokenize_lines failed: {run.stderr.decode(errors='replace')}")
        failed = True
        continue
    got = [[int(x) for x in line.split()] for line in run.stdout.decode().split("\n")[: len(texts)]]
    bad = [i for i in range(len(texts)) if got[i] != want[i]]
    print(f"{os.path.basename(path)}: {len(bad)} mismatches of {len(texts)} (HF {hf_s:.2f} s, gpuembed {ge_s:.2f} s "
          f"incl. process start)")
    for i in bad[: a.show]:
        print("  text:", json.dumps(texts[i]))
        print("  HF:      ", want[i])
        print("  gpuembed:", got[i])
    failed = failed or bool(bad)
sys.exit(1 if failed else 0)

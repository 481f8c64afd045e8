#!/usr/bin/env python3
"""Reference scores of the evaluation set (tests/eval/*.tsv) from sentence-transformers on the CPU in float32.

  py=$(scripts/pyref_env.sh torch)
  $py tools/gen_eval_reference.py .cache/models/all-MiniLM-L6-v2 tests/eval/all-MiniLM-L6-v2.reference.json

Stores the cosine of every sentence pair, the cosine of every query with every passage, and the figures the tests
report for gpuembed too (Spearman correlation of pair scores with the grades, recall@1/@3 of the queries).
Not run in CI (it needs torch); the tests compare gpuembed with the stored scores.
"""
import argparse
import json
import os
import sys

import numpy as np
import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

here = os.path.dirname(os.path.abspath(__file__))
eval_dir = os.path.join(here, "..", "tests", "eval")


def read_tsv(name):
    with open(os.path.join(eval_dir, name), encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip() and not line.startswith("#")]


def ranks(x):
    # average ranks of ties, as Spearman's rho defines them
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and x[order[j + 1]] == x[order[i]]:
            j += 1
        r[order[i : j + 1]] = (i + j) / 2.0
        i = j + 1
    return r


def spearman(a, b):
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def f32(x):
    return float(str(np.float32(x)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("out")
    a = ap.parse_args()
    pairs = read_tsv("pairs.tsv")
    passages = read_tsv("passages.tsv")
    queries = read_tsv("queries.tsv")
    m = SentenceTransformer(a.model_dir, device="cpu")
    ea = m.encode([p[1] for p in pairs], batch_size=16, convert_to_numpy=True, normalize_embeddings=True)
    eb = m.encode([p[2] for p in pairs], batch_size=16, convert_to_numpy=True, normalize_embeddings=True)
    pair_scores = (ea * eb).sum(axis=1)
    ep = m.encode([p[2] for p in passages], batch_size=16, convert_to_numpy=True, normalize_embeddings=True)
    eq = m.encode([q[1] for q in queries], batch_size=16, convert_to_numpy=True, normalize_embeddings=True)
    scores = eq @ ep.T
    ids = [p[0] for p in passages]
    hits = [int(np.argsort(-row, kind="stable").tolist().index(ids.index(q[0]))) for q, row in zip(queries, scores)]
    out = {
        "model": os.path.basename(os.path.normpath(a.model_dir)),
        "reference": "sentence-transformers encode(batch_size=16, normalize_embeddings=True), CPU, float32; cosine",
        "versions": {"torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__},
        "summary": {
            "spearman_pairs_vs_grades": spearman(pair_scores, [int(p[0]) for p in pairs]),
            "recall_at_1": sum(h < 1 for h in hits) / len(hits),
            "recall_at_3": sum(h < 3 for h in hits) / len(hits),
        },
        "pair_scores": [f32(s) for s in pair_scores],
        "passage_ids": ids,
        "query_scores": [[f32(s) for s in row] for row in scores],
    }
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"{a.out}: {out['summary']}; query hit ranks {hits}", file=sys.stderr)


if __name__ == "__main__":
    main()

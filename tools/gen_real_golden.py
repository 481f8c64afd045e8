#!/usr/bin/env python3
"""Golden references of a real sentence-transformers model: sentence-transformers on the CPU in float32.

  py=$(scripts/pyref_env.sh torch)
  $py tools/gen_real_golden.py .cache/models/all-MiniLM-L6-v2 tests/golden/all-MiniLM-L6-v2.shared.json

Reads the sentences of the random-model golden file (tests/golden/minilm-l6-random.shared.json, the "shared" set),
so every model is checked on the same texts, and writes the same fields the existing golden files have
(tests/golden/README.md): ids, tokens, sentence embeddings, and the token embeddings of the first sentences.
Not run in CI (it needs torch); CI compares against the stored file.
"""
import argparse
import json
import os
import sys

import numpy as np
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer

here = os.path.dirname(os.path.abspath(__file__))


def f32_list(a):
    # the shortest decimal that reads back to the same float32 (numpy's float32 str)
    return [float(str(np.float32(x))) for x in np.asarray(a, dtype=np.float32).ravel()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--sentences", default=os.path.join(here, "..", "tests", "golden", "minilm-l6-random.shared.json"))
    ap.add_argument("--token-embeddings", type=int, default=3, help="sentences whose token embeddings are stored")
    a = ap.parse_args()
    torch.manual_seed(0)
    texts = [s["text"] for s in json.load(open(a.sentences, encoding="utf-8"))["sentences"]]
    m = SentenceTransformer(a.model_dir, device="cpu")
    m.eval()
    emb = m.encode(texts, batch_size=16, convert_to_numpy=True)
    single = np.stack([m.encode([t], convert_to_numpy=True)[0] for t in texts])
    m64 = SentenceTransformer(a.model_dir, device="cpu").to(torch.float64)
    emb64 = m64.encode(texts, batch_size=16, convert_to_numpy=True).astype(np.float64)
    rel = np.linalg.norm(emb - emb64, axis=1) / np.linalg.norm(emb64, axis=1)
    tok = m.tokenizer
    max_len = m.max_seq_length
    sentences = []
    for t, e in zip(texts, emb):
        ids = m.tokenize([t])["input_ids"][0].tolist()
        sentences.append({"text": t, "input_ids": ids, "tokens": tok.convert_ids_to_tokens(ids), "embedding": f32_list(e)})
    token_embeddings = []
    for t in texts[: a.token_embeddings]:
        te = m.encode([t], output_value="token_embeddings", convert_to_numpy=False)[0].float().numpy()
        token_embeddings.append({"text": t, "token_embeddings": [f32_list(r) for r in te]})
    names = [type(mod).__name__ for mod in m]
    pooling = next(mod for mod in m if type(mod).__name__ == "Pooling")
    cfg = m[0].auto_model.config
    out = {
        "model": os.path.basename(os.path.normpath(a.model_dir)),
        "set": "shared",
        "reference": "sentence-transformers SentenceTransformer.encode(batch_size=16), CPU, float32",
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": transformers.__version__,
                     "sentence_transformers": sentence_transformers.__version__, "tokenizers": tokenizers.__version__,
                     "numpy": np.__version__},
        "modules": names,
        "pooling_mode": "+".join(pooling.pooling_mode) if isinstance(pooling.pooling_mode, (list, tuple)) else pooling.pooling_mode,
        "normalize": "Normalize" in names,
        "max_seq_length": max_len,
        "hidden_size": cfg.hidden_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "dim": int(emb.shape[1]),
        "checks": {
            "max_abs_diff_batched_vs_single": float(np.abs(emb - single).max()),
            "max_abs_diff_vs_fp64": float(np.abs(emb - emb64).max()),
            "max_rel_l2_vs_fp64": float(rel.max()),
        },
        "sentences": sentences,
        "token_embeddings": token_embeddings,
    }
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"{a.out}: {len(texts)} sentences, dim {out['dim']}, checks {out['checks']}", file=sys.stderr)


if __name__ == "__main__":
    main()

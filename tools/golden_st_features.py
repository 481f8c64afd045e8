#!/usr/bin/env python3
"""Golden outputs of sentence-transformers (CPU, float32) for the folders of tools/gen_st_models.py.

  py=$(scripts/pyref_env.sh torch); $py tools/golden_st_features.py .cache/models tests/golden/st-features.json
Each case is one SentenceTransformer.encode call (batch_size 4, so batches mix lengths and padding) with the
prompt / prompt_name / truncate_dim / normalize_embeddings it names; absent keys are encode's defaults.
"""
import json, sys

import numpy as np
import sentence_transformers
import torch
import transformers
from sentence_transformers import SentenceTransformer

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "",
    "Hello!",
    "Matryoshka embeddings keep their meaning when the vector is cut short, which is why truncate_dim exists.",
    "naïve café — déjà vu, 東京 and Zürich",
    " ".join(["a very long text that goes past the model's maximum sequence length"] * 8),
    "query: already prefixed",
    "Two\nlines\tand tabs",
]

CASES = {
    "st-prompts-wmean": [
        {},
        {"prompt_name": "passage"},
        {"prompt_name": "none"},
        {"prompt": "Represent this sentence: "},
        {"truncate_dim": 48, "normalize_embeddings": True},
    ],
    "st-lasttoken-dense": [
        {},
        {"prompt_name": "query"},
        {"truncate_dim": 32},
        {"truncate_dim": 32, "normalize_embeddings": True},
    ],
    "st-sharded-cls": [
        {},
        {"prompt_name": "search_query"},
        {"truncate_dim": 64},
        # no prompt: nothing to leave out of CLS pooling, so WebGPU pools on the GPU and the Dense head follows
        {"prompt": ""},
        {"prompt": "", "truncate_dim": 32, "normalize_embeddings": True},
    ],
    "st-dense-bin": [
        {},
        {"truncate_dim": 16},
    ],
}


def main(models_dir, out_path):
    torch.manual_seed(0)
    out = {
        "reference": "sentence-transformers SentenceTransformer(dir, device='cpu').encode(sentences, batch_size=4, "
                     "**case), float32",
        "versions": {"sentence_transformers": sentence_transformers.__version__, "transformers": transformers.__version__,
                     "torch": torch.__version__},
        "sentences": SENTENCES,
        "models": {},
    }
    for name, cases in CASES.items():
        model = SentenceTransformer(f"{models_dir}/{name}", device="cpu")
        entry = {"dimension": model.get_embedding_dimension(), "prompts": model.prompts,
                 "default_prompt_name": model.default_prompt_name, "cases": []}
        for case in cases:
            emb = model.encode(SENTENCES, batch_size=4, convert_to_numpy=True, **case).astype(np.float32)
            single = np.stack([model.encode([s], convert_to_numpy=True, **case)[0] for s in SENTENCES])
            entry["cases"].append(dict(case, max_abs_diff_batched_vs_single=float(np.abs(emb - single).max()),
                                       embeddings=[[float(x) for x in row] for row in emb]))
        out["models"][name] = entry
    with open(out_path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""Runs sentence-transformers' encode in the reference environment (scripts/pyref_env.sh torch), a separate venv
from the one gpuembed is installed into, and writes the embeddings as .npy.

    st_reference.py MODEL_DIR TEXTS.json OUT.npy BATCH_SIZE NORMALIZE(0|1) THREADS [PROMPT_NAME]
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np
import torch
from sentence_transformers import SentenceTransformer

model_dir, texts_path, out_path, batch_size, normalize, threads = sys.argv[1:7]
prompt_name = sys.argv[7] if len(sys.argv) > 7 else None
if int(threads) > 0:
    torch.set_num_threads(int(threads))
with open(texts_path, encoding="utf-8") as f:
    texts = json.load(f)
model = SentenceTransformer(model_dir, device="cpu")
out = model.encode(texts, batch_size=int(batch_size), normalize_embeddings=bool(int(normalize)),
                   convert_to_numpy=True, show_progress_bar=False, prompt_name=prompt_name)
np.save(out_path, out.astype(np.float32))

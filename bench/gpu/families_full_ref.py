#!/usr/bin/env python3
"""On the GPU machine: references and the PyTorch peer for the full-size family folders of
`tools/gen_family_models.py --full` (bench/gpu/families_full.sh runs it).

Per folder: sentence-transformers 6 on the CPU in float32 embeds the first N golden sentences (the reference the
WebGPU side is compared with, as tools/golden_families.py makes the CI goldens; nomic-full: that file's torch
forward of NomicBERT's published math, whose remote code cannot be loaded here), then the same model on CUDA in
float32 (TF32 off) embeds the 32 texts of bench/inputs.json's b32x128 case: `encode(texts, batch_size=32)`, warm-up
2, median of 7 — the peer time. Writes DIR/<name>.ref.json.
  python3 bench/gpu/families_full_ref.py DIR [N]
"""
import json, os, sys, time

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import golden_families  # noqa: E402  (nomic_forward)

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def nomic_embed(d, texts, device):
    from safetensors.torch import load_file
    import transformers
    cfg = json.load(open(os.path.join(d, "config.json")))
    w = {k: v.to(device) for k, v in load_file(os.path.join(d, "model.safetensors")).items()}
    tok = transformers.AutoTokenizer.from_pretrained(d)

    def run(batch):
        enc = tok(batch, padding=True, truncation=True, max_length=8192, return_tensors="pt").to(device)
        with torch.no_grad(), torch.device(device):  # nomic_forward makes its rotary tables with factory functions
            h = golden_families.nomic_forward(w, cfg, enc["input_ids"], enc["attention_mask"])
        m = enc["attention_mask"][..., None].float()
        return torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1).cpu().numpy()
    return run


def timed(fn, texts):
    for _ in range(2):
        fn(texts)
    runs = []
    for _ in range(7):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn(texts)
        torch.cuda.synchronize()
        runs.append((time.perf_counter() - t0) * 1000)
    return float(np.median(runs))


def main(d, n):
    golden = json.load(open(os.path.join(ROOT, "tests", "golden", "minilm-l6-random.shared.json")))
    sentences = [s["text"] for s in golden["sentences"]][:n]
    b32 = json.load(open(os.path.join(ROOT, "bench", "inputs.json")))["cases"]["b32x128"]["texts"]
    only = os.environ.get("GPUEMBED_FULL_MODELS", "").split()  # families_full.sh's selection: skip the others
    for name in sorted(os.listdir(d)):
        md = os.path.join(d, name)
        if not name.endswith("-full") or not os.path.isdir(md) or (only and name not in only):
            continue
        t0 = time.time()
        if name.startswith("nomic"):
            ref = np.concatenate([nomic_embed(md, None, "cpu")([t]) for t in sentences])
            cuda = nomic_embed(md, None, "cuda")
            peer = "torch forward of NomicBERT's math (tools/golden_families.py), CUDA fp32, batch 32"
            torch_ms = timed(cuda, b32)
        else:
            ref = SentenceTransformer(md, device="cpu").encode(sentences, batch_size=1, convert_to_numpy=True)
            m = SentenceTransformer(md, device="cuda")
            peer = "sentence-transformers encode(batch_size=32), CUDA fp32, TF32 off"
            torch_ms = timed(lambda t: m.encode(t, batch_size=32, convert_to_numpy=True), b32)
            del m
        torch.cuda.empty_cache()
        out = {"model": name, "sentences": sentences, "embeddings": [[float(v) for v in r] for r in ref.astype(np.float32)],
               "b32x128_texts": len(b32), "torch_b32x128_ms": torch_ms, "peer": peer,
               "versions": {"torch": torch.__version__}}
        json.dump(out, open(os.path.join(d, name + ".ref.json"), "w"))
        print(f"{name}: reference of {len(sentences)} sentences, PyTorch b32x128 {torch_ms:.2f} ms ({time.time() - t0:.0f} s)",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 24)

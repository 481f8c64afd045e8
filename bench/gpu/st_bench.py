#!/usr/bin/env python3
"""PyTorch sentence-transformers on CUDA, fp32 (TF32 off), as the hardware reference for bench/gpu/bench_gpu.mjs.

  python3 bench/gpu/st_bench.py MODEL_DIR INPUTS_JSON CASE [REPEATS] [WARMUP]

One case per process. Prints ONE JSON line: encode() end to end (texts in, normalized numpy vectors out: tokenizing,
the forward pass, pooling, Normalize, the copy to the host) and forward only (model(features) on pre-tokenized
tensors already on the GPU, torch.cuda.synchronize() around it), median/min over REPEATS after WARMUP calls.
Cases longer than 256 tokens set model.max_seq_length = 512 (the model's config says 256).
"""
import json, os, statistics, sys, time

res = {"engine": "torch-st-cuda", "ok": False}
try:
    model_dir, inputs, case = sys.argv[1], sys.argv[2], sys.argv[3]
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    warm = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    t0 = time.perf_counter()
    import torch
    import sentence_transformers
    from sentence_transformers import SentenceTransformer
    res["import_s"] = round(time.perf_counter() - t0, 3)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    res["versions"] = {"torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__}
    res["device_name"] = torch.cuda.get_device_name(0)
    c = json.load(open(inputs))["cases"][case]
    texts = c["texts"]
    t0 = time.perf_counter()
    model = SentenceTransformer(model_dir, device="cuda")
    model.eval()
    res["load_s"] = round(time.perf_counter() - t0, 3)
    if c["tokens_per_text"] > model.max_seq_length:
        model.max_seq_length = c["tokens_per_text"]
    res["max_seq_length"] = model.max_seq_length
    feats = model.tokenize(texts)
    res["ran"] = list(feats["input_ids"].shape)
    res["tokens_ok"] = int(feats["attention_mask"].sum()) == len(texts) * c["tokens_per_text"]

    def encode():
        return model.encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False)

    for _ in range(warm):
        encode()
    enc = []
    for _ in range(reps):
        a = time.perf_counter(); out = encode(); enc.append((time.perf_counter() - a) * 1000)
    dev = {k: (v.to("cuda") if hasattr(v, "to") else v) for k, v in feats.items()}
    fwd = []
    with torch.inference_mode():
        for i in range(warm + reps):
            torch.cuda.synchronize(); a = time.perf_counter()
            o = model(dev)["sentence_embedding"]
            torch.cuda.synchronize()
            if i >= warm:
                fwd.append((time.perf_counter() - a) * 1000)
    res["case"] = case
    res["batch"] = len(texts)
    res["tokens_per_text"] = c["tokens_per_text"]
    res["encode"] = {"median_ms": round(statistics.median(enc), 3), "min_ms": round(min(enc), 3), "runs_ms": [round(x, 3) for x in enc]}
    res["forward"] = {"median_ms": round(statistics.median(fwd), 3), "min_ms": round(min(fwd), 3), "runs_ms": [round(x, 3) for x in fwd]}
    res["output_shape"] = list(out.shape)
    res["note"] = "fp32, TF32 off; encode(texts, batch_size=len(texts)) end to end; forward = model(features on GPU) + synchronize"
    res["ok"] = True
except Exception as e:  # noqa: BLE001
    res["error"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(res), flush=True)

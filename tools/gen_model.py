#!/usr/bin/env python3
"""Deterministic random-weight BERT checkpoints in Hugging Face layout (stdlib; numpy, where installed, computes the
same bytes faster; GPUEMBED_GEN_STDLIB=1 forces the stdlib path), same bytes on any machine.

Weights are k * 2**-e with small integers k (sum of four 12-bit uniforms), so they are exact in float32,
compress well, and are identical wherever this runs (about 20-30 s with CPython 3.11/3.12 alone, seconds with numpy).
Usage: gen_model.py REAL_DIR OUT_DIR [HEADER_JSON]
  e.g.  python3 tools/gen_model.py tests/models/all-MiniLM-L6-v2 OUTDIR   (scripts/gen_models.sh)
Writes OUT_DIR/minilm-l6-random/ and OUT_DIR/tiny-bert-cls/ (sentence-transformers layout) and prints each
model.safetensors' size and sha256; HEADER_JSON defaults to minilm_header.json next to this file. Expected:
  minilm-l6-random 90868376 5dc6bacdab686fc1f80eb360323097fe8d885420f78e3f92c6b971fa00ffd308
  tiny-bert-cls    17552096 078e3d034cec361a17195b2dcdaa81fe3706c913ac7a65accc71ae9a61b8b6ae
"""
import array, hashlib, json, os, shutil, struct, sys

M64 = (1 << 64) - 1

def splitmix(seed):
    x = seed & M64
    while True:
        x = (x + 0x9E3779B97F4A7C15) & M64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        yield z ^ (z >> 31)

def fnv(name):
    h = 0xCBF29CE484222325
    for c in name.encode():
        h = ((h ^ c) * 0x100000001B3) & M64
    return h

def kind_of(name):
    if name.endswith("position_ids"): return "ids"
    if "relative_attention_bias" in name: return "relbias"  # large enough to move attention visibly
    if "LayerNorm.weight" in name or name.endswith(("emb_ln.weight", "norm1.weight", "norm2.weight", "norm.weight")):
        return "ln_w"
    if "LayerNorm.bias" in name or name.endswith(("emb_ln.bias", "norm1.bias", "norm2.bias")): return "ln_b"
    if "embeddings" in name: return "emb"
    if name.endswith(".bias"): return "bias"
    return "w"

EXP = {"emb": 15, "w": 16, "bias": 17, "ln_b": 16, "ln_w": 14, "relbias": 10}

def tensor_bytes_np(np, name, n, kind):
    """tensor_bytes' numbers computed with numpy's wrapping uint64 arithmetic: the same bytes, ~50x faster."""
    x = (np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
         + np.uint64(splitmix_state(fnv(name) ^ 0x5EED)))
    z = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    m = np.uint64(4095)
    k = ((z & m) + ((z >> np.uint64(12)) & m) + ((z >> np.uint64(24)) & m) + ((z >> np.uint64(36)) & m)).astype(np.int64) - 8190
    v = k.astype(np.float32) * np.float32(2.0 ** -EXP[kind])
    if kind == "ln_w": v = np.float32(1.0) + v
    return v.astype("<f4").tobytes()

def splitmix_state(seed):
    return seed & M64

def tensor_bytes(name, dtype, shape):
    n = 1
    for d in shape: n *= d
    kind = kind_of(name)
    if kind == "ids":
        assert dtype == "I64"
        return struct.pack("<%dq" % n, *range(n))
    assert dtype == "F32", (name, dtype)
    try:
        import numpy as np
    except ImportError:
        np = None
    if np is not None and n >= 4096 and os.environ.get("GPUEMBED_GEN_STDLIB") != "1":
        with np.errstate(over="ignore"):
            return tensor_bytes_np(np, name, n, kind)
    g = splitmix(fnv(name) ^ 0x5EED)
    scale = 2.0 ** -EXP[kind]
    out = array.array("f", bytes(4 * n))
    for i in range(n):
        z = next(g)
        k = (z & 4095) + ((z >> 12) & 4095) + ((z >> 24) & 4095) + ((z >> 36) & 4095) - 8190
        out[i] = (1.0 + k * scale) if kind == "ln_w" else k * scale
    if sys.byteorder != "little": out.byteswap()
    return out.tobytes()

def write_safetensors(path, header_bytes):
    h = json.loads(header_bytes)
    items = sorted((v["data_offsets"][0], v["data_offsets"][1], k, v) for k, v in h.items() if k != "__metadata__")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes))); f.write(header_bytes)
        pos = 0
        for a, b, k, v in items:
            assert a == pos, (k, a, pos)
            data = tensor_bytes(k, v["dtype"], v["shape"])
            assert len(data) == b - a, (k, len(data), b - a)
            f.write(data); pos = b

def bert_header(cfg):
    H, I, L, V, P = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"], cfg["max_position_embeddings"]
    t = [("embeddings.position_ids", "I64", [1, P]), ("embeddings.LayerNorm.bias", "F32", [H]), ("embeddings.LayerNorm.weight", "F32", [H]),
         ("embeddings.position_embeddings.weight", "F32", [P, H]), ("embeddings.token_type_embeddings.weight", "F32", [cfg["type_vocab_size"], H]),
         ("embeddings.word_embeddings.weight", "F32", [V, H])]
    for l in range(L):
        p = "encoder.layer.%d." % l
        t += [(p + "attention.output.LayerNorm.bias", "F32", [H]), (p + "attention.output.LayerNorm.weight", "F32", [H]),
              (p + "attention.output.dense.bias", "F32", [H]), (p + "attention.output.dense.weight", "F32", [H, H])]
        for m in ("key", "query", "value"):
            t += [(p + "attention.self.%s.bias" % m, "F32", [H]), (p + "attention.self.%s.weight" % m, "F32", [H, H])]
        t += [(p + "intermediate.dense.bias", "F32", [I]), (p + "intermediate.dense.weight", "F32", [I, H]),
              (p + "output.LayerNorm.bias", "F32", [H]), (p + "output.LayerNorm.weight", "F32", [H]),
              (p + "output.dense.bias", "F32", [H]), (p + "output.dense.weight", "F32", [H, I])]
    t += [("pooler.dense.bias", "F32", [H]), ("pooler.dense.weight", "F32", [H, H])]
    h, off = {"__metadata__": {"format": "pt"}}, 0
    for name, dt, shape in t:
        n = 8 if dt == "I64" else 4
        for d in shape: n *= d
        h[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + n]}; off += n
    b = json.dumps(h, separators=(",", ":")).encode()
    return b + b" " * ((8 - len(b) % 8) % 8)

def copy_small(real, out, skip=()):
    for root, _, files in os.walk(real):
        for fn in files:
            rel = os.path.relpath(os.path.join(root, fn), real)
            if rel in skip: continue
            os.makedirs(os.path.dirname(os.path.join(out, rel)) or out, exist_ok=True)
            shutil.copyfile(os.path.join(root, fn), os.path.join(out, rel))

def main(real, out, header_file):
    # 1) MiniLM-L6 shaped: the real files, the real safetensors header, deterministic weights
    d = os.path.join(out, "minilm-l6-random"); os.makedirs(d, exist_ok=True)
    copy_small(real, d)
    write_safetensors(os.path.join(d, "model.safetensors"), open(header_file, "rb").read())
    # 2) tiny BERT with CLS pooling, no Normalize module, max_seq_length 128
    d2 = os.path.join(out, "tiny-bert-cls"); os.makedirs(d2, exist_ok=True)
    copy_small(real, d2, skip=("config.json", "modules.json", "sentence_bert_config.json", "1_Pooling/config.json"))
    cfg = json.load(open(os.path.join(real, "config.json")))
    cfg.update(hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512)
    json.dump(cfg, open(os.path.join(d2, "config.json"), "w"), indent=2)
    json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}],
              open(os.path.join(d2, "modules.json"), "w"), indent=2)
    json.dump({"max_seq_length": 128, "do_lower_case": False}, open(os.path.join(d2, "sentence_bert_config.json"), "w"), indent=2)
    os.makedirs(os.path.join(d2, "1_Pooling"), exist_ok=True)
    json.dump({"word_embedding_dimension": 128, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False,
               "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False},
              open(os.path.join(d2, "1_Pooling", "config.json"), "w"), indent=2)
    write_safetensors(os.path.join(d2, "model.safetensors"), bert_header(cfg))
    for name in ("minilm-l6-random", "tiny-bert-cls"):
        p = os.path.join(out, name, "model.safetensors")
        print(name, os.path.getsize(p), hashlib.sha256(open(p, "rb").read()).hexdigest())

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "minilm_header.json"))

#!/usr/bin/env python3
"""Golden outputs of sentence-transformers (CPU, float32) for the model-family folders of tools/gen_family_models.py
and the real all-mpnet-base-v2, in the format of tests/golden/<model>.shared.json.

  py=$(scripts/pyref_env.sh torch); $py tools/golden_families.py .cache/models tests/golden [NAME...]
(NAME...: only those models; default all)
The sentences are those of tests/golden/minilm-l6-random.shared.json plus whitespace cases (runs of spaces, tabs,
newlines, leading and trailing spaces) where tokenizer.json shapes are known to part ways.
Per model: input_ids as sentence-transformers tokenizes (transformers' AutoTokenizer for the folder), and
checks.literal_tokenizer_json_mismatch: the sentences where the `tokenizers` library reading tokenizer.json
literally gives other ids (what gpuembed would give if it followed the file rather than sentence-transformers).

NomicBERT: sentence-transformers needs the authors' remote code (modeling_hf_nomic_bert.py, trust_remote_code),
which this repository does not ship and this generator cannot fetch; nomic-random's reference is instead
nomic_forward() below, the model's published math written out in torch (float32, one text at a time, then padded
batches as a cross-check), with transformers' AutoTokenizer for the ids and sentence-transformers' prompt handling
(the prompt string prepended to the text, its tokens pooled).
"""
import json, os, sys

import numpy as np
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer

EXTRA = ["   ", "\t\n", "  leading spaces", "trailing spaces   ", "runs   of    spaces", "tabs\tand\nnewlines\r\nhere",
         "Ünïcödé Straße naïve — 東京タワー 서울 Москва", " ", "x"]

MODELS = {  # name -> number of sentences (the real model's file is kept smaller)
    "xlmr-random": None,
    "xlmr-old-random": None,
    "mpnet-random": None,
    "all-mpnet-base-v2": 40,
    "modernbert-random": None,
    "qwen3-random": None,
    "gemma3-random": None,
}


def f32(x):
    return [float(v) for v in np.asarray(x, dtype=np.float32).ravel()]


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def rotate(x, cos, sin):
    """GPT-NeoX rotary on x [batch, seq, heads, dim]: halves (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1)


def nomic_forward(w, cfg, ids, mask):
    """NomicBERT (post-norm, rotary, SwiGLU, no biases) on ids [batch, seq] -> last hidden state, float32."""
    H, heads = cfg["n_embd"], cfg["n_head"]
    hd = H // heads
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["emb_ln.weight"], w["emb_ln.bias"], cfg["layer_norm_epsilon"])
    B, S = ids.shape
    dim = hd * cfg["rotary_emb_fraction"]
    inv_freq = 1.0 / (float(cfg["rotary_emb_base"]) ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    freqs = torch.outer(torch.arange(S, dtype=torch.float32), inv_freq)
    cos, sin = torch.cos(freqs), torch.sin(freqs)
    bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for l in range(cfg["n_layer"]):
        p = "encoder.layers.%d." % l
        qkv = (x @ w[p + "attn.Wqkv.weight"].T).view(B, S, 3, heads, hd)
        q, k, v = rotate(qkv[:, :, 0], cos, sin), rotate(qkv[:, :, 1], cos, sin), qkv[:, :, 2]
        q, k, v = (t.permute(0, 2, 1, 3) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) / torch.sqrt(torch.tensor(float(hd))) + bias
        ctx = (torch.softmax(scores, dim=-1) @ v).permute(0, 2, 1, 3).reshape(B, S, H)
        x = layer_norm(ctx @ w[p + "attn.out_proj.weight"].T + x, w[p + "norm1.weight"], w[p + "norm1.bias"],
                       cfg["layer_norm_epsilon"])
        gate, value = x @ w[p + "mlp.fc12.weight"].T, x @ w[p + "mlp.fc11.weight"].T
        y = (value * torch.nn.functional.silu(gate)) @ w[p + "mlp.fc2.weight"].T
        x = layer_norm(y + x, w[p + "norm2.weight"], w[p + "norm2.bias"], cfg["layer_norm_epsilon"])
    return x


def nomic_golden(d, name, sentences, golden_dir):
    from safetensors.torch import load_file
    cfg = json.load(open(os.path.join(d, "config.json")))
    w = load_file(os.path.join(d, "model.safetensors"))
    tok = transformers.AutoTokenizer.from_pretrained(d)
    prompts = json.load(open(os.path.join(d, "config_sentence_transformers.json")))["prompts"]
    max_len = json.load(open(os.path.join(d, "sentence_bert_config.json")))["max_seq_length"]

    def embed(texts, batched):
        enc = tok(texts, padding=True, truncation=True, max_length=max_len, return_tensors="pt")
        with torch.no_grad():
            if batched:
                hidden = nomic_forward(w, cfg, enc["input_ids"], enc["attention_mask"])
            else:
                hidden = torch.cat([nomic_forward(w, cfg, enc["input_ids"][i:i + 1, :int(enc["attention_mask"][i].sum())],
                                                  enc["attention_mask"][i:i + 1, :int(enc["attention_mask"][i].sum())])
                                    .sum(1) for i in range(len(texts))])
                counts = enc["attention_mask"].sum(1, keepdim=True).float()
                return torch.nn.functional.normalize(hidden / counts, dim=-1).numpy(), enc, None
        m = enc["attention_mask"][..., None].float()
        pooled = (hidden * m).sum(1) / m.sum(1)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy(), enc, hidden

    emb, enc, _ = embed(sentences, batched=False)
    batched, _, _ = embed(sentences, batched=True)
    rows = []
    for i, t in enumerate(sentences):
        ids = [int(v) for v, m in zip(enc["input_ids"][i], enc["attention_mask"][i]) if m]
        rows.append({"text": t, "input_ids": ids, "tokens": tok.convert_ids_to_tokens(ids), "embedding": f32(emb[i])})
    token_embeddings = []
    for t in sentences[:4]:
        e = tok([t], truncation=True, max_length=max_len, return_tensors="pt")
        with torch.no_grad():
            h = nomic_forward(w, cfg, e["input_ids"], e["attention_mask"])[0]
        token_embeddings.append({"text": t, "token_embeddings": [f32(r) for r in h.numpy()]})
    prompted = {}
    for pname in ("query", "document"):
        pe, _, _ = embed([prompts[pname] + t for t in sentences[:12]], batched=False)
        prompted[pname] = {"prompt": prompts[pname], "embeddings": [f32(r) for r in pe]}
    out = {
        "model": name, "set": "shared",
        "reference": "tools/golden_families.py nomic_forward(): NomicBERT's published math in torch, float32, one "
                     "text at a time; mean pooling over the attention mask, L2 normalize (sentence-transformers' "
                     "Pooling + Normalize); transformers AutoTokenizer ids",
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__},
        "model_type": cfg["model_type"], "max_seq_length": max_len, "dim": int(emb.shape[1]),
        "checks": {"max_abs_diff_batched_vs_single": float(np.abs(batched - emb).max())},
        "sentences": rows, "token_embeddings": token_embeddings, "prompted_first_12": prompted,
    }
    path = os.path.join(golden_dir, name + ".shared.json")
    with open(path, "w") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(name, len(sentences), "sentences (torch reference forward) ->", path)


def main(models_dir, golden_dir, only=()):
    torch.manual_seed(0)
    base = json.load(open(os.path.join(golden_dir, "minilm-l6-random.shared.json")))
    sentences = [s["text"] for s in base["sentences"]] + EXTRA
    if os.path.isdir(os.path.join(models_dir, "nomic-random")) and (not only or "nomic-random" in only):
        nomic_golden(os.path.join(models_dir, "nomic-random"), "nomic-random", sentences, golden_dir)
    for name, limit in MODELS.items():
        if only and name not in only:
            continue
        d = os.path.join(models_dir, name)
        if not os.path.isdir(d):
            print("skipping", name, "(no folder)")
            continue
        texts = sentences[:limit] if limit else sentences
        if limit:
            texts = texts[:limit - len(EXTRA)] + EXTRA
        model = SentenceTransformer(d, device="cpu")
        tok = model.tokenizer
        literal = tokenizers.Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        literal.no_padding()
        literal.no_truncation()
        emb = model.encode(texts, batch_size=16, convert_to_numpy=True).astype(np.float32)
        single = np.stack([model.encode([t], convert_to_numpy=True)[0] for t in texts])
        rows, mismatch = [], []
        for i, t in enumerate(texts):
            ids = model.tokenize([t])["input_ids"][0].tolist()
            lit = literal.encode(t).ids
            if len(lit) > model.max_seq_length:
                lit = lit[:model.max_seq_length - 1] + [lit[-1]]
            if lit != ids:
                mismatch.append(i)
            rows.append({"text": t, "input_ids": ids, "tokens": tok.convert_ids_to_tokens(ids), "embedding": f32(emb[i])})
        prompted = {}
        for pname in model.prompts:
            if model.prompts[pname]:
                pe = model.encode(texts[:12], batch_size=4, prompt_name=pname, convert_to_numpy=True)
                prompted[pname] = {"prompt": model.prompts[pname], "embeddings": [f32(r) for r in pe]}
        token_embeddings = []
        for t in texts[:4]:
            te = model.encode([t], output_value="token_embeddings", convert_to_numpy=False)[0]
            token_embeddings.append({"text": t, "token_embeddings": [f32(r) for r in te.float().numpy()]})
        cfg = json.load(open(os.path.join(d, "config.json")))
        out = {
            "model": name, "set": "shared",
            "reference": "SentenceTransformer(dir, device='cpu').encode(sentences, batch_size=16), float32",
            "versions": {"sentence_transformers": sentence_transformers.__version__,
                         "transformers": transformers.__version__, "torch": torch.__version__,
                         "tokenizers": tokenizers.__version__},
            "model_type": cfg["model_type"], "max_seq_length": model.max_seq_length,
            "dim": int(emb.shape[1]), "tokenizer_class": type(tok).__name__,
            "checks": {"max_abs_diff_batched_vs_single": float(np.abs(emb - single).max()),
                       "literal_tokenizer_json_mismatch": mismatch},
            "sentences": rows, "token_embeddings": token_embeddings,
        }
        if prompted:
            out["prompted_first_12"] = prompted
        path = os.path.join(golden_dir, name + ".shared.json")
        with open(path, "w") as f:
            json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        print(name, len(texts), "sentences; literal tokenizer.json differs on", mismatch, "->", path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])

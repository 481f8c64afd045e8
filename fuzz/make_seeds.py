#!/usr/bin/env python3
"""Builds the libFuzzer seed corpora from tests/ (golden/, models/) and the generated models into OUT/<target>/.

  fuzz/make_seeds.py OUT [--shared tests] [--models .cache/models]

Seeds: safetensors files made from tiny-bert-cls's header (the real header truncated, and small valid files with the
same tensor names in F32/F16/BF16 shaped for the tiny config the fuzz target binds), the models' config/modules/
pooling/sentence_bert JSON (joined with NUL bytes, as fuzz_model_spec splits them), reduced copies of the real
all-MiniLM-L6-v2 tokenizer.json / vocab.txt (the 466 KB originals would make every execution slow) plus the
special-token and template variants, and the 80 golden sentences (with a max_length byte in front) for fuzz_tokenize.
"""
import argparse
import json
import os
import struct

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "tests"))
p.add_argument("--models", default=os.path.join(os.path.dirname(__file__), "..", ".cache", "models"))
a = p.parse_args()
real = os.path.join(a.shared, "models", "all-MiniLM-L6-v2")


def put(target, name, data):
    d = os.path.join(a.out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


# --- safetensors -------------------------------------------------------------------------------------------------
def safetensors(tensors, meta=True):
    """tensors: list of (name, dtype, shape, bytes)."""
    header, data = {}, b""
    if meta:
        header["__metadata__"] = {"format": "pt"}
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def tiny_bert(dtype, prefix=""):
    # The tensor names of tiny-bert-cls, shaped for fuzz_safetensors' config: hidden 4, 1 layer, FFN 8, 16 tokens,
    # 8 positions, 2 token types.
    H, F, V, P = 4, 8, 16, 8
    size = {"F32": 4, "F16": 2, "BF16": 2}[dtype]
    shapes = {"embeddings.word_embeddings.weight": [V, H], "embeddings.position_embeddings.weight": [P, H],
              "embeddings.token_type_embeddings.weight": [2, H], "embeddings.LayerNorm.weight": [H],
              "embeddings.LayerNorm.bias": [H]}
    for n in ["query", "key", "value"]:
        shapes[f"encoder.layer.0.attention.self.{n}.weight"] = [H, H]
        shapes[f"encoder.layer.0.attention.self.{n}.bias"] = [H]
    shapes.update({"encoder.layer.0.attention.output.dense.weight": [H, H],
                   "encoder.layer.0.attention.output.dense.bias": [H],
                   "encoder.layer.0.attention.output.LayerNorm.weight": [H],
                   "encoder.layer.0.attention.output.LayerNorm.bias": [H],
                   "encoder.layer.0.intermediate.dense.weight": [F, H], "encoder.layer.0.intermediate.dense.bias": [F],
                   "encoder.layer.0.output.dense.weight": [H, F], "encoder.layer.0.output.dense.bias": [H],
                   "encoder.layer.0.output.LayerNorm.weight": [H], "encoder.layer.0.output.LayerNorm.bias": [H]})
    out = []
    for i, (n, s) in enumerate(shapes.items()):
        numel = 1
        for d in s:
            numel *= d
        raw = bytes(((i * 7 + k) * 13) % 251 for k in range(numel * size))
        out.append((prefix + n, dtype, s, raw))
    return out


tiny_st = os.path.join(a.models, "tiny-bert-cls", "model.safetensors")
if os.path.exists(tiny_st):
    with open(tiny_st, "rb") as f:
        head = f.read(8)
        n = struct.unpack("<Q", head)[0]
        hdr = f.read(n)
        rest = f.read(4096)
    put("fuzz_safetensors", "tiny_header_truncated", head + hdr + rest[:512])  # offsets point past the end
    put("fuzz_safetensors", "tiny_header_only", head + hdr)
for dt in ["F32", "F16", "BF16"]:
    put("fuzz_safetensors", f"tiny_{dt.lower()}", safetensors(tiny_bert(dt)))
put("fuzz_safetensors", "tiny_f32_bert_prefix", safetensors(tiny_bert("F32", "bert."), meta=False))
put("fuzz_safetensors", "scalars", safetensors([("a", "F64", [], b"\0" * 8), ("b", "I64", [0], b""),
                                                ("c", "U8", [3], b"abc"), ("d", "BOOL", [1], b"\1")]))
put("fuzz_safetensors", "empty_header", struct.pack("<Q", 2) + b"{}")

# --- model spec ----------------------------------------------------------------------------------------------------
def spec_parts(folder):
    def r(*p):
        path = os.path.join(folder, *p)
        return read(path) if os.path.exists(path) else ""
    mods = r("modules.json")
    pool_dir = "1_Pooling"
    for m in json.loads(mods) if mods else []:
        if "Pooling" in m.get("type", ""):
            pool_dir = m.get("path", pool_dir)
    return [r("config.json"), mods, r(pool_dir, "config.json"), r("sentence_bert_config.json")]


for name, folder in [("minilm_real", real), ("minilm_random", os.path.join(a.models, "minilm-l6-random")),
                     ("tiny_bert_cls", os.path.join(a.models, "tiny-bert-cls"))]:
    if os.path.isdir(folder):
        parts = spec_parts(folder)
        put("fuzz_model_spec", name, "\0".join(parts))
        put("fuzz_model_spec", name + "_config_only", parts[0])
        pool = json.loads(parts[2]) if parts[2] else {}
        pool.pop("pooling_mode_mean_tokens", None)
        pool["pooling_mode"] = "max"
        put("fuzz_model_spec", name + "_mode_string", "\0".join([parts[0], parts[1], json.dumps(pool), parts[3]]))

# --- tokenizers ----------------------------------------------------------------------------------------------------
tj = json.loads(read(os.path.join(real, "tokenizer.json")))
vocab_items = sorted(tj["model"]["vocab"].items(), key=lambda kv: kv[1])
keep = [kv for kv in vocab_items if kv[1] < 110 or kv[0] in
        {"the", "quick", "brown", "fox", "un", "##aff", "##able", "hello", "world", ",", "!", ".", "a", "b", "##s",
         "vu", "deja", "中", "文", "##ing", "run"}]
small = dict(tj)
small["model"] = dict(tj["model"], vocab=dict(keep))
put("fuzz_tokenizer_json", "minilm_small_vocab", json.dumps(small, ensure_ascii=False, indent=1))
compact = dict(small)
for k in ["truncation", "padding", "decoder", "version"]:
    compact.pop(k, None)
put("fuzz_tokenizer_json", "minilm_small_compact", json.dumps(compact, ensure_ascii=False, separators=(",", ":")))
bp = dict(compact, post_processor={"type": "BertProcessing", "sep": ["[SEP]", 102], "cls": ["[CLS]", 101]})
put("fuzz_tokenizer_json", "bert_processing", json.dumps(bp, separators=(",", ":")))
added = dict(compact, added_tokens=compact["added_tokens"] + [
    {"id": 105, "content": "<x>", "special": False, "single_word": True, "lstrip": True, "rstrip": True,
     "normalized": True},
    {"id": 106, "content": "AB", "special": True, "single_word": False, "lstrip": False, "rstrip": False,
     "normalized": False}])
put("fuzz_tokenizer_json", "added_tokens_variants", json.dumps(added, separators=(",", ":")))
nonorm = dict(compact, normalizer=None, post_processor=None)
put("fuzz_tokenizer_json", "no_normalizer_no_template", json.dumps(nonorm, separators=(",", ":")))
# Three special tokens in the template: encode(text, 2) must throw, which the fuzz check once mistook for a bug.
three = dict(compact, post_processor=dict(compact["post_processor"], single=[
    {"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
    {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}]))
put("fuzz_tokenizer_json", "template_three_specials", json.dumps(three, separators=(",", ":")))

# The other tokenizer shapes (tests/data/tokenizers): BPE files whole; XLM-R with a reduced vocabulary and without
# its 240 KB charsmap, which fuzz_charsmap takes (with a text after a NUL).
import base64  # noqa: E402

shapes = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "tokenizers")
for name in ["modernbert", "roberta", "qwen3", "gemma"]:
    put("fuzz_tokenizer_json", name, read(os.path.join(shapes, name + ".json")))
xlmr = json.loads(read(os.path.join(shapes, "xlmr.json")))
charsmap = base64.b64decode(xlmr["normalizer"]["normalizers"][0]["precompiled_charsmap"])
put("fuzz_charsmap", "xlmr_nmt_nfkc", charsmap + "\0Ｈｅｌｌｏ  wörld ﬁ \u3000 Ａ\u0301 ①".encode())
xlmr["model"]["vocab"] = xlmr["model"]["vocab"][:60]
xlmr["added_tokens"] = [t for t in xlmr["added_tokens"] if t["id"] < 60]
xlmr["normalizer"]["normalizers"] = xlmr["normalizer"]["normalizers"][1:]  # the charsmap has its own target
put("fuzz_tokenizer_json", "xlmr_small", json.dumps(xlmr, ensure_ascii=False, separators=(",", ":")))

vocab_lines = read(os.path.join(real, "vocab.txt")).split("\n")
small_vocab = "\n".join(vocab_lines[:110] + ["the", "quick", "brown", "fox", "un", "##aff", "##able", "hello",
                                              "world", ",", "!", "."]) + "\n"
tok_cfg = read(os.path.join(real, "tokenizer_config.json"))
put("fuzz_vocab", "minilm_small_with_config", small_vocab + "\0" + tok_cfg)
put("fuzz_vocab", "minilm_small_no_config", small_vocab)
put("fuzz_vocab", "crlf_with_decoder", small_vocab.replace("\n", "\r\n") + "\0" + json.dumps({
    "do_lower_case": False, "strip_accents": True,
    "added_tokens_decoder": {"0": {"content": "[PAD]", "special": True}, "100": {"content": "[UNK]", "special": True},
                             "101": {"content": "[CLS]", "special": True},
                             "102": {"content": "[SEP]", "special": True},
                             "103": {"content": "<m>", "special": False, "normalized": True}}}))

# --- tokenize: golden sentences --------------------------------------------------------------------------------
seen = set()
for g in sorted(os.listdir(os.path.join(a.shared, "golden"))):
    if not g.endswith(".json"):
        continue
    data = json.loads(read(os.path.join(a.shared, "golden", g)))
    for i, s in enumerate(data.get("sentences", [])):
        text = s if isinstance(s, str) else s["text"]  # st-features.json lists plain strings
        if text in seen:
            continue
        seen.add(text)
        raw = text.encode("utf-8", "surrogatepass")
        put("fuzz_tokenize", f"golden_{len(seen):03d}", bytes([0]) + raw)
        put("fuzz_tokenize", f"golden_{len(seen):03d}_trunc", bytes([1 + i % 16]) + raw)
put("fuzz_tokenize", "invalid_utf8", b"\x05a\xffb\xc3\x28 \xe2\x82 \xf0\x9f\x98 [SEP] [CLS]x\x00y")

n = sum(len(fs) for _, _, fs in os.walk(a.out))
print(f"seed corpora: {n} files in {a.out}")

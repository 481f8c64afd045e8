#!/usr/bin/env python3
"""Ids that transformers 5 (AutoTokenizer, XLMRobertaTokenizer rebuilt from its class) gives for the texts of
tests/data/tokenizers/xlmr.golden.jsonl, from either XLM-R tokenizer.json shape (they agree), written to
xlmr.transformers5.golden.jsonl.   py=$(scripts/pyref_env.sh); $py tools/gen_xlmr_transformers5_ids.py"""
import json, os, shutil, sys, tempfile
import transformers
src = "tests/data/tokenizers"
texts = [json.loads(l)["text"] for l in open(os.path.join(src, "xlmr.golden.jsonl"))]
res = {}
for shape in ("xlmr", "xlmr_old"):
    d = tempfile.mkdtemp()
    shutil.copyfile(os.path.join(src, shape + ".json"), os.path.join(d, "tokenizer.json"))
    json.dump({"tokenizer_class": "XLMRobertaTokenizer"}, open(os.path.join(d, "tokenizer_config.json"), "w"))
    tok = transformers.AutoTokenizer.from_pretrained(d)
    res[shape] = [tok(t)["input_ids"] for t in texts]
print("shapes agree:", res["xlmr"] == res["xlmr_old"], type(tok).__name__, transformers.__version__)
lit = [json.loads(l)["ids"] for l in open(os.path.join(src, "xlmr.golden.jsonl"))]
print("differs from literal new shape:", sum(a != b for a, b in zip(lit, res["xlmr"])))
with open(os.path.join(src, "xlmr.transformers5.golden.jsonl"), "w") as f:
    for t, ids in zip(texts, res["xlmr_old"]):
        f.write(json.dumps({"text": t, "ids": ids}) + "\n")

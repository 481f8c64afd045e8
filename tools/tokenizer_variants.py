#!/usr/bin/env python3
"""Writes variants of the stored test tokenizers into OUT_DIR, one per option the real-shaped files do not cover
(Metaspace "first"/"never", NFKC/NFD/Lowercase/Strip/StripAccents/Replace/Prepend, BertNormalizer in the general
pipeline, Whitespace/Digits/Punctuation, every Split behavior with and without invert, ignore_merges, BPE without
byte_fallback, WordPiece through the general pipeline, WordLevel), for tools/tokenizer_diff.py.

  py=$(scripts/pyref_env.sh); $py tools/tokenizer_variants.py OUT_DIR [--minilm PATH]
"""
import argparse
import copy
import json
import os

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--minilm", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "models",
                                                "all-MiniLM-L6-v2", "tokenizer.json"))
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
D = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "tokenizers")


def load(name):
    with open(os.path.join(D, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def save(name, j):
    with open(os.path.join(a.out, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(j, f, ensure_ascii=False)


x, b, g = load("xlmr"), load("modernbert"), load("gemma")
v=copy.deepcopy(x); v['pre_tokenizer']={"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":False}; save('meta_first_nosplit', v)
v=copy.deepcopy(x); v['pre_tokenizer']={"type":"Sequence","pretokenizers":[{"type":"WhitespaceSplit"},{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":True}]}; save('meta_first_ws', v)
v=copy.deepcopy(x); v['pre_tokenizer']={"type":"Metaspace","replacement":"▁","prepend_scheme":"never","split":True}; save('meta_never', v)
v=copy.deepcopy(b); v['normalizer']={"type":"Sequence","normalizers":[{"type":"NFKC"},{"type":"Lowercase"},{"type":"Strip","strip_left":True,"strip_right":True}]}; v['added_tokens']=[t for t in v['added_tokens'] if not t['normalized']]; save('bpe_nfkc_lower', v)
v=copy.deepcopy(g); v['normalizer']={"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},{"type":"Replace","pattern":{"String":" "},"content":"▁"}]}; save('gemma_prepend', v)
v=copy.deepcopy(b); v['normalizer']={"type":"Sequence","normalizers":[{"type":"NFD"},{"type":"StripAccents"},{"type":"Replace","pattern":{"String":"e"},"content":"E"}]}; save('bpe_nfd_strip', v)
v=copy.deepcopy(b); v['normalizer']={"type":"BertNormalizer","clean_text":True,"handle_chinese_chars":True,"strip_accents":None,"lowercase":True}; v['pre_tokenizer']={"type":"Sequence","pretokenizers":[{"type":"Whitespace"},{"type":"Digits","individual_digits":False},{"type":"Punctuation","behavior":"Contiguous"},{"type":"ByteLevel","add_prefix_space":False,"use_regex":False,"trim_offsets":True}]}; save('bpe_bert_ws', v)
for beh in ["Removed","MergedWithPrevious","MergedWithNext","Contiguous"]:
  for inv in [False, True]:
    v=copy.deepcopy(b); v['pre_tokenizer']={"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\s+|\\p{P}"},"behavior":beh,"invert":inv},{"type":"Digits","individual_digits":True},{"type":"ByteLevel","add_prefix_space":True,"use_regex":True,"trim_offsets":True}]}; save(f'split_{beh}_{inv}', v)
v=copy.deepcopy(b); v['model']['ignore_merges']=True; save('bpe_ignore_merges', v)
v=copy.deepcopy(g); v['model']['byte_fallback']=False; v['model']['fuse_unk']=False; save('gemma_nofallback', v)
if os.path.exists(a.minilm):
    with open(a.minilm, encoding="utf-8") as f:
        m = json.load(f)
    v = copy.deepcopy(m); v['normalizer']={"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"BertNormalizer","clean_text":True,"handle_chinese_chars":True,"strip_accents":True,"lowercase":False}]}; save('wordpiece_pipeline', v)
    v = copy.deepcopy(m); v['pre_tokenizer']={"type":"Whitespace"}; save('wordpiece_ws', v)
    voc={t:i for t,i in m['model']['vocab'].items() if '#' not in t}
    v = copy.deepcopy(m); v['model']={"type":"WordLevel","vocab":voc,"unk_token":"[UNK]"}; save('wordlevel', v)

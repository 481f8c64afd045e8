#!/usr/bin/env python3
"""Trains small real-shaped tokenizers and writes their tokenizer.json files to tests/data/tokenizers/.

  py=$(scripts/pyref_env.sh); $py tools/gen_test_tokenizers.py [--out tests/data/tokenizers]

Each is trained on a synthetic multilingual corpus (fixed seed) and converted with transformers' own converters, so
the files have exactly the shape the hub's files have:
  xlmr          SentencePiece Unigram -> XLMRobertaConverter (Precompiled + Replace, WhitespaceSplit + Metaspace)
  xlmr_old      the same model in the older hub shape (Precompiled alone, Metaspace with add_prefix_space)
  modernbert    byte-level BPE (tokenizers trainer) -> GPT2Converter, with ModernBERT's [CLS] $A [SEP] template
  roberta       the same BPE with add_prefix_space and RobertaProcessing (distilroberta-style)
  qwen3         the same BPE -> Qwen2Converter (NFC, regex Split, ByteLevel without regex), Qwen3-Embedding's
                "$A <|endoftext|>" template
  gemma         SentencePiece BPE with byte_fallback -> GemmaConverter, EmbeddingGemma's "<bos> $A <eos>" template
Also <name>.golden.jsonl: 100 random texts (tools/random_texts.py, fixed seed) with HF's ids, for the unit test.
Versions: tokenizers 0.23.2, sentencepiece 0.2.1, transformers 5.17.0 (scripts/pyref_env.sh).
"""
import argparse
import json
import os
import random
import tempfile

import sentencepiece as spm
import transformers.convert_slow_tokenizer as conv

p = argparse.ArgumentParser()
p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "data", "tokenizers"))
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
rng = random.Random(1234)

# --- corpus: English-like words plus words in other scripts, with punctuation and digits -------------------------
EN = ("the of and to in is was for on that with as by at from his it an were are which this be or has had first "
      "one their its new after who they two her she been other when there all during into school time may years "
      "more most only over city some world would where later up such used many can state about national out known "
      "university united then made embedding sentence model token vector search quick brown fox jumps lazy dog "
      "running runner ran unaffable affable playing played player hello goodbye").split()
SCRIPTS = [(0x0430, 0x044F), (0x03B1, 0x03C9), (0x05D0, 0x05EA), (0x0627, 0x064A), (0x0905, 0x0939),
           (0x4E00, 0x4E80), (0x3041, 0x3093), (0xAC00, 0xAC80), (0x0E01, 0x0E2E), (0x00E0, 0x00FF)]


def word():
    if rng.random() < 0.6:
        w = rng.choice(EN)
        return w.capitalize() if rng.random() < 0.15 else w
    lo, hi = rng.choice(SCRIPTS)
    return "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 6)))


def sentence():
    out = []
    for _ in range(rng.randint(3, 16)):
        w = word()
        r = rng.random()
        if r < 0.08:
            w += rng.choice(",.!?;:")
        elif r < 0.12:
            w = str(rng.randint(0, 5000))
        out.append(w)
    return " ".join(out)


corpus = [sentence() for _ in range(6000)]
tmp = tempfile.mkdtemp()
corpus_path = os.path.join(tmp, "corpus.txt")
with open(corpus_path, "w", encoding="utf-8") as f:
    f.write("\n".join(corpus) + "\n")


class SlowShim:
    """What transformers' converters read from a slow tokenizer: the .model path and the special tokens."""

    def __init__(self, vocab_file, sp, **tokens):
        self.vocab_file = vocab_file
        self.sp = sp
        self.__dict__.update(tokens)
        self.added_tokens_decoder = {}

    def convert_tokens_to_ids(self, t):
        fixed = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
        return fixed.get(t, self.sp.piece_to_id(t) + 1)


def write(name, tok, specials):
    for s in specials:
        tok.add_special_tokens([s])
    path = os.path.join(a.out, name + ".json")
    tok.save(path, pretty=False)
    print(name, os.path.getsize(path), "bytes")
    return path


# --- XLM-R: SentencePiece Unigram with the nmt_nfkc charsmap --------------------------------------------------------
prefix = os.path.join(tmp, "unigram")
spm.SentencePieceTrainer.train(input=corpus_path, model_prefix=prefix, vocab_size=1000, model_type="unigram",
                               character_coverage=0.995, normalization_rule_name="nmt_nfkc",
                               num_threads=1, minloglevel=2)
sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
shim = SlowShim(prefix + ".model", sp, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
                mask_token="<mask>", add_prefix_space=True, legacy=True)
xlmr = conv.XLMRobertaConverter(shim).converted()
from tokenizers import AddedToken  # noqa: E402

xlmr_specials = [AddedToken(t, special=True, normalized=False) for t in ["<s>", "<pad>", "</s>", "<unk>"]]
xlmr_specials.append(AddedToken("<mask>", special=True, lstrip=True, normalized=False))
write("xlmr", xlmr, xlmr_specials)

# The older hub files (e.g. paraphrase-multilingual, multilingual-e5): Precompiled alone and Metaspace with
# add_prefix_space, written by tokenizers 0.13/0.14. tokenizers 0.23 still reads that shape.
j = json.loads(xlmr.to_str())
norm = j["normalizer"]
j["normalizer"] = next(n for n in norm["normalizers"] if n["type"] == "Precompiled") if norm["type"] == "Sequence" else norm
j["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}
from tokenizers import Tokenizer  # noqa: E402

old = Tokenizer.from_str(json.dumps(j))
path = os.path.join(a.out, "xlmr_old.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump(j, f, ensure_ascii=False, separators=(",", ":"))
print("xlmr_old", os.path.getsize(path), "bytes")

# --- byte-level BPE (tokenizers' trainer) --------------------------------------------------------------------------
from tokenizers import models, pre_tokenizers, processors, trainers  # noqa: E402

bl = Tokenizer(models.BPE())
bl.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
bl.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=1200, show_progress=False,
                                                   initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
bj = json.loads(bl.to_str())
vocab = bj["model"]["vocab"]
merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in bj["model"]["merges"]]


class BpeShim:
    def __init__(self, **kw):
        self.encoder = dict(vocab)
        self.bpe_ranks = {m: i for i, m in enumerate(merges)}
        self.__dict__.update(kw)


def with_specials(tok, names, start):
    for k, n in enumerate(names):
        tok.add_special_tokens([AddedToken(n, special=True, normalized=False)])
    return tok


# ModernBERT: GPT-2 byte-level BPE, specials appended, [CLS] $A [SEP] (its files also carry normalized added tokens).
mb = conv.GPT2Converter(BpeShim(add_prefix_space=False)).converted()
n = len(vocab)
mb.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ["[UNK]", "[CLS]", "[SEP]", "[PAD]"]])
mb.add_special_tokens([AddedToken("[MASK]", special=True, lstrip=True, normalized=False)])
mb.add_tokens([AddedToken("|||EMAIL_ADDRESS|||", normalized=True), AddedToken("  ", normalized=True)])
mb.post_processor = processors.TemplateProcessing(single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
                                                  special_tokens=[("[CLS]", mb.token_to_id("[CLS]")),
                                                                  ("[SEP]", mb.token_to_id("[SEP]"))])
write("modernbert", mb, [])

rb = conv.GPT2Converter(BpeShim(add_prefix_space=True)).converted()
rb.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ["<s>", "<pad>", "</s>", "<unk>"]])
rb.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True, normalized=False)])
rb.post_processor = processors.RobertaProcessing(("</s>", rb.token_to_id("</s>")), ("<s>", rb.token_to_id("<s>")),
                                                 add_prefix_space=True)
write("roberta", rb, [])

qw = conv.Qwen2Converter(BpeShim(add_prefix_space=False)).converted()
qw.add_special_tokens([AddedToken(t, special=True, normalized=False)
                       for t in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]])
qw.add_tokens([AddedToken("<think>", special=False, normalized=False)])
qw.post_processor = processors.TemplateProcessing(single="$A:0 <|endoftext|>:0", pair="$A:0 <|endoftext|>:0 $B:1 <|endoftext|>:1",
                                                  special_tokens=[("<|endoftext|>", qw.token_to_id("<|endoftext|>"))])
write("qwen3", qw, [])

# --- Gemma: SentencePiece BPE with byte fallback --------------------------------------------------------------------
prefix = os.path.join(tmp, "spbpe")
spm.SentencePieceTrainer.train(input=corpus_path, model_prefix=prefix, vocab_size=1200, model_type="bpe",
                               character_coverage=0.995, byte_fallback=True, split_digits=True,
                               allow_whitespace_only_pieces=True, normalization_rule_name="identity",
                               pad_id=0, eos_id=1, bos_id=2, unk_id=3, num_threads=1, minloglevel=2)
sp2 = spm.SentencePieceProcessor(model_file=prefix + ".model")
gshim = SlowShim(prefix + ".model", sp2, bos_token="<bos>", eos_token="<eos>", unk_token="<unk>", pad_token="<pad>",
                 add_prefix_space=False, legacy=False)
gshim.convert_tokens_to_ids = lambda t: {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3}.get(t, sp2.piece_to_id(t))


class GemmaExtractor(conv.GemmaSentencePieceExtractor):
    """transformers 5.17's GemmaSentencePieceExtractor reads self.sp, which its base class no longer sets."""

    def __init__(self, model):
        super().__init__(model)
        self.sp = spm.SentencePieceProcessor(model_file=model)


class GemmaConverterFixed(conv.GemmaConverter):
    SpmExtractor = GemmaExtractor


gm = GemmaConverterFixed(gshim).converted()
gm.post_processor = processors.TemplateProcessing(single="<bos>:0 $A:0 <eos>:0", pair="<bos>:0 $A:0 <eos>:0 $B:1 <eos>:1",
                                                  special_tokens=[("<bos>", 2), ("<eos>", 1)])
write("gemma", gm, [AddedToken(t, special=True, normalized=False) for t in ["<pad>", "<eos>", "<bos>", "<unk>"]])

# --- golden ids ---------------------------------------------------------------------------------------------------
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from random_texts import text as random_text  # noqa: E402

for name in ["xlmr", "xlmr_old", "modernbert", "roberta", "qwen3", "gemma"]:
    tok = Tokenizer.from_file(os.path.join(a.out, name + ".json"))
    tok.no_truncation()
    tok.no_padding()
    added = [t.content for t in tok.get_added_tokens_decoder().values()]
    grng = random.Random("golden:" + name)
    with open(os.path.join(a.out, name + ".golden.jsonl"), "w", encoding="utf-8") as f:
        for _ in range(100):
            t = random_text(grng, added)
            f.write(json.dumps({"text": t, "ids": tok.encode(t).ids}) + "\n")

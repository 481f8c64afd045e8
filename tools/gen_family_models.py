#!/usr/bin/env python3
"""Random-weight sentence-transformers folders of the model families beyond BERT (stdlib only, deterministic).

Each has its family's real config shape with fewer layers (and for MPNet a smaller hidden size), a real-shaped
tokenizer, and the weights of tools/gen_model.py's generator (seeded by tensor name):
  xlmr-random      paraphrase-multilingual-MiniLM-L12-v2's shape (hidden 384, 12 heads, FFN 1536, 514 positions,
                   one token type, pad_token_id 1) with 2 layers; the 1002-piece Unigram tokenizer
                   tests/data/tokenizers/xlmr.json; mean pooling, max_seq_length 128
  xlmr-old-random  the same weights with the older hub shape of that tokenizer (xlmr_old.json); mean pooling and
                   Normalize as multilingual-e5 does, max_seq_length 512
  mpnet-random     all-mpnet-base-v2's shape (head dim 64, FFN 4 x hidden, 514 positions, 32 relative buckets,
                   vocab 30527) with 2 layers of hidden 256 (4 heads); the real all-mpnet-base-v2 tokenizer
                   (tests/models/all-mpnet-base-v2); mean pooling, Normalize, max_seq_length 384
  nomic-random     nomic-embed-text-v1.5's shape (rotary base 1000 over the whole head, SwiGLU, no biases, 8192
                   positions, vocab 30528, 2 token types) with 2 layers of hidden 256 (4 heads of 64, FFN 1024); the
                   BERT uncased tokenizer it uses (tests/models/all-MiniLM-L6-v2); mean pooling, Normalize,
                   the search_query / search_document / classification / clustering prompts, max_seq_length 8192
  modernbert-random  ModernBERT-base's shape (head dim 64, FFN 1.5 x hidden, GeGLU, no biases, rotary 160000 in the
                   global layers (every third from the first) and 10000 in the 128-token sliding-window ones, 8192
                   positions) with 4 layers of hidden 256; the byte-level BPE tokenizer tests/data/tokenizers/
                   modernbert.json; mean pooling, Normalize, max_seq_length 512 (long texts cross the window)
  qwen3-random     Qwen3-Embedding-0.6B's shape (grouped-query attention with 2 query heads per key/value head, head
                   dim 128 apart from hidden / heads, q/k RMSNorm, rope theta 1e6, SwiGLU, no biases, causal) with 2
                   layers of hidden 256 (4 query heads); the byte-level BPE tokenizer tests/data/tokenizers/qwen3.json
                   ("<|endoftext|>" appended); last-token pooling, Normalize, its query instruction prompt
  gemma3-random    EmbeddingGemma-300m's shape (bidirectional Gemma3 layers: 3 query heads on 1 key/value head of
                   256, (1 + w) RMSNorms before and after attention and FFN, q/k norm, GeGLU with the tanh GELU,
                   embeddings x sqrt(hidden), query_pre_attn_scalar 256, rope 1e6 in full layers and 10000 in sliding
                   ones) with 3 layers of hidden 192 (sliding, sliding, full) and a 64-token window (512 in the real
                   model) so the test texts cross it; the SentencePiece-BPE tokenizer tests/data/tokenizers/gemma.json;
                   mean pooling, 2_Dense 192->768 and 3_Dense 768->192 (Identity, no bias), Normalize; its prompts
Usage: gen_family_models.py OUT_DIR   (scripts/gen_models.sh runs it into .cache/models)
       gen_family_models.py --full OUT_DIR   the same families at their real models' depth and width (vocabularies
       stay the test tokenizers'), as <family>-full folders, for one run on the GPU machine
       (bench/gpu/families_full.sh; ~2.7 GB of weights: use numpy there)
"""
import json, os, shutil, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_model import tensor_bytes  # noqa: E402
from gen_st_models import dense, dump, write_tensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TOKENIZERS = os.path.join(ROOT, "tests", "data", "tokenizers")


# --full: the real models' layer counts and widths (the tokenizers, hence vocabularies, stay the small test ones).
FULL_SIZES = {
    "xlmr": {"num_hidden_layers": 12},  # paraphrase-multilingual-MiniLM-L12-v2
    "mpnet": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
    "nomic": {"n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": 3072},  # nomic-embed-text-v1.5
    "modernbert": {"hidden_size": 768, "num_hidden_layers": 22, "num_attention_heads": 12, "intermediate_size": 1152},
    "qwen3": {"hidden_size": 1024, "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8,
              "intermediate_size": 3072},  # Qwen3-Embedding-0.6B
    "gemma3": {"hidden_size": 768, "num_hidden_layers": 24, "intermediate_size": 1152, "sliding_window": 512,
               "layer_types": (["sliding_attention"] * 5 + ["full_attention"]) * 4},  # EmbeddingGemma-300m
}
FULL = False


def sized(config, family):
    return dict(config, **FULL_SIZES[family]) if FULL else config


def folder(out, name):
    return os.path.join(out, name.replace("-random", "-full") if FULL else name)


def weights(prefix, shapes):
    """[(name, shape)] -> safetensors entries with generated F32 data (the seed is `prefix` + name)."""
    return [(n, s, tensor_bytes(prefix + n, "F32", s)) for n, s in shapes]


def bert_like_shapes(c, names):
    H, I = c["hidden_size"], c["intermediate_size"]
    t = [("embeddings.word_embeddings.weight", [c["vocab_size"], H]),
         ("embeddings.position_embeddings.weight", [c["max_position_embeddings"], H]),
         ("embeddings.LayerNorm.weight", [H]), ("embeddings.LayerNorm.bias", [H])]
    if c.get("type_vocab_size"):
        t.append(("embeddings.token_type_embeddings.weight", [c["type_vocab_size"], H]))
    for l in range(c["num_hidden_layers"]):
        p = "encoder.layer.%d." % l
        for part in ("q", "k", "v", "o"):
            t += [(p + names[part] + ".weight", [H, H]), (p + names[part] + ".bias", [H])]
        t += [(p + names["attn_ln"] + ".weight", [H]), (p + names["attn_ln"] + ".bias", [H]),
              (p + "intermediate.dense.weight", [I, H]), (p + "intermediate.dense.bias", [I]),
              (p + "output.dense.weight", [H, I]), (p + "output.dense.bias", [H]),
              (p + "output.LayerNorm.weight", [H]), (p + "output.LayerNorm.bias", [H])]
    t += [("pooler.dense.weight", [H, H]), ("pooler.dense.bias", [H])]
    return t


BERT_NAMES = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
              "o": "attention.output.dense", "attn_ln": "attention.output.LayerNorm"}
MPNET_NAMES = {"q": "attention.attn.q", "k": "attention.attn.k", "v": "attention.attn.v", "o": "attention.attn.o",
               "attn_ln": "attention.LayerNorm"}


def st_folder(d, config, tensors, tokenizer_files, max_seq_length, normalize):
    os.makedirs(d, exist_ok=True)
    for dst, src in tokenizer_files.items():
        shutil.copyfile(src, os.path.join(d, dst))
    dump(config, d, "config.json")
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
        os.makedirs(os.path.join(d, "2_Normalize"), exist_ok=True)
    dump(modules, d, "modules.json")
    dump({"max_seq_length": max_seq_length, "do_lower_case": False}, d, "sentence_bert_config.json")
    dump({"word_embedding_dimension": config["hidden_size"], "pooling_mode": "mean"}, d, "1_Pooling", "config.json")
    write_tensors(os.path.join(d, "model.safetensors"), tensors)


def xlmr(out):
    config = {"architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta", "hidden_size": 384,
              "num_hidden_layers": 2, "num_attention_heads": 12, "intermediate_size": 1536, "hidden_act": "gelu",
              "max_position_embeddings": 514, "type_vocab_size": 1, "vocab_size": 1002, "layer_norm_eps": 1e-5,
              "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "position_embedding_type": "absolute"}
    config = sized(config, "xlmr")
    tensors = weights("xlmr-random/", bert_like_shapes(config, BERT_NAMES))
    tok_config = {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, "bos_token": "<s>",
                  "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>",
                  "pad_token": "<pad>", "mask_token": "<mask>"}
    for name, tok, seq, norm in (("xlmr-random", "xlmr.json", 128, False), ("xlmr-old-random", "xlmr_old.json", 512, True)):
        if FULL and name != "xlmr-random":
            continue
        d = folder(out, name)
        st_folder(d, config, tensors, {"tokenizer.json": os.path.join(TOKENIZERS, tok)}, seq, norm)
        dump(tok_config, d, "tokenizer_config.json")


def mpnet(out):
    config = {"architectures": ["MPNetModel"], "model_type": "mpnet", "hidden_size": 256, "num_hidden_layers": 2,
              "num_attention_heads": 4, "intermediate_size": 1024, "hidden_act": "gelu", "max_position_embeddings": 514,
              "vocab_size": 30527, "layer_norm_eps": 1e-5, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2,
              "relative_attention_num_buckets": 32}
    config = sized(config, "mpnet")
    shapes = bert_like_shapes(config, MPNET_NAMES)
    shapes.append(("encoder.relative_attention_bias.weight", [32, config["num_attention_heads"]]))
    real = os.path.join(ROOT, "tests", "models", "all-mpnet-base-v2")
    files = {f: os.path.join(real, f) for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")}
    st_folder(folder(out, "mpnet-random"), config, weights("mpnet-random/", shapes), files, 384, True)


def nomic(out):
    config = {"architectures": ["NomicBertModel"], "model_type": "nomic_bert", "n_embd": 256, "n_layer": 2,
              "n_head": 4, "n_inner": 1024, "n_positions": 8192, "vocab_size": 30528, "type_vocab_size": 2,
              "layer_norm_epsilon": 1e-12, "activation_function": "swiglu", "rotary_emb_base": 1000,
              "rotary_emb_fraction": 1.0, "rotary_emb_interleaved": False, "rotary_scaling_factor": None,
              "max_trained_positions": 2048, "prenorm": False, "causal": False, "qkv_proj_bias": False,
              "mlp_fc1_bias": False, "mlp_fc2_bias": False, "pad_vocab_size_multiple": 64, "use_flash_attn": False,
              "auto_map": {"AutoConfig": "nomic-ai/nomic-bert-2048--configuration_hf_nomic_bert.NomicBertConfig",
                           "AutoModel": "nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertModel"}}
    config = sized(config, "nomic")
    H, I = config["n_embd"], config["n_inner"]
    shapes = [("embeddings.word_embeddings.weight", [config["vocab_size"], H]),
              ("embeddings.token_type_embeddings.weight", [2, H]), ("emb_ln.weight", [H]), ("emb_ln.bias", [H])]
    for l in range(config["n_layer"]):
        p = "encoder.layers.%d." % l
        shapes += [(p + "attn.Wqkv.weight", [3 * H, H]), (p + "attn.out_proj.weight", [H, H]),
                   (p + "mlp.fc11.weight", [I, H]), (p + "mlp.fc12.weight", [I, H]), (p + "mlp.fc2.weight", [H, I]),
                   (p + "norm1.weight", [H]), (p + "norm1.bias", [H]), (p + "norm2.weight", [H]), (p + "norm2.bias", [H])]
    d = folder(out, "nomic-random")
    real = os.path.join(ROOT, "tests", "models", "all-MiniLM-L6-v2")
    files = {f: os.path.join(real, f) for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                                 "vocab.txt")}
    st_folder(d, dict(config, hidden_size=H), weights("nomic-random/", shapes), files, 8192, True)
    dump(config, d, "config.json")  # without the hidden_size st_folder's pooling config read
    dump({"__version__": {"sentence_transformers": "6.0.1"}, "default_prompt_name": None, "similarity_fn_name": "cosine",
          "prompts": {"query": "search_query: ", "document": "search_document: ", "classification": "classification: ",
                      "clustering": "clustering: "}}, d, "config_sentence_transformers.json")


def modernbert(out):
    config = {"architectures": ["ModernBertModel"], "model_type": "modernbert", "hidden_size": 256,
              "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 384, "hidden_activation": "gelu",
              "max_position_embeddings": 8192, "vocab_size": 1207, "norm_eps": 1e-5, "norm_bias": False,
              "mlp_bias": False, "attention_bias": False, "global_attn_every_n_layers": 3, "local_attention": 128,
              "global_rope_theta": 160000.0, "local_rope_theta": 10000.0, "pad_token_id": 1203, "bos_token_id": 1201,
              "eos_token_id": 1202, "cls_token_id": 1201, "sep_token_id": 1202, "classifier_pooling": "mean"}
    config = sized(config, "modernbert")
    H, I = config["hidden_size"], config["intermediate_size"]
    shapes = [("embeddings.tok_embeddings.weight", [config["vocab_size"], H]), ("embeddings.norm.weight", [H]),
              ("final_norm.weight", [H])]
    for l in range(config["num_hidden_layers"]):
        p = "layers.%d." % l
        if l > 0:
            shapes.append((p + "attn_norm.weight", [H]))
        shapes += [(p + "attn.Wqkv.weight", [3 * H, H]), (p + "attn.Wo.weight", [H, H]), (p + "mlp_norm.weight", [H]),
                   (p + "mlp.Wi.weight", [2 * I, H]), (p + "mlp.Wo.weight", [H, I])]
    d = folder(out, "modernbert-random")
    st_folder(d, config, weights("modernbert-random/", shapes),
              {"tokenizer.json": os.path.join(TOKENIZERS, "modernbert.json")}, 512, True)
    dump({"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 8192, "cls_token": "[CLS]",
          "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]"}, d,
         "tokenizer_config.json")


def qwen3(out):
    config = {"architectures": ["Qwen3Model"], "model_type": "qwen3", "hidden_size": 256, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 128, "intermediate_size": 768,
              "hidden_act": "silu", "max_position_embeddings": 32768, "vocab_size": 1204, "rms_norm_eps": 1e-6,
              "rope_theta": 1000000.0, "rope_scaling": None, "attention_bias": False, "use_sliding_window": False,
              "tie_word_embeddings": True, "bos_token_id": 1200, "eos_token_id": 1200, "torch_dtype": "float32"}
    config = sized(config, "qwen3")
    H, I, D = config["hidden_size"], config["intermediate_size"], config["head_dim"]
    Q, KV = config["num_attention_heads"] * D, config["num_key_value_heads"] * D
    shapes = [("embed_tokens.weight", [config["vocab_size"], H]), ("norm.weight", [H])]
    for l in range(config["num_hidden_layers"]):
        p = "layers.%d." % l
        shapes += [(p + "input_layernorm.weight", [H]), (p + "self_attn.q_proj.weight", [Q, H]),
                   (p + "self_attn.k_proj.weight", [KV, H]), (p + "self_attn.v_proj.weight", [KV, H]),
                   (p + "self_attn.q_norm.weight", [D]), (p + "self_attn.k_norm.weight", [D]),
                   (p + "self_attn.o_proj.weight", [H, Q]), (p + "post_attention_layernorm.weight", [H]),
                   (p + "mlp.gate_proj.weight", [I, H]), (p + "mlp.up_proj.weight", [I, H]),
                   (p + "mlp.down_proj.weight", [H, I])]
    d = folder(out, "qwen3-random")
    st_folder(d, config, weights("qwen3-random/", shapes), {"tokenizer.json": os.path.join(TOKENIZERS, "qwen3.json")},
              512, True)
    dump({"word_embedding_dimension": H, "pooling_mode": "lasttoken", "include_prompt": True}, d, "1_Pooling",
         "config.json")
    dump({"tokenizer_class": "Qwen2Tokenizer", "model_max_length": 32768, "padding_side": "left",
          "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "unk_token": None, "bos_token": None}, d,
         "tokenizer_config.json")
    dump({"__version__": {"sentence_transformers": "6.0.1"}, "default_prompt_name": None, "similarity_fn_name": "cosine",
          "prompts": {"query": "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:",
                      "document": ""}}, d, "config_sentence_transformers.json")


def gemma3(out):
    config = {"architectures": ["Gemma3TextModel"], "model_type": "gemma3_text", "hidden_size": 192,
              "num_hidden_layers": 3, "num_attention_heads": 3, "num_key_value_heads": 1, "head_dim": 256,
              "intermediate_size": 288, "hidden_activation": "gelu_pytorch_tanh", "max_position_embeddings": 2048,
              "vocab_size": 1202, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
              "sliding_window": 64, "query_pre_attn_scalar": 256, "use_bidirectional_attention": True,
              "attention_bias": False, "attn_logit_softcapping": None, "final_logit_softcapping": None,
              "rope_scaling": None, "layer_types": ["sliding_attention", "sliding_attention", "full_attention"],
              "pad_token_id": 0, "eos_token_id": 1, "bos_token_id": 2, "torch_dtype": "float32"}
    config = sized(config, "gemma3")
    H, I, D = config["hidden_size"], config["intermediate_size"], config["head_dim"]
    Q, KV = config["num_attention_heads"] * D, config["num_key_value_heads"] * D
    shapes = [("embed_tokens.weight", [config["vocab_size"], H]), ("norm.weight", [H])]
    for l in range(config["num_hidden_layers"]):
        p = "layers.%d." % l
        shapes += [(p + "input_layernorm.weight", [H]), (p + "self_attn.q_proj.weight", [Q, H]),
                   (p + "self_attn.k_proj.weight", [KV, H]), (p + "self_attn.v_proj.weight", [KV, H]),
                   (p + "self_attn.q_norm.weight", [D]), (p + "self_attn.k_norm.weight", [D]),
                   (p + "self_attn.o_proj.weight", [H, Q]), (p + "post_attention_layernorm.weight", [H]),
                   (p + "pre_feedforward_layernorm.weight", [H]), (p + "post_feedforward_layernorm.weight", [H]),
                   (p + "mlp.gate_proj.weight", [I, H]), (p + "mlp.up_proj.weight", [I, H]),
                   (p + "mlp.down_proj.weight", [H, I])]
    d = folder(out, "gemma3-random")
    st_folder(d, config, weights("gemma3-random/", shapes), {"tokenizer.json": os.path.join(TOKENIZERS, "gemma.json")},
              512, False)
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
               {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
               {"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"},
               {"idx": 4, "name": "4", "path": "4_Normalize", "type": "sentence_transformers.models.Normalize"}]
    dump(modules, d, "modules.json")
    identity = "torch.nn.modules.linear.Identity"
    dense(os.path.join(d, "2_Dense"), "gemma3-random/2_Dense", H, 4 * H, False, identity)
    dense(os.path.join(d, "3_Dense"), "gemma3-random/3_Dense", 4 * H, H, False, identity)
    os.makedirs(os.path.join(d, "4_Normalize"), exist_ok=True)
    dump({"tokenizer_class": "GemmaTokenizer", "model_max_length": 2048, "padding_side": "right", "bos_token": "<bos>",
          "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"}, d, "tokenizer_config.json")
    dump({"__version__": {"sentence_transformers": "6.0.1"}, "default_prompt_name": None, "similarity_fn_name": "cosine",
          "prompts": {"query": "task: search result | query: ", "document": "title: none | text: ",
                      "Clustering": "task: clustering | query: "}}, d, "config_sentence_transformers.json")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--full":
        FULL = True
        args = args[1:]
    for make in (gemma3, qwen3, modernbert, xlmr, mpnet, nomic):
        make(args[0])

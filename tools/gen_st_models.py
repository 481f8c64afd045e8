#!/usr/bin/env python3
"""Small sentence-transformers folders that exercise the modules around the encoder (stdlib only, deterministic).

Each folder reuses tiny-bert-cls (2 layers, hidden 128; made by tools/gen_model.py via
scripts/gen_models.sh) for the encoder and tokenizer, and adds what the test needs:
  st-prompts-wmean   prompts + default_prompt_name, weightedmean pooling with include_prompt=false,
                     max_seq_length 32 (prompt + text truncated together)
  st-lasttoken-dense lasttoken+mean pooling (concatenated), 2_Dense 256->96 Tanh with bias,
                     3_Dense 96->64 Identity without bias, Normalize; prompts without a default
  st-sharded-cls     the encoder split over two safetensors shards + model.safetensors.index.json, CLS pooling
                     with include_prompt=false, 2_Dense 128->128 ReLU with use_residual, prompts
  st-dense-bin       mean pooling, 2_Dense 128->48 GELU from a pytorch_model.bin (torch.save; the committed
                     fixture tests/golden/st-dense-bin/2_Dense of tools/make_dense_bin_fixture.py), Normalize
Usage: gen_st_models.py TINY_BERT_CLS_DIR OUT_DIR   (writes OUT_DIR/<name>/ for each name above)
"""
import json, os, shutil, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tools/gen_model.py
from gen_model import tensor_bytes  # noqa: E402  (the deterministic k * 2**-e weights of the shared generator)

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")
TRANSFORMER = {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}


def dump(obj, *path):
    os.makedirs(os.path.dirname(os.path.join(*path)), exist_ok=True)
    with open(os.path.join(*path), "w") as f:
        json.dump(obj, f, indent=2)


def write_tensors(path, tensors):
    """tensors: [(name, shape, raw little-endian bytes[, dtype])] -> one safetensors file (dtype F32 if not given)."""
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for name, shape, data, *dtype in tensors:
        header[name] = {"dtype": (dtype or ["F32"])[0], "shape": shape, "data_offsets": [off, off + len(data)]}
        off += len(data)
    b = json.dumps(header, separators=(",", ":")).encode()
    b += b" " * ((8 - len(b) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(b)) + b)
        for _, _, data, *_ in tensors:
            f.write(data)


def read_tensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    return [(k, v, data[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items() if k != "__metadata__"]


def dense(folder, seed, n_in, n_out, bias, activation, residual=False):
    os.makedirs(folder, exist_ok=True)
    cfg = {"in_features": n_in, "out_features": n_out, "bias": bias, "activation_function": activation}
    if residual:
        cfg["use_residual"] = True
    dump(cfg, folder, "config.json")
    # The generator's seed is the tensor name: the folder name keeps the modules' weights apart.
    t = [("linear.weight", [n_out, n_in], tensor_bytes(seed + "/linear.weight", "F32", [n_out, n_in]))]
    if bias:
        t.append(("linear.bias", [n_out], tensor_bytes(seed + "/linear.bias", "F32", [n_out])))
    if residual and n_in != n_out:
        t.append(("residual.weight", [n_out, n_in], tensor_bytes(seed + "/residual.weight", "F32", [n_out, n_in])))
    write_tensors(os.path.join(folder, "model.safetensors"), t)


def base(tiny, out, name, max_seq_length, modules, pooling, st_config, weights=True):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    for fn in TOKENIZER_FILES + ("config.json",):
        shutil.copyfile(os.path.join(tiny, fn), os.path.join(d, fn))
    if weights:
        shutil.copyfile(os.path.join(tiny, "model.safetensors"), os.path.join(d, "model.safetensors"))
    dump([TRANSFORMER] + [dict(idx=i + 1, name=str(i + 1), path=p, type="sentence_transformers.models." + t)
                          for i, (p, t) in enumerate(modules)], d, "modules.json")
    dump({"max_seq_length": max_seq_length, "do_lower_case": False}, d, "sentence_bert_config.json")
    dump(dict(word_embedding_dimension=128, **pooling), d, "1_Pooling", "config.json")
    dump(dict({"__version__": {"sentence_transformers": "6.0.1"}}, **st_config), d,
         "config_sentence_transformers.json")
    return d


def main(tiny, out):
    base(tiny, out, "st-prompts-wmean", 32, [("1_Pooling", "Pooling")],
         {"pooling_mode": "weightedmean", "include_prompt": False},
         {"prompts": {"query": "query: ", "passage": "passage: ", "none": ""}, "default_prompt_name": "query"})

    d = base(tiny, out, "st-lasttoken-dense", 64,
             [("1_Pooling", "Pooling"), ("2_Dense", "Dense"), ("3_Dense", "Dense"), ("4_Normalize", "Normalize")],
             {"pooling_mode_lasttoken": True, "pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False},
             {"prompts": {"query": "Instruct: find the passage\nQuery: ", "document": ""}, "default_prompt_name": None})
    dense(os.path.join(d, "2_Dense"), "st-lasttoken-dense/2_Dense", 256, 96, True, "torch.nn.modules.activation.Tanh")
    dense(os.path.join(d, "3_Dense"), "st-lasttoken-dense/3_Dense", 96, 64, False, "torch.nn.modules.linear.Identity")
    os.makedirs(os.path.join(d, "4_Normalize"), exist_ok=True)

    d = base(tiny, out, "st-sharded-cls", 128, [("1_Pooling", "Pooling"), ("2_Dense", "Dense")],
             {"pooling_mode": "cls", "include_prompt": False},
             {"prompts": {"search_query": "search_query: ", "search_document": "search_document: "},
              "default_prompt_name": "search_document"}, weights=False)
    dense(os.path.join(d, "2_Dense"), "st-sharded-cls/2_Dense", 128, 128, True, "torch.nn.modules.activation.ReLU",
          residual=True)
    d2 = base(tiny, out, "st-dense-bin", 128, [("1_Pooling", "Pooling"), ("2_Dense", "Dense"), ("3_Normalize", "Normalize")],
              {"pooling_mode": "mean"}, {})
    shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "st-dense-bin",
                                 "2_Dense"), os.path.join(d2, "2_Dense"), dirs_exist_ok=True)
    os.makedirs(os.path.join(d2, "3_Normalize"), exist_ok=True)

    tensors = read_tensors(os.path.join(tiny, "model.safetensors"))
    # The word embeddings alone in the first shard, everything else in the second, as large checkpoints split.
    shards = {"model-00001-of-00002.safetensors": [t for t in tensors if "word_embeddings" in t[0]],
              "model-00002-of-00002.safetensors": [t for t in tensors if "word_embeddings" not in t[0]]}
    weight_map, total = {}, 0
    for fn, ts in shards.items():
        write_tensors(os.path.join(d, fn), [(k, v["shape"], data, v["dtype"]) for k, v, data in ts])
        for k, _, data in ts:
            weight_map[k] = fn
            total += len(data)
    dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, d,
         "model.safetensors.index.json")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

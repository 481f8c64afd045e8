#!/usr/bin/env python3
"""Carry the minilm-l6-random ONNX export (90 MB) as its graph without weights (~100 KB) and refill it elsewhere.

  onnx_weights.py strip  MODEL.onnx MODEL.safetensors OUT.recipe.json.xz  (here: ONNX + generated safetensors)
  onnx_weights.py refill RECIPE.json.xz MODEL.safetensors OUT.onnx [SHA256] (there: after gen_model.py)

The ONNX file is cut at byte level into literal pieces (protobuf framing, graph, small tensors) and the raw_data of
every large initializer, which is matched against a tensor of model.safetensors (same bytes, or its 2-D transpose,
which the TorchScript exporter makes for MatMul weights). refill concatenates the pieces again, so the result is
byte-identical by construction; its sha256 is checked. Stdlib only (numpy used for transposes when present).
"""
import base64, hashlib, json, lzma, struct, sys


def varint(b, i):
    r = s = 0
    while True:
        c = b[i]; i += 1
        r |= (c & 0x7F) << s; s += 7
        if c < 0x80:
            return r, i


def fields(b, start, end):
    """yields (field_no, wire_type, value_start, value_end) of one protobuf message b[start:end]."""
    i = start
    while i < end:
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            _, j = varint(b, i); yield f, wt, i, j; i = j
        elif wt == 1:
            yield f, wt, i, i + 8; i += 8
        elif wt == 5:
            yield f, wt, i, i + 4; i += 4
        elif wt == 2:
            n, i = varint(b, i); yield f, wt, i, i + n; i += n
        else:
            raise ValueError("wire type %d at %d" % (wt, i))


def read_safetensors(path):
    with open(path, "rb") as fh:
        data = fh.read()
    n = struct.unpack("<Q", data[:8])[0]
    hdr = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for k, v in hdr.items():
        if k == "__metadata__":
            continue
        a, e = v["data_offsets"]
        out[k] = (v["dtype"], v["shape"], data[base + a: base + e])
    return out


def transpose_f32(raw, rows, cols):
    try:
        import numpy as np
        return np.frombuffer(raw, dtype="<f4").reshape(rows, cols).T.copy().tobytes()
    except ImportError:
        import array
        a = array.array("f"); a.frombytes(raw)
        t = array.array("f", bytes(len(raw)))
        for r in range(rows):
            row = a[r * cols:(r + 1) * cols]
            t[r::rows] = row
        return t.tobytes()


def initializers(b):
    """(name, dims, raw_start, raw_end) of each graph initializer with raw_data."""
    res = []
    for f, wt, s, e in fields(b, 0, len(b)):
        if f == 7 and wt == 2:  # ModelProto.graph
            for g, gwt, gs, ge in fields(b, s, e):
                if g == 5 and gwt == 2:  # GraphProto.initializer (TensorProto)
                    name, dims, raw = None, [], None
                    for t, twt, ts, te in fields(b, gs, ge):
                        if t == 8: name = b[ts:te].decode()
                        elif t == 1 and twt == 0: dims.append(varint(b, ts)[0])
                        elif t == 1 and twt == 2:
                            k = ts
                            while k < te:
                                v, k = varint(b, k); dims.append(v)
                        elif t == 9: raw = (ts, te)
                    if raw:
                        res.append((name, dims, raw[0], raw[1]))
    return res


def strip(onnx_path, st_path, out_path, min_bytes=4096):
    b = open(onnx_path, "rb").read()
    st = read_safetensors(st_path)
    by_hash = {}
    for k, (dt, shape, raw) in st.items():
        if len(raw) < min_bytes:
            continue
        by_hash[hashlib.sha256(raw).digest()] = (k, False)
        if dt == "F32" and len(shape) == 2:
            by_hash[hashlib.sha256(transpose_f32(raw, shape[0], shape[1])).digest()] = (k, True)
    pieces, pos, matched, kept = [], 0, 0, 0
    for name, dims, s, e in initializers(b):
        if e - s < min_bytes:
            continue
        hit = by_hash.get(hashlib.sha256(b[s:e]).digest())
        if not hit:
            kept += e - s
            continue
        pieces.append({"lit": base64.b64encode(b[pos:s]).decode()})
        pieces.append({"tensor": hit[0], "transpose": hit[1], "bytes": e - s, "onnx_name": name})
        pos = e
        matched += 1
    pieces.append({"lit": base64.b64encode(b[pos:]).decode()})
    doc = {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b), "pieces": pieces}
    with lzma.open(out_path, "wt", preset=9) as fh:
        json.dump(doc, fh)
    lit = sum(len(base64.b64decode(p["lit"])) for p in pieces if "lit" in p)
    print("strip: %d initializers from safetensors, %d B literal (%d B of unmatched large tensors), recipe %s"
          % (matched, lit, kept, out_path), file=sys.stderr)


def refill(recipe_path, st_path, out_path, want=None):
    with lzma.open(recipe_path, "rt") as fh:
        doc = json.load(fh)
    st = read_safetensors(st_path)
    h = hashlib.sha256()
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as fh:
        for p in doc["pieces"]:
            if "lit" in p:
                chunk = base64.b64decode(p["lit"])
            else:
                dt, shape, raw = st[p["tensor"]]
                chunk = transpose_f32(raw, shape[0], shape[1]) if p["transpose"] else raw
                assert len(chunk) == p["bytes"], p
            fh.write(chunk); h.update(chunk)
    got = h.hexdigest()
    want = want or doc["sha256"]
    if got != want:
        raise SystemExit("refill: sha256 mismatch: got %s, want %s" % (got, want))
    import os
    os.replace(tmp, out_path)
    print("refill: %s sha256 %s ok" % (out_path, got), file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "strip":
        strip(*sys.argv[2:5])
    elif len(sys.argv) >= 5 and sys.argv[1] == "refill":
        refill(*sys.argv[2:6])
    else:
        raise SystemExit(__doc__)

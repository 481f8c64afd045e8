#!/usr/bin/env python3
"""Generates src/tokenizer/hf_unicode_tables.inc: the Unicode properties exactly as HF tokenizers 0.23.2 sees them,
read off HF tokenizers itself, one probe per code point (every code point but the surrogates).

  py=$(scripts/pyref_env.sh); $py tools/gen_hf_unicode_tables.py [--out src/tokenizer/hf_unicode_tables.inc]

HF takes its properties from several Rust crates of different Unicode versions: punctuation / control / Mn from
unicode_categories (old tables), NFD / NFKD / NFC / combining classes / is_combining_mark from
unicode-normalization-alignments (old tables), whitespace / lowercase / numeric from Rust's std (recent tables).
utf8proc, a single recent version, differs on characters assigned in between. Probes:
  whitespace  WhitespaceSplit splits "a<c>b" in two           punct    BertPreTokenizer gives "a", c, "b"
  control     BertNormalizer(clean_text) turns "a<c>b" into "ab"   numeric  Digits(individual) isolates c
  mn          BertNormalizer(strip_accents) removes c (c with no decomposition)
  mark        StripAccents removes c                            lower    Lowercase of c
  nfd/nfkd    NFD / NFKD of c (full decompositions)             ccc      reordering against U+0334 (ccc 1) / U+093C (7)
  compose     NFC of the canonical pair of c gives back c
"""
import argparse
import os
import unicodedata

from tokenizers import normalizers, pre_tokenizers

p = argparse.ArgumentParser()
p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "src", "tokenizer", "hf_unicode_tables.inc"))
a = p.parse_args()

ws = pre_tokenizers.WhitespaceSplit()
bert_pre = pre_tokenizers.BertPreTokenizer()
digits = pre_tokenizers.Digits(individual_digits=True)
clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
strip_marks = normalizers.StripAccents()
lower = normalizers.Lowercase()
nfd, nfkd, nfc = normalizers.NFD(), normalizers.NFKD(), normalizers.NFC()

F_WHITE, F_CONTROL, F_PUNCT, F_MN, F_MARK, F_NUMERIC = 1, 2, 4, 8, 16, 32
props = []  # (flags, ccc) per code point
nfd_map, nfkd_map, lower_map = {}, {}, {}
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF:
        props.append((0, 0))
        continue
    c = chr(cp)
    f = 0
    if len(ws.pre_tokenize_str("a" + c + "b")) == 2:
        f |= F_WHITE
    if clean.normalize_str("a" + c + "b") == "ab":
        f |= F_CONTROL
    if [t for t, _ in bert_pre.pre_tokenize_str("a" + c + "b")] == ["a", c, "b"]:
        f |= F_PUNCT
    if [t for t, _ in digits.pre_tokenize_str("a" + c + "b")] == ["a", c, "b"]:
        f |= F_NUMERIC
    hangul = 0xAC00 <= cp <= 0xD7A3  # decomposed algorithmically (hf_unicode.cpp)
    d = nfd.normalize_str(c)
    if d != c:
        if not hangul:
            nfd_map[cp] = d
    elif strip.normalize_str(c) == "":
        f |= F_MN
    k = nfkd.normalize_str(c)
    if k != d and not hangul:  # only where the compatibility decomposition differs from the canonical one
        nfkd_map[cp] = k
    if strip_marks.normalize_str(c) == "":
        f |= F_MARK
    lo = lower.normalize_str(c)
    if lo != c:
        lower_map[cp] = lo
    ccc = unicodedata.combining(c)
    if ccc > 1 and nfd.normalize_str(c + "\u0334") != "\u0334" + c:
        ccc = 0  # a class HF's tables do not know (assigned after their Unicode version)
    elif ccc == 1 and nfd.normalize_str("\u093c" + c) != c + "\u093c":
        ccc = 0
    props.append((f, ccc))

compose = {}
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF or 0xAC00 <= cp <= 0xD7A3:
        continue
    dec = unicodedata.decomposition(chr(cp))
    if not dec or dec.startswith("<"):
        continue
    parts = [int(x, 16) for x in dec.split()]
    if len(parts) == 2 and nfc.normalize_str(chr(parts[0]) + chr(parts[1])) == chr(cp):
        compose[(parts[0], parts[1])] = cp

# Runs of equal (flags, ccc).
runs = []
for cp, v in enumerate(props):
    if not runs or runs[-1][1] != v:
        runs.append((cp, v))


def array(ctype, name, items):
    out, line = [f"constexpr {ctype} {name}[] = {{"], ""
    for item in items:
        if len(line) + len(item) + 1 > 116:
            out.append("  " + line.rstrip())
            line = ""
        line += item + ","
    out.append("  " + line.rstrip())
    out.append("};")
    return out


def mapping(name, m):
    # Parallel arrays keep the module small: key = code point << 5 | length, then the offset into the pool.
    keys = sorted(m)
    pool, key_items, offsets = [], [], []
    for k in keys:
        assert len(m[k]) < 32 and len(pool) < 65536
        key_items.append(f"0x{(k << 5) | len(m[k]):X}")
        offsets.append(str(len(pool)))
        pool.extend(ord(x) for x in m[k])
    return (array("uint32_t", f"k{name}Keys", key_items) + array("uint16_t", f"k{name}Offsets", offsets) +
            array("char32_t", f"k{name}Pool", [f"0x{x:X}" for x in pool]))


lines = ["// Generated by tools/gen_hf_unicode_tables.py from HF tokenizers 0.23.2 itself; do not edit.",
         f"// {len(runs)} property runs, {len(nfd_map)} NFD, {len(nfkd_map)} NFKD, {len(lower_map)} lowercase mappings, "
         f"{len(compose)} compositions."]
lines += array("char32_t", "kPropStarts", [f"0x{cp:X}" for cp, _ in runs])
lines += array("uint16_t", "kPropValues", [f"0x{f | (ccc << 8):X}" for _, (f, ccc) in runs])
lines += mapping("Nfd", nfd_map)
lines += mapping("Nfkd", nfkd_map)
lines += mapping("Lower", lower_map)
lines += array("char32_t", "kComposeFirst", [f"0x{x:X}" for (x, y), c in sorted(compose.items())])
lines += array("char32_t", "kComposeSecond", [f"0x{y:X}" for (x, y), c in sorted(compose.items())])
lines += array("char32_t", "kComposeResult", [f"0x{c:X}" for (x, y), c in sorted(compose.items())])
with open(a.out, "w") as f:
    f.write("\n".join(lines) + "\n")
print(a.out, len(runs), "runs", len(nfd_map), len(nfkd_map), len(lower_map), len(compose))

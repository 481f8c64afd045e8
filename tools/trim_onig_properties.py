#!/usr/bin/env python3
"""Writes a copy of Oniguruma's unicode.c for the WASM build that keeps only the Unicode property tables
tokenizer.json patterns use, to keep the module within its size budget:

  tools/trim_onig_properties.py ONIG_SRC_DIR OUT_DIR

Kept: the POSIX classes Oniguruma itself builds \\w \\s \\d [[:alpha:]] ... from, every General_Category (\\p{L},
\\p{N}, \\p{P}, \\p{Lu}, ...), Any, Assigned and Extended_Pictographic (which \\X uses). Every other property
(scripts, blocks, binary properties) keeps its name, so a pattern that names one is refused when it is compiled
(ONIGERR_INVALID_CHAR_PROPERTY_NAME, "invalid character property name") instead of matching an empty set.
OUT_DIR/unicode.c includes OUT_DIR/unicode_property_data.c; everything else comes from ONIG_SRC_DIR/src."""
import re
import sys
from pathlib import Path

POSIX = ["NEWLINE", "Alpha", "Blank", "Cntrl", "Digit", "Graph", "Lower", "Print", "PosixPunct", "Space", "Upper",
         "XDigit", "Word", "Alnum", "ASCII"]
GENERAL_CATEGORIES = ["C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "LC", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
                      "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
                      "Z", "Zl", "Zp", "Zs"]
OTHER = ["Any", "Assigned", "Extended_Pictographic"]


def main(src_dir: Path, out_dir: Path) -> None:
    data = (src_dir / "src" / "unicode_property_data.c").read_text()
    aliases = dict(re.findall(r"^#define CR_(\w+) CR_(\w+)$", data, re.M))
    order = re.search(r"CodeRanges\[\] = \{(.*?)\};", data, re.S).group(1)
    ctypes = [n.strip()[3:] for n in order.split(",") if n.strip()]
    keep = {aliases.get(n, n) for n in POSIX + GENERAL_CATEGORIES + OTHER}
    missing = [n for n in POSIX + GENERAL_CATEGORIES + OTHER if n not in ctypes]
    if missing or ctypes[:len(POSIX)] != POSIX:
        sys.exit(f"trim_onig_properties: unexpected unicode_property_data.c (missing {missing})")

    def table(m: re.Match) -> str:
        name = m.group(1)
        return m.group(0) if name in keep else f"CR_{name}[] = {{ 0 }}; /* dropped for size: refused by name */"
    trimmed, n = re.subn(r"CR_(\w+)\[\] = \{.*?\}; /\* END of CR_\1 \*/", table, data, flags=re.S)
    if n < 100:
        sys.exit(f"trim_onig_properties: only {n} property tables found")
    kept_ctypes = [i for i, name in enumerate(ctypes) if aliases.get(name, name) in keep]
    flags = ", ".join("1" if i in kept_ctypes else "0" for i in range(len(ctypes)))
    trimmed += ("\n/* gpuembed: which ctypes kept their table (tools/trim_onig_properties.py) */\n"
                f"static const unsigned char GpuembedCtypeKept[] = {{ {flags} }};\n")

    unicode = (src_dir / "src" / "unicode.c").read_text()
    hook = "  pc = unicode_lookup_property_name(buf, len);\n  if (pc != 0) {\n"
    if unicode.count(hook) != 1 or unicode.count('#include "unicode_property_data.c"') != 1:
        sys.exit("trim_onig_properties: unexpected unicode.c")
    unicode = unicode.replace(hook, hook + "    if (pc->ctype < sizeof(GpuembedCtypeKept) && !GpuembedCtypeKept[pc->ctype])\n"
                                           "      return ONIGERR_INVALID_CHAR_PROPERTY_NAME;\n")
    unicode = unicode.replace('#include "unicode_property_data.c"', '#include "unicode_property_data_trimmed.c"')
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in (("unicode.c", unicode), ("unicode_property_data_trimmed.c", trimmed)):
        path = out_dir / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    print(f"kept {len(kept_ctypes)} of {len(ctypes)} property tables")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))

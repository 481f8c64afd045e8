"""Random torture texts for tokenizer tests (tools/tokenizer_diff.py, tools/gen_test_tokenizers.py): random code
points from every plane (unassigned and private use included, surrogates excluded), combining marks, emoji ZWJ
sequences, CJK, right-to-left scripts, control and format characters, long words, the tokenizer's own added tokens
inside words, whitespace runs and plain words. text(rng, added_tokens) gives one text."""

WORDS = ("the of and to in is was for on that with as by at from hello world Hello WORLD quick brown fox jumps "
         "embedding sentence model token unaffable running café naïve Straße İstanbul ǅemal ﬁne ｆｕｌｌ "
         "１２３ 3.14 1,000 don't we'll e-mail user@example.com https://x.org/a?b=c #tag").split()
COMBINING = [chr(c) for c in list(range(0x300, 0x370)) + [0x1AB0, 0x1DC0, 0x20D0, 0x20E3, 0xFE0F, 0x1CF1F, 0x1E944]]
EMOJI = ["\U0001F468\u200D\U0001F469\u200D\U0001F467", "\U0001F44D\U0001F3FD", "\U0001F1FA\U0001F1F8", "\u2764\uFE0F",
         "\U0001F3F3\uFE0F\u200D\U0001F308", "#\uFE0F\u20E3", "\U0001F600", "\U0001F9D1\u200D\U0001F4BB"]
RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x3040, 0x30FF), (0xAC00, 0xD7A3), (0x1100, 0x11FF),
          (0x0590, 0x05FF), (0x0600, 0x06FF), (0x0700, 0x074F), (0x0900, 0x097F), (0x0980, 0x09FF), (0x0E00, 0x0E7F),
          (0x0530, 0x058F), (0x10A0, 0x10FF), (0x1780, 0x17FF), (0x1D400, 0x1D7FF), (0xFF00, 0xFFEF), (0x0400, 0x04FF),
          (0x0370, 0x03FF), (0x0000, 0x007F), (0x0080, 0x00FF), (0x2000, 0x206F), (0x2E80, 0x2FDF), (0xF900, 0xFAFF)]
CONTROL = [chr(c) for c in list(range(0, 32)) + [0x7F, 0x85, 0xA0, 0xAD, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028,
                                                   0x2029, 0x202E, 0x2060, 0x2066, 0xFEFF, 0xFFFD, 0x1680, 0x3000, 0x180E]]
SPACES = [" ", "  ", "   ", "\t", "\n", "\r\n", " \u3000 ", "\u00A0", "\u2003", " \t\n "]


def any_code_point(rng):
    plane = rng.choice([0, 0, 0, 1, 2, 3, 14, 15, 16])
    while True:
        c = plane * 0x10000 + rng.randrange(0x10000)
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def fragment(rng, added):
    r = rng.random()
    if r < 0.25:
        return rng.choice(WORDS)
    if r < 0.35:
        return "".join(any_code_point(rng) for _ in range(rng.randint(1, 4)))
    if r < 0.45:
        return rng.choice(WORDS) + "".join(rng.choice(COMBINING) for _ in range(rng.randint(1, 3)))
    if r < 0.52:
        return rng.choice(EMOJI)
    if r < 0.67:
        lo, hi = rng.choice(RANGES)
        return "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 8)))
    if r < 0.74:
        return rng.choice(CONTROL)
    if r < 0.78:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(30, 140)))
    if r < 0.85 and added:
        tok = rng.choice(added)
        return rng.choice(["", "x", "ab"]) + tok + rng.choice(["", "y", " ", "cd"])
    return rng.choice(SPACES)


def text(rng, added):
    parts = [fragment(rng, added) for _ in range(rng.randint(0, 14))]
    sep = rng.choice(["", " ", " ", rng.choice(SPACES)])
    return sep.join(parts)



#pragma once
// Tokenizer that reproduces Hugging Face `tokenizers` 0.23.2 exactly, for every tokenizer.json embedding models
// ship: the BERT shape (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] $A [SEP]) on a fast path of its own, and
// everything else through the general pipeline (pipeline.h): normalizers (Precompiled charsmap, NFC/NFD/NFKC/NFKD,
// Lowercase, Strip, StripAccents, Replace, Prepend, Sequence, BertNormalizer), pre-tokenizers (Metaspace, ByteLevel,
// Split, Whitespace, WhitespaceSplit, Punctuation, Digits, BertPreTokenizer, Sequence), models (Unigram, BPE,
// WordLevel, WordPiece) and post-processors (TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel,
// Sequence). Regex patterns run on Oniguruma, as in HF; Unicode properties come from tables generated off HF itself
// (hf_unicode.h), since HF's crates are of several Unicode versions. Knows nothing about the model.
//
// Text handling of the BERT shape, in HF's order:
//  * Bytes -> characters: invalid UTF-8 never throws; each ill-formed subsequence becomes one U+FFFD exactly as
//    Python's bytes.decode("utf-8", errors="replace") does (maximal subpart rule; see tokenizer/utf8.h).
//  * Added tokens (tokenizer.json "added_tokens": [PAD] [UNK] [CLS] [SEP] [MASK] for BERT) written literally in
//    the text are matched before normalization, leftmost-longest, case-sensitive: "a [SEP] b" encodes as
//    [CLS] a [SEP] b [SEP] with the [SEP] id, as HF does (split_special_tokens=false). "[sep]" is plain text.
//  * clean_text (on for BERT) removes NUL, U+FFFD (so invalid bytes vanish: "a\xFFb" -> "ab") and control /
//    format / private-use characters (Cc, Cf, Co; e.g. \x07, ESC, U+200B, U+FEFF, U+00AD) and turns every
//    whitespace character (incl. \t \n \r) into a space; NUL therefore joins its neighbours into one word.
//  * CJK ideographs are split one per character; accents are stripped after NFD when lowercasing (strip_accents
//    null); lowercasing is Rust's char::to_lowercase (U+0130 -> "i\u0307").
//  * Pre-tokenization splits on whitespace and isolates punctuation (ASCII punctuation plus Unicode P*).
//  * WordPiece: longest match first; a word of more than max_input_chars_per_word characters or one that cannot
//    be split completely is a single [UNK].
// Unassigned code points are kept (HF's is_other() has no Cn table), e.g. U+0378 inside a word makes it [UNK].
// The tokenizer.json "truncation" and "padding" blocks are ignored (padding's pad_token only names pad_id()):
// truncation is only the max_length argument, and there is never padding. Encoding is thread-safe (const, no shared mutable state).

#pragma once
// transformers 5 (what sentence-transformers 6 tokenizes with) builds some tokenizers from their class instead of
// reading tokenizer.json as written: it keeps the vocabulary and the normalizer's precompiled charsmap but sets its
// own pre-tokenizer. Folders of the older hub shape then tokenize differently from the file. gpuembed follows
// sentence-transformers for the folder, so tokenizer.json is rewritten here into what the class builds.
#include <nlohmann/json.hpp>
#include <string_view>

namespace gpuembed::tok {

// XLMRobertaTokenizer(Fast) (transformers 5.17): normalizer = the file's Precompiled step alone; pre-tokenizer =
// WhitespaceSplit then Metaspace(▁, prepend "always" unless add_prefix_space is false, split). Other classes, or no
// tokenizer_config.json: tokenizer.json unchanged. Throws nothing: a malformed config is left to its own reader.
void rebuild_as_class(nlohmann::json& tokenizer_json, std::string_view tokenizer_config_json);

}  // namespace gpuembed::tok

#include "tokenizer/class_rebuild.h"

#include <string>

#include "model/json_text.h"

namespace gpuembed::tok {
namespace {

using nlohmann::json;

// The Precompiled step of a normalizer (alone or inside a Sequence); null when there is none.
json precompiled_of(const json& normalizer) {
  if (!normalizer.is_object()) return nullptr;
  if (normalizer.value("type", "") == "Precompiled") return normalizer;
  if (normalizer.value("type", "") == "Sequence" && normalizer.contains("normalizers") &&
      normalizer["normalizers"].is_array()) {
    for (const json& n : normalizer["normalizers"]) {
      if (n.is_object() && n.value("type", "") == "Precompiled") return n;
    }
  }
  return nullptr;
}

}  // namespace

void rebuild_as_class(json& tj, std::string_view tokenizer_config_json) {
  if (tokenizer_config_json.empty() || !tj.is_object()) return;
  const json cfg = parse_json_or_discarded(tokenizer_config_json);
  if (!cfg.is_object() || !cfg.contains("tokenizer_class") || !cfg["tokenizer_class"].is_string()) return;
  const std::string cls = cfg["tokenizer_class"].get<std::string>();
  if (cls != "XLMRobertaTokenizer" && cls != "XLMRobertaTokenizerFast") return;
  if (!tj.contains("model") || !tj["model"].is_object() || tj["model"].value("type", "") != "Unigram") return;
  const bool prefix = !(cfg.contains("add_prefix_space") && cfg["add_prefix_space"].is_boolean() &&
                        !cfg["add_prefix_space"].get<bool>());
  tj["normalizer"] = precompiled_of(tj.value("normalizer", json()));
  tj["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       json::array({{{"type", "WhitespaceSplit"}},
                    {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", prefix ? "always" : "never"},
                     {"split", true}}})}};
}

}  // namespace gpuembed::tok

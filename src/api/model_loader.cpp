#include "api/model_loader.h"

#include "gpuembed/error.h"
#include "model/config_json.h"

namespace gpuembed {

Tokenizer load_tokenizer(const ModelSource& source) {
  const std::string& origin = source.origin();
  const auto text = [&](const char* rel) { return source.read_text(rel, TextFile::kTokenizer); };
  const std::string config = text("tokenizer_config.json");
  if (source.exists("tokenizer.json")) {
    return Tokenizer::from_tokenizer_json(text("tokenizer.json"), origin + "/tokenizer.json", config);
  }
  if (source.exists("vocab.txt")) return Tokenizer::from_vocab(text("vocab.txt"), config, origin + "/vocab.txt");
  throw Error(ErrorCode::kModelNotFound, origin + ": neither tokenizer.json nor vocab.txt found");
}

LoadedModel load_model(const ModelSource& source, const Options& options, const OpenWeights& open_weights) {
  ModelFiles files;
  files.origin = source.origin();
  files.config_json = source.read_text("config.json");
  if (files.config_json.empty()) {
    throw Error(ErrorCode::kModelNotFound, files.origin + "/config.json: missing (is this a Hugging Face model folder?)");
  }
  files.modules_json = source.read_text("modules.json");
  files.pooling_config_json =
      source.read_text(pooling_dir_from_modules(files.modules_json, files.origin) + "/config.json");
  files.sentence_bert_config_json = source.read_text("sentence_bert_config.json");
  // config.json that is no JSON object is what such a folder is reported for, whatever else it lacks; its fields
  // are checked once the files they describe are known to be there (assemble_model).
  (void)config_json::parse_object(files.config_json, files.origin + "/config.json");
  Tokenizer tokenizer = load_tokenizer(source);
  auto weights = open_weights ? open_weights() : open_model_weights(source);
  return assemble_model(files, std::move(tokenizer), std::move(weights), options.normalize, options.max_seq_length,
                        &source, options.truncate_dim);
}

}  // namespace gpuembed

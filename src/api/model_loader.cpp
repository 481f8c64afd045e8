#include "api/model_loader.h"

#include "gpuembed/error.h"

namespace gpuembed {

Tokenizer load_tokenizer(const ModelSource& source) {
  const std::string& origin = source.origin();
  // read_binary, not read_text: a tokenizer.json may pass the 16 MiB limit of configuration files (Gemma's is 33 MB).
  const auto text = [&](const char* rel) {
    const std::vector<uint8_t> bytes = source.read_binary(rel);
    return std::string(bytes.begin(), bytes.end());
  };
  const std::string config = source.read_text("tokenizer_config.json");
  if (source.exists("tokenizer.json")) {
    return Tokenizer::from_tokenizer_json(text("tokenizer.json"), origin + "/tokenizer.json", config);
  }
  if (source.exists("vocab.txt")) return Tokenizer::from_vocab(text("vocab.txt"), config, origin + "/vocab.txt");
  throw Error(ErrorCode::kModelNotFound, origin + ": neither tokenizer.json nor vocab.txt found");
}

LoadedModel load_model(const ModelSource& source, const Options& options, std::shared_ptr<const SafeTensors> weights) {
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
  if (!weights) weights = open_model_weights(source);
  return assemble_model(files, load_tokenizer(source), std::move(weights), options.normalize, options.max_seq_length,
                        &source, options.truncate_dim);
}

}  // namespace gpuembed

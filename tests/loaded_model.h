#pragma once
// A generated model loaded into the filesystem-free core (api/pipeline.h's assemble_model), as the WASM build does,
// for tests of the pieces below the public Embedder.
#include <string>

#include "api/pipeline.h"
#include "model/safetensors.h"
#include "model_fixture.h"

namespace gpuembed::test {

inline LoadedModel load_model(const std::string& name) {
  const auto dir = model_dir(name);
  ModelFiles files;
  files.origin = dir.string();
  files.config_json = read_file(dir / "config.json");
  files.modules_json = read_file(dir / "modules.json");
  files.pooling_config_json = read_file(dir / "1_Pooling" / "config.json");
  files.sentence_bert_config_json = read_file(dir / "sentence_bert_config.json");
  return assemble_model(files, Tokenizer::from_dir(dir), SafeTensors::open(dir / "model.safetensors"), -1);
}

}  // namespace gpuembed::test

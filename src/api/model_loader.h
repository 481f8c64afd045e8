#pragma once
// One way from a model's files to a loaded model, whatever holds the files: Embedder::load (a folder),
// Embedder::load_from_memory and the WebAssembly module's ge_load (files handed over in memory).
#include <memory>

#include "api/pipeline.h"
#include "gpuembed/gpuembed.h"
#include "model/model_source.h"

namespace gpuembed {

// tokenizer.json (with tokenizer_config.json), else vocab.txt; neither: kModelNotFound.
Tokenizer load_tokenizer(const ModelSource& source);

// config.json, modules.json, the Pooling module's config.json, sentence_bert_config.json, the tokenizer and the
// weights (`weights` when the caller opened them already, else model.safetensors or its shards), as `options`
// says (normalize, max_seq_length, truncate_dim).
LoadedModel load_model(const ModelSource& source, const Options& options,
                       std::shared_ptr<const SafeTensors> weights = nullptr);

}  // namespace gpuembed

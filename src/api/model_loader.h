#pragma once
// One way from a model's files to a loaded model, whatever holds the files: Embedder::load (a folder),
// Embedder::load_from_memory and the WebAssembly module's ge_load (files handed over in memory).
#include <functional>
#include <memory>

#include "api/pipeline.h"
#include "gpuembed/gpuembed.h"
#include "model/model_source.h"

namespace gpuembed {

// tokenizer.json (with tokenizer_config.json), else vocab.txt; neither: kModelNotFound.
Tokenizer load_tokenizer(const ModelSource& source);

// Weights the caller holds already (bytes handed over in memory), opened when load_model needs them.
using OpenWeights = std::function<std::shared_ptr<const SafeTensors>()>;

// config.json, modules.json, the Pooling module's config.json, sentence_bert_config.json, the tokenizer, then the
// weights (open_weights, else model.safetensors or its shards), as `options` says (normalize, max_seq_length,
// truncate_dim). The weights come last: a copy of them made before the tokenizer's many small allocations would
// leave those above it on the WebAssembly heap, which then cannot shrink back.
LoadedModel load_model(const ModelSource& source, const Options& options, const OpenWeights& open_weights = {});

}  // namespace gpuembed

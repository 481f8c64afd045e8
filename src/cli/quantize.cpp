// `gpuembed quantize IN OUT`: copies a model folder and rewrites model.safetensors with every float matrix (Linear
// weights and embedding tables; not the token-type table of 2 rows) stored as I8 [rows, cols] plus "<name>_scale"
// F32 [rows], W[r, :] = q[r, :] * scale[r] (symmetric, per row = per output channel: for the Linear weights the
// same quantization the int8 precision applies at load, so its matmuls see identical integers from either file).
// Vectors (biases, LayerNorm) keep their dtype and bytes. Any gpuembed backend reads the result (SafeTensors::f32
// dequantizes at load): about a quarter of the float32 bytes, which is what a browser downloads.
#include "cli/quantize.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backend/cpu/gemm_int8.h"
#include "gpuembed/error.h"
#include "model/safetensors.h"

namespace gpuembed::cli {
namespace {

// Every float matrix: the Linear weights and the embedding tables (rows of a table are quantized like output
// channels). Vectors (biases, LayerNorm) stay as they are.
bool is_quantized_matrix(const TensorInfo& t) {
  const bool float_type = t.dtype == DType::kF32 || t.dtype == DType::kF16 || t.dtype == DType::kBF16;
  return float_type && t.shape.size() == 2 && t.shape[0] > 2;
}

struct Out {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  std::vector<uint8_t> data;
  void add(const std::string& name, const char* dtype, const std::vector<int64_t>& shape, const void* bytes,
           size_t n) {
    const size_t begin = data.size();
    data.insert(data.end(), static_cast<const uint8_t*>(bytes), static_cast<const uint8_t*>(bytes) + n);
    header[name] = {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {begin, data.size()}}};
  }
};

}  // namespace

void quantize_model(const std::filesystem::path& in_dir, const std::filesystem::path& out_dir) {
  namespace fs = std::filesystem;
  const fs::path weights = in_dir / "model.safetensors";
  if (!fs::is_regular_file(weights))
    throw Error(ErrorCode::kModelNotFound, weights.string() + ": no model.safetensors to quantize");
  if (fs::exists(out_dir) && !fs::is_empty(out_dir))
    throw Error(ErrorCode::kInvalidInput, out_dir.string() + ": output folder exists and is not empty");
  const auto st = SafeTensors::open(weights);
  for (const auto& [name, info] : st->tensors())
    if (info.dtype == DType::kI8 && st->find(name + "_scale") != nullptr)
      throw Error(ErrorCode::kInvalidInput, weights.string() + " is already quantized ('" + name + "' is int8)");

  Out out;
  size_t quantized = 0, in_bytes = 0;
  for (const auto& [name, info] : st->tensors()) {
    in_bytes += info.end - info.begin;
    if (is_quantized_matrix(info)) {
      const TensorView w = st->f32(name);
      const auto n = static_cast<size_t>(info.shape[0]), k = static_cast<size_t>(info.shape[1]);
      const cpu::QuantizedWeights q = cpu::quantize_per_channel(w.data, n, k);
      out.add(name, "I8", info.shape, q.q.data(), q.q.size());
      out.add(name + "_scale", "F32", {info.shape[0]}, q.scale.data(), q.scale.size() * sizeof(float));
      ++quantized;
    } else {
      const std::vector<uint8_t> raw = st->raw_bytes(name);
      out.add(name, dtype_name(info.dtype), info.shape, raw.data(), raw.size());
    }
  }
  out.header["__metadata__"] = {{"format", "pt"},
                                {"gpuembed.quantization", "int8 per output channel, symmetric: W = I8 * <name>_scale"},
                                {"gpuembed.quantized_tensors", std::to_string(quantized)}};
  std::string header = out.header.dump();
  header.append((8 - header.size() % 8) % 8, ' ');  // data section 8-byte aligned, as the format recommends

  fs::create_directories(out_dir);
  for (const auto& entry : fs::recursive_directory_iterator(in_dir)) {
    const fs::path rel = fs::relative(entry.path(), in_dir);
    if (rel == "model.safetensors" || rel == "pytorch_model.bin") continue;
    if (entry.is_directory()) fs::create_directories(out_dir / rel);
    else if (entry.is_regular_file()) fs::copy_file(entry.path(), out_dir / rel, fs::copy_options::overwrite_existing);
  }
  const fs::path dst = out_dir / "model.safetensors";
  std::ofstream f(dst, std::ios::binary);
  const uint64_t len = header.size();
  uint8_t len_le[8];
  for (int i = 0; i < 8; ++i) len_le[i] = static_cast<uint8_t>(len >> (8 * i));
  f.write(reinterpret_cast<const char*>(len_le), 8);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.write(reinterpret_cast<const char*>(out.data.data()), static_cast<std::streamsize>(out.data.size()));
  if (!f.flush()) throw Error(ErrorCode::kInvalidInput, dst.string() + ": cannot write the quantized model");
  std::fprintf(stderr, "gpuembed quantize: %zu matrices to int8; %zu -> %zu bytes of tensors in %s\n", quantized,
               in_bytes, out.data.size(), dst.string().c_str());
}

}  // namespace gpuembed::cli

#include "model/safetensors.h"

#include "model/half.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "gpuembed/error.h"
#include "model/json_text.h"
#include "model/model_invalid.h"

#ifndef __EMSCRIPTEN__
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace gpuembed {
namespace {

// A header larger than this is not a model header but a corrupt length field.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

bool parse_dtype(const std::string& s, DType* out) {
  static const std::pair<const char*, DType> kNames[] = {
      {"F32", DType::kF32}, {"F16", DType::kF16}, {"BF16", DType::kBF16}, {"F64", DType::kF64},
      {"I64", DType::kI64}, {"I32", DType::kI32}, {"I16", DType::kI16},   {"I8", DType::kI8},
      {"U8", DType::kU8},   {"BOOL", DType::kBool}};
  for (const auto& [name, d] : kNames) {
    if (s == name) {
      *out = d;
      return true;
    }
  }
  return false;
}

}  // namespace

size_t dtype_size(DType d) {
  switch (d) {
    case DType::kF64: case DType::kI64: return 8;
    case DType::kF32: case DType::kI32: return 4;
    case DType::kF16: case DType::kBF16: case DType::kI16: return 2;
    case DType::kI8: case DType::kU8: case DType::kBool: return 1;
  }
  return 1;
}

const char* dtype_name(DType d) {
  switch (d) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kF64: return "F64";
    case DType::kI64: return "I64";
    case DType::kI32: return "I32";
    case DType::kI16: return "I16";
    case DType::kI8: return "I8";
    case DType::kU8: return "U8";
    case DType::kBool: return "BOOL";
  }
  return "?";
}

SafeTensors::SafeTensors(std::string origin) : origin_(std::move(origin)) {}

SafeTensors::~SafeTensors() {
#ifndef __EMSCRIPTEN__
  if (mapping_) munmap(mapping_, mapping_size_);
#endif
}

std::shared_ptr<SafeTensors> SafeTensors::open(const std::filesystem::path& path) {
  std::shared_ptr<SafeTensors> st(new SafeTensors(path.string()));
#ifndef __EMSCRIPTEN__
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorCode::kModelNotFound, path.string() + ": cannot open (" + std::strerror(errno) + ")");
  struct stat sb {};
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    ::close(fd);
    throw Error(ErrorCode::kModelInvalid, path.string() + ": not a regular file");
  }
  const size_t size = static_cast<size_t>(sb.st_size);
  if (static_cast<uint64_t>(sb.st_size) > kMaxModelFileBytes) {
    ::close(fd);
    throw Error(ErrorCode::kModelInvalid, path.string() + ": " + std::to_string(sb.st_size) +
                                              " bytes exceeds the model file size limit of " +
                                              std::to_string(kMaxModelFileBytes) + " bytes");
  }
  if (size > 0) {
    void* m = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      throw Error(ErrorCode::kModelInvalid, path.string() + ": mmap failed (" + std::strerror(errno) + ")");
    }
    st->mapping_ = m;
    st->mapping_size_ = size;
    st->bytes_ = static_cast<const uint8_t*>(m);
  }
  st->size_ = size;
  ::close(fd);
#else
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kModelNotFound, path.string() + ": cannot open");
  st->owned_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  st->bytes_ = st->owned_.data();
  st->size_ = st->owned_.size();
#endif
  st->parse();
  return st;
}

namespace {
void check_file_size(size_t size, const std::string& origin) {
  if (size > kMaxModelFileBytes) {
    throw Error(ErrorCode::kModelInvalid, origin + ": " + std::to_string(size) +
                                              " bytes exceeds the model file size limit of " +
                                              std::to_string(kMaxModelFileBytes) + " bytes");
  }
}
}  // namespace

std::shared_ptr<SafeTensors> SafeTensors::from_bytes(std::vector<uint8_t> bytes, const std::string& origin) {
  check_file_size(bytes.size(), origin);
  std::shared_ptr<SafeTensors> st(new SafeTensors(origin));
  st->owned_ = std::move(bytes);
  st->bytes_ = st->owned_.data();
  st->size_ = st->owned_.size();
  st->parse();
  return st;
}

std::shared_ptr<SafeTensors> SafeTensors::adopt_malloced(uint8_t* bytes, size_t size, const std::string& origin) {
  std::unique_ptr<uint8_t, void (*)(void*)> owned(bytes, &std::free);
  check_file_size(size, origin);
  std::shared_ptr<SafeTensors> st(new SafeTensors(origin));
  st->malloced_ = std::move(owned);
  st->bytes_ = bytes;
  st->size_ = size;
  st->parse();
  return st;
}

void SafeTensors::parse() {
  if (size_ < 8) invalid(origin_, "file is " + std::to_string(size_) + " bytes, too short for a safetensors header");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes_[i];
  if (header_len > kMaxHeaderBytes || header_len > size_ - 8) {
    invalid(origin_, "header length " + std::to_string(header_len) + " exceeds the file size " +
                         std::to_string(size_) + " (truncated or not a safetensors file)");
  }
  const char* hp = reinterpret_cast<const char*>(bytes_ + 8);
  const nlohmann::json header = parse_json(std::string_view(hp, header_len), origin_, "header is not valid JSON");
  if (!header.is_object()) invalid(origin_, "header is not a JSON object");
  data_ = bytes_ + 8 + header_len;
  const size_t data_size = size_ - 8 - header_len;

  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = "tensor '" + name + "'";
    if (!entry.is_object()) invalid(origin_, where + " is not an object");
    TensorInfo info{};
    if (!entry.contains("dtype") || !entry["dtype"].is_string()) invalid(origin_, where + ": missing dtype");
    const std::string dt = entry["dtype"].get<std::string>();
    if (!parse_dtype(dt, &info.dtype)) invalid(origin_, where + ": unknown dtype '" + dt + "'");
    if (!entry.contains("shape") || !entry["shape"].is_array()) invalid(origin_, where + ": missing shape");
    size_t numel = 1;
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) invalid(origin_, where + ": bad shape");
      const auto dim = static_cast<uint64_t>(d.get<int64_t>());
      if (dim != 0 && numel > std::numeric_limits<size_t>::max() / dim) invalid(origin_, where + ": shape overflows");
      numel *= dim;
      info.shape.push_back(static_cast<int64_t>(dim));
    }
    const auto& offs = entry.value("data_offsets", nlohmann::json());
    if (!offs.is_array() || offs.size() != 2 || !offs[0].is_number_unsigned() || !offs[1].is_number_unsigned()) {
      invalid(origin_, where + ": data_offsets must be [begin, end]");
    }
    const uint64_t b = offs[0].get<uint64_t>(), e = offs[1].get<uint64_t>();
    if (b > e || e > data_size) {
      invalid(origin_, where + ": data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                           "] fall outside the " + std::to_string(data_size) + "-byte data section (truncated file?)");
    }
    if (numel > std::numeric_limits<size_t>::max() / dtype_size(info.dtype) || e - b != numel * dtype_size(info.dtype)) {
      invalid(origin_, where + ": " + std::to_string(e - b) + " bytes do not match dtype " + dt + " and its shape");
    }
    info.begin = b;
    info.end = e;
    tensors_.emplace(name, std::move(info));
  }

  std::vector<const TensorInfo*> by_offset;
  for (const auto& [n, t] : tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end) invalid(origin_, "two tensors overlap in the data section");
  }
}

std::shared_ptr<SafeTensors> SafeTensors::merge(std::vector<std::shared_ptr<const SafeTensors>> shards,
                                                const std::string& origin) {
  std::shared_ptr<SafeTensors> st(new SafeTensors(origin));
  for (size_t i = 0; i < shards.size(); ++i) {
    for (const auto& [name, info] : shards[i]->tensors()) {
      if (!st->shard_of_.emplace(name, i).second) {
        invalid(origin, "tensor '" + name + "' is in two shards (" + shards[st->shard_of_[name]]->origin() + " and " +
                            shards[i]->origin() + ")");
      }
      st->tensors_.emplace(name, info);
    }
  }
  st->shards_ = std::move(shards);
  return st;
}

const TensorInfo* SafeTensors::find(const std::string& name) const {
  if (!shards_.empty()) {
    auto s = shard_of_.find(name);
    return s == shard_of_.end() ? nullptr : shards_[s->second]->find(name);
  }
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

std::vector<uint8_t> SafeTensors::raw_bytes(const std::string& name) const {
  const TensorInfo* info = find(name);
  if (!info) invalid(origin_, "tensor '" + name + "' is missing");
  return std::vector<uint8_t>(data_ + info->begin, data_ + info->end);
}

TensorView SafeTensors::f32(const std::string& name) const {
  if (!shards_.empty()) {
    auto s = shard_of_.find(name);
    if (s == shard_of_.end()) invalid(origin_, "tensor '" + name + "' is missing");
    return shards_[s->second]->f32(name);
  }
  const TensorInfo* info = find(name);
  if (!info) invalid(origin_, "tensor '" + name + "' is missing");
  TensorView view;
  view.shape = info->shape;
  const uint8_t* src = data_ + info->begin;
  const size_t n = view.numel();
  if (info->dtype == DType::kF32 && reinterpret_cast<uintptr_t>(src) % alignof(float) == 0) {
    view.data = reinterpret_cast<const float*>(src);
    return view;
  }
  // An int8 matrix written by `gpuembed quantize`: W[r, :] = q[r, :] * scale[r], scale in "<name>_scale".
  const TensorInfo* scale = info->dtype == DType::kI8 ? find(name + "_scale") : nullptr;
  if (scale != nullptr) {
    if (info->shape.size() != 2 || scale->shape != std::vector<int64_t>{info->shape[0]})
      invalid(origin_, "tensor '" + name + "_scale' must hold one scale per row of '" + name + "'");
    const TensorView s = f32(name + "_scale");
    std::lock_guard<std::mutex> lock(convert_mutex_);
    auto& slot = converted_[name];
    if (!slot) {
      slot.reset(new float[n ? n : 1]);
      const size_t cols = static_cast<size_t>(info->shape[1]);
      for (size_t i = 0; i < n; ++i) slot[i] = static_cast<float>(static_cast<int8_t>(src[i])) * s.data[i / cols];
    }
    view.data = slot.get();
    return view;
  }
  if (info->dtype != DType::kF32 && info->dtype != DType::kF16 && info->dtype != DType::kBF16 &&
      info->dtype != DType::kF64) {
    invalid(origin_, "tensor '" + name + "' has dtype " + dtype_name(info->dtype) + ", expected a float type");
  }
  std::lock_guard<std::mutex> lock(convert_mutex_);
  auto& slot = converted_[name];
  if (!slot) {
    slot.reset(new float[n ? n : 1]);
    float* dst = slot.get();
    for (size_t i = 0; i < n; ++i) {
      switch (info->dtype) {
        case DType::kF32: std::memcpy(&dst[i], src + 4 * i, 4); break;
        case DType::kF64: { double d; std::memcpy(&d, src + 8 * i, 8); dst[i] = static_cast<float>(d); break; }
        case DType::kF16: { uint16_t h; std::memcpy(&h, src + 2 * i, 2); dst[i] = half_to_float(h); break; }
        default: { uint16_t h; std::memcpy(&h, src + 2 * i, 2); dst[i] = bf16_to_float(h); break; }
      }
    }
  }
  view.data = slot.get();
  return view;
}

}  // namespace gpuembed

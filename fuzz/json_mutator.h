#pragma once
// A JSON-aware custom mutator for the targets whose input is (NUL-separated) JSON. Half of the mutations are
// libFuzzer's own byte-level ones; the other half parse one part as JSON and change one node of the tree: replace it
// with a value of another type (null, bool, 0, -1, 2^31-1, 2^64-1, 1e300, "A", [], {}, a small int), delete an
// object member or array element, or duplicate an array element. Byte mutations rarely keep JSON valid, so without
// this the loaders' type checks (a string where a number is expected, ...) are reached far less often.
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace fuzz {

inline nlohmann::json random_json_value(std::mt19937& rng) {
  switch (rng() % 13) {
    case 0: return nullptr;
    case 1: return true;
    case 2: return false;
    case 3: return 0;
    case 4: return -1;
    case 5: return 2147483647;
    case 6: return 18446744073709551615ull;
    case 7: return 1e300;
    case 8: return "A";
    case 9: return nlohmann::json::array();
    case 10: return nlohmann::json::object();
    case 11: return "[CLS]";
    default: return static_cast<int64_t>(rng() % 70000);
  }
}

inline void collect_nodes(nlohmann::json& j, std::vector<nlohmann::json*>& out) {
  out.push_back(&j);
  if (j.is_structured()) {
    for (auto& v : j) collect_nodes(v, out);
  }
}

// Mutates one node of `text` (if it is JSON); false when it is not JSON.
inline bool mutate_json_text(std::string& text, std::mt19937& rng) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return false;
  std::vector<nlohmann::json*> nodes;
  collect_nodes(j, nodes);
  nlohmann::json& n = *nodes[rng() % nodes.size()];
  const unsigned op = rng() % 4;
  if (op == 1 && n.is_object() && !n.empty()) {
    auto it = n.begin();
    std::advance(it, static_cast<long>(rng() % n.size()));
    n.erase(it);
  } else if (op == 2 && n.is_array() && !n.empty()) {
    const size_t k = rng() % n.size();
    if (rng() % 2) n.push_back(n[k]);
    else n.erase(k);
  } else if (op == 3 && n.is_object() && !n.empty()) {
    auto it = n.begin();
    std::advance(it, static_cast<long>(rng() % n.size()));
    it.value() = random_json_value(rng);
  } else {
    n = random_json_value(rng);
  }
  text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return true;
}

// For inputs made of parts joined by NUL bytes: mutates one part as JSON, else falls back to libFuzzer.
inline size_t mutate_json_parts(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  std::mt19937 rng(seed);
  if (rng() % 2 == 0 || size == 0) return LLVMFuzzerMutate(data, size, max_size);
  std::vector<std::string> parts;
  std::string cur;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  parts.push_back(cur);
  const size_t k = rng() % parts.size();
  if (!mutate_json_text(parts[k], rng)) return LLVMFuzzerMutate(data, size, max_size);
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back('\0');
    out += parts[i];
  }
  if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

// For safetensors files: mutates the JSON header and rewrites its 8-byte length, keeping the data section.
inline size_t mutate_safetensors_header(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  std::mt19937 rng(seed);
  if (rng() % 2 == 0 || size < 8) return LLVMFuzzerMutate(data, size, max_size);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | data[i];
  if (n > size - 8) return LLVMFuzzerMutate(data, size, max_size);
  std::string header(reinterpret_cast<const char*>(data + 8), n);
  if (!mutate_json_text(header, rng)) return LLVMFuzzerMutate(data, size, max_size);
  const std::string body(reinterpret_cast<const char*>(data + 8 + n), size - 8 - n);
  if (8 + header.size() + body.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  for (int i = 0; i < 8; ++i) data[i] = static_cast<uint8_t>((header.size() >> (8 * i)) & 0xff);
  std::memcpy(data + 8, header.data(), header.size());
  std::memcpy(data + 8 + header.size(), body.data(), body.size());
  return 8 + header.size() + body.size();
}

}  // namespace fuzz

// cpu::attention alone, serial (parallel_for stubbed: serial_parallel_for.h): the best of N calls at MiniLM's
// shapes, and a hash of the output bits for a set of awkward shapes (lengths not a multiple of the tiles, the
// relative-bias table, a causal window, grouped queries), so that a rewrite can be checked bit for bit against the
// build before it (same hashes = same output).
// Build and run: bench/wasm/build_attention_bench.sh (WASM SIMD128, relaxed SIMD, native), then
//   node --no-experimental-fetch [--experimental-wasm-relaxed-simd] build-wasm-cpu-bench/ab[-relaxed].cjs 32 128 30
//   build-wasm-cpu-bench/ab-native 32 128 30
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "backend/cpu/ops.h"
#include "serial_parallel_for.h"

using namespace gpuembed::cpu;

static PackedRows rows_of(const std::vector<size_t>& lens) {
  PackedRows rows;
  rows.offsets.push_back(0);
  for (size_t l : lens) rows.offsets.push_back(rows.offsets.back() + l);
  return rows;
}

static uint64_t fnv(const std::vector<float>& v) {
  uint64_t h = 1469598103934665603ull;
  for (float f : v) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    for (int i = 0; i < 4; ++i) h = (h ^ ((b >> (8 * i)) & 0xff)) * 1099511628211ull;
  }
  return h;
}

// One shape: random QKV, attention, the output's hash.
static uint64_t hash_case(const std::vector<size_t>& lens, size_t heads, size_t hd, size_t kv_heads,
                          const DistanceTerms& bias, std::mt19937& g) {
  const PackedRows rows = rows_of(lens);
  const size_t kv = kv_heads ? kv_heads : heads, stride = (heads + 2 * kv) * hd;
  std::normal_distribution<float> d(0.0f, 1.5f);
  std::vector<float> qkv(rows.rows() * stride), ctx(rows.rows() * heads * hd);
  for (auto& x : qkv) x = d(g);
  attention(qkv.data(), rows, heads, hd, ctx.data(), bias, kv_heads);
  return fnv(ctx);
}

int main(int argc, char** argv) {
  const size_t texts = argc > 1 ? std::atoi(argv[1]) : 32, len = argc > 2 ? std::atoi(argv[2]) : 128;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 30;
  std::mt19937 g(7);
  std::vector<float> table(32 * 4);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (auto& x : table) x = d(g);
  DistanceTerms rel;
  rel.table = table.data(), rel.buckets = 32, rel.max_distance = 128;
  DistanceTerms causal_window;
  causal_window.causal = true, causal_window.window = 5;
  const std::vector<size_t> odd = {1, 2, 3, 5, 7, 8, 9, 13, 16, 17, 31, 33, 64, 77, 128, 130};
  uint64_t h = 0;
  h ^= hash_case(odd, 12, 32, 0, {}, g);
  h = h * 31 ^ hash_case(odd, 4, 16, 0, rel, g);
  h = h * 31 ^ hash_case(odd, 4, 64, 2, causal_window, g);
  h = h * 31 ^ hash_case(odd, 3, 6, 0, {}, g);
  h = h * 31 ^ hash_case(odd, 2, 10, 1, rel, g);
  std::printf("output hash (odd shapes) %016llx\n", static_cast<unsigned long long>(h));

  const size_t heads = 12, hd = 32;
  const PackedRows rows = rows_of(std::vector<size_t>(texts, len));
  std::vector<float> qkv(rows.rows() * 3 * heads * hd), ctx(rows.rows() * heads * hd);
  std::normal_distribution<float> dq(0.0f, 1.0f);
  for (auto& x : qkv) x = dq(g);
  double best = 1e30, sum = 0;
  for (int r = 0; r < reps + 1; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    attention(qkv.data(), rows, heads, hd, ctx.data());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (r == 0) continue;  // warm-up
    best = std::min(best, ms);
    sum += ms;
  }
  std::printf("attention %zu x %zu, 12 heads x 32: best %.3f ms, mean %.3f ms of %d; output hash %016llx\n", texts,
              len, best, sum / reps, reps, static_cast<unsigned long long>(fnv(ctx)));
  return 0;
}

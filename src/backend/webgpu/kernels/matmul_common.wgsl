// What the matmul kernels (matmul.wgsl, matmul_f16.wgsl, matmul_small.wgsl, matmul_sgmat.wgsl) share: one contract,
// so the engine binds and dispatches any of them the same way, and one epilogue, so they cannot round differently.
// Prepended by kernels.cpp, with erf.wgsl for gpuembed_gelu.
struct Params { M: u32, N: u32, K: u32, flags: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<mm_x>;  // each kernel: alias mm_x = act, mm_w = wt (or u32 pairs)
@group(0) @binding(2) var<storage, read> w: array<mm_w>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<act>;
@group(0) @binding(5) var<storage, read_write> y: array<act>;

// y[m, n] from the f32 sum s: + bias, then GELU (flags bit 0), then + residual (flags bit 1), in f32; rounded to
// `act` once.
fn store_y(m: u32, n: u32, s: f32) {
  var v = s + bias[n];
  if ((p.flags & 1u) != 0u) { v = gpuembed_gelu(v); }
  if ((p.flags & 2u) != 0u) { v = v + f32(residual[m * p.N + n]); }
  y[m * p.N + n] = act(v);
}

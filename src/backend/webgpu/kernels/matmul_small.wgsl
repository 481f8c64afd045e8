// y[m, n] = sum_k x[m, k] * w[n, k] + bias[n] (+GELU: flags bit 0, + residual[m, n]: flags bit 1), the same contract
// as matmul.wgsl without workgroup memory: one invocation per output (64 columns x 1 row per workgroup).
// Chosen for few rows (a short sentence) where a 64-row tile would be mostly idle, and on software adapters, where
// barriers cost more than the reuse gains. gpuembed_gelu comes from erf.wgsl, prepended.
struct Params { M: u32, N: u32, K: u32, flags: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = gid.x;
  let m = gid.y + gid.z * nwg.y;
  if (n >= p.N || m >= p.M) { return; }
  let xr = m * p.K;
  let wr = n * p.K;
  var acc = 0.0;
  for (var k = 0u; k < p.K; k = k + 1u) {
    acc = acc + x[xr + k] * w[wr + k];
  }
  var v = acc + bias[n];
  if ((p.flags & 1u) != 0u) { v = gpuembed_gelu(v); }
  if ((p.flags & 2u) != 0u) { v = v + residual[m * p.N + n]; }
  y[m * p.N + n] = v;
}

// y[m, n] = sum_k x[m, k] * w[n, k] + bias[n]   (w in PyTorch Linear layout [out, in]; also the fused QKV weight
// [3*hidden, hidden]), then optionally GELU (flags bit 0) and/or + residual[m, n] (flags bit 1).
// Tiled through workgroup memory: a 64x64 output tile per workgroup of 16x16 threads, 4x4 outputs per thread
// (rows ty + 16 i, columns tx + 16 j), the K dimension walked in slices of 16. Any M, N, K (edges are guarded).
// gpuembed_gelu comes from erf.wgsl, prepended.
struct Params { M: u32, N: u32, K: u32, flags: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;
var<workgroup> xs: array<f32, 1024>;  // [BK][BM]
var<workgroup> ws: array<f32, 1024>;  // [BK][BN]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let tx = lid3.x;
  let ty = lid3.y;
  var acc: array<f32, 16>;
  for (var i = 0u; i < 16u; i = i + 1u) { acc[i] = 0.0; }

  for (var k0 = 0u; k0 < p.K; k0 = k0 + BK) {
    // 1024 elements of each tile, 4 per thread; consecutive threads read consecutive k (rows of x and w).
    for (var e = 0u; e < 4u; e = e + 1u) {
      let idx = lid + e * 256u;
      let r = idx / BK;
      let kk = idx % BK;
      let gk = k0 + kk;
      let gm = m0 + r;
      var xv = 0.0;
      if (gm < p.M && gk < p.K) { xv = x[gm * p.K + gk]; }
      xs[kk * BM + r] = xv;
      let gn = n0 + r;
      var wv = 0.0;
      if (gn < p.N && gk < p.K) { wv = w[gn * p.K + gk]; }
      ws[kk * BN + r] = wv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk = kk + 1u) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i = i + 1u) {
        a[i] = xs[kk * BM + ty + 16u * i];
        b[i] = ws[kk * BN + tx + 16u * i];
      }
      for (var i = 0u; i < 4u; i = i + 1u) {
        for (var j = 0u; j < 4u; j = j + 1u) {
          acc[i * 4u + j] = acc[i * 4u + j] + a[i] * b[j];
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i = i + 1u) {
    let gm = m0 + ty + 16u * i;
    if (gm >= p.M) { continue; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      let gn = n0 + tx + 16u * j;
      if (gn >= p.N) { continue; }
      var v = acc[i * 4u + j] + bias[gn];
      if ((p.flags & 1u) != 0u) { v = gpuembed_gelu(v); }
      if ((p.flags & 2u) != 0u) { v = v + residual[gm * p.N + gn]; }
      y[gm * p.N + gn] = v;
    }
  }
}

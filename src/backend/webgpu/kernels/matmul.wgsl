// y[m, n] = sum_k x[m, k] * w[n, k] + bias[n]   (w in PyTorch Linear layout [out, in]; also the fused QKV weight
// [3*hidden, hidden]), then optionally GELU (flags bit 0) and/or + residual[m, n] (flags bit 1).
// Tiled through workgroup memory: a BM x 64 output tile (BM = 64 * RV) per workgroup of 16x16 threads; thread (tx, ty)
// owns 4 consecutive columns n0 + 4 tx .. + 3 and RV groups of 4 consecutive rows m0 + 64 r + 4 ty .. + 3, so each
// step of k reads RV + 1 vec4s from workgroup memory for 16 * RV multiply-adds. K is walked in slices of 16; the
// tiles are stored k-major as vec4s of 4 rows / 4 columns, rows padded to 17 vec4s (no bank conflicts on the stores).
// Any M, N, K (edges are guarded). Row tiles are grid-strided (workgroup_id.y), so any grid of at least ceil(N / 64)
// columns is correct; the best is [ceil(N / 64), ceil(M / BM)]. Bindings and epilogue (store_y): matmul_common.wgsl.
// x, residual, y are activations (`act`), w a weight matrix (`wt`): converted to f32 as the tiles are filled, so the
// products and sums are f32 in both precisions; y is rounded to `act` once, after bias, GELU and residual.
alias mm_x = act;  // matmul_common.wgsl's x and w element types
alias mm_w = wt;
const RV: u32 = 1u;          // row groups of 4 per thread (kernels.h: matmul_tile_rows() = 64 * RV)
const BM: u32 = 64u * RV;
const BN: u32 = 64u;
const BK: u32 = 16u;
const SV: u32 = 17u;         // vec4 stride of one k row of a tile (16 + 1 padding)
var<workgroup> xs: array<vec4<f32>, 544>;  // [BK][RV * 16 (+ pad)] : 16 * (16 * RV + 1)   (RV <= 2)
var<workgroup> ws: array<vec4<f32>, 272>;  // [BK][SV]

fn xload(m: u32, k: u32) -> f32 {
  if (m < p.M && k < p.K) { return f32(x[m * p.K + k]); }
  return 0.0;
}
fn wload(n: u32, k: u32) -> f32 {
  if (n < p.N && k < p.K) { return f32(w[n * p.K + k]); }
  return 0.0;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n0 = wid.x * BN;
  let tx = lid3.x;
  let ty = lid3.y;
  // tile loads: thread lid reads k = k0 + lk of 4 consecutive rows (row group lq)
  let lk = lid % BK;
  let lq = lid / BK;  // 0..15
  let xstride = RV * 16u + 1u;
  let mtiles = (p.M + BM - 1u) / BM;
  for (var mt = wid.y; mt < mtiles; mt = mt + nwg.y) {
    let m0 = mt * BM;
    var acc: array<vec4<f32>, 8>;  // [RV * 4] rows, 4 columns each
    for (var i = 0u; i < RV * 4u; i = i + 1u) { acc[i] = vec4<f32>(0.0); }

    for (var k0 = 0u; k0 < p.K; k0 = k0 + BK) {
      let gk = k0 + lk;
      for (var r = 0u; r < RV; r = r + 1u) {
        let gm = m0 + r * 64u + 4u * lq;
        xs[lk * xstride + r * 16u + lq] =
            vec4<f32>(xload(gm, gk), xload(gm + 1u, gk), xload(gm + 2u, gk), xload(gm + 3u, gk));
      }
      let gn = n0 + 4u * lq;
      ws[lk * SV + lq] = vec4<f32>(wload(gn, gk), wload(gn + 1u, gk), wload(gn + 2u, gk), wload(gn + 3u, gk));
      workgroupBarrier();
      for (var kk = 0u; kk < BK; kk = kk + 1u) {
        let b = ws[kk * SV + tx];
        for (var r = 0u; r < RV; r = r + 1u) {
          let a = xs[kk * xstride + r * 16u + ty];
          acc[r * 4u + 0u] = acc[r * 4u + 0u] + a.x * b;
          acc[r * 4u + 1u] = acc[r * 4u + 1u] + a.y * b;
          acc[r * 4u + 2u] = acc[r * 4u + 2u] + a.z * b;
          acc[r * 4u + 3u] = acc[r * 4u + 3u] + a.w * b;
        }
      }
      workgroupBarrier();
    }

    let nb = n0 + 4u * tx;
    for (var r = 0u; r < RV; r = r + 1u) {
      for (var i = 0u; i < 4u; i = i + 1u) {
        let gm = m0 + r * 64u + 4u * ty + i;
        if (gm >= p.M) { continue; }
        let a = acc[r * 4u + i];
        for (var j = 0u; j < 4u; j = j + 1u) {
          let gn = nb + j;
          if (gn >= p.N) { continue; }
          store_y(gm, gn, a[j]);
        }
      }
    }
  }
}

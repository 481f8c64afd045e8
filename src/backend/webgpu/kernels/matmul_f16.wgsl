// The fp16 path's matmul (kernels.cpp compiles it as Kernel::kMatmul when the precision is fp16; needs
// precision_f16.wgsl, whose aliases make `act` and `wt` f16): the contract, the tile geometry and the grid of
// matmul.wgsl (a 64 x 64 output tile per workgroup of 16 x 16 threads, 4 x 4 outputs per thread, K in slices of 16,
// row tiles grid-strided over workgroup_id.y), but with f16 arithmetic where matmul.wgsl converts to f32:
//  - the workgroup tiles hold f16 (half the bytes per step of k: the f32 kernel is bound by workgroup-memory reads);
//  - within one k-slice the products are summed by vec4<f16> multiply-adds (packed f16 math on GPUs that have it);
//  - each slice's f16 partial sums are added into f32 accumulators, so an f16 sum never spans more than 16 products
//    and the rounding error does not grow with K (a whole-K f16 sum loses the small terms of a long row);
//  - the epilogue (bias, GELU, residual: store_y of matmul_common.wgsl) is f32; y is rounded to f16 once.
alias mm_x = act;  // matmul_common.wgsl's x and w element types
alias mm_w = wt;
const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;
const SV: u32 = 17u;  // vec4 stride of one k row of a tile (16 + 1: no bank conflicts on the stores)
var<workgroup> xs: array<vec4<f16>, 272>;  // [BK][SV]: 4 consecutive rows at one k
var<workgroup> ws: array<vec4<f16>, 272>;  // [BK][SV]: 4 consecutive columns at one k

fn xload(m: u32, k: u32) -> f16 {
  if (m < p.M && k < p.K) { return f16(x[m * p.K + k]); }
  return 0.0h;
}
fn wload(n: u32, k: u32) -> f16 {
  if (n < p.N && k < p.K) { return f16(w[n * p.K + k]); }
  return 0.0h;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n0 = wid.x * BN;
  let tx = lid3.x;
  let ty = lid3.y;
  let lk = lid % BK;
  let lq = lid / BK;
  let mtiles = (p.M + BM - 1u) / BM;
  for (var mt = wid.y; mt < mtiles; mt = mt + nwg.y) {
    let m0 = mt * BM;
    var acc: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i = i + 1u) { acc[i] = vec4<f32>(0.0); }

    for (var k0 = 0u; k0 < p.K; k0 = k0 + BK) {
      let gk = k0 + lk;
      let gm = m0 + 4u * lq;
      xs[lk * SV + lq] = vec4<f16>(xload(gm, gk), xload(gm + 1u, gk), xload(gm + 2u, gk), xload(gm + 3u, gk));
      let gn = n0 + 4u * lq;
      ws[lk * SV + lq] = vec4<f16>(wload(gn, gk), wload(gn + 1u, gk), wload(gn + 2u, gk), wload(gn + 3u, gk));
      workgroupBarrier();
      var s0 = vec4<f16>(0.0h);
      var s1 = vec4<f16>(0.0h);
      var s2 = vec4<f16>(0.0h);
      var s3 = vec4<f16>(0.0h);
      for (var kk = 0u; kk < BK; kk = kk + 1u) {
        let b = ws[kk * SV + tx];
        let a = xs[kk * SV + ty];
        s0 = fma(vec4<f16>(a.x), b, s0);
        s1 = fma(vec4<f16>(a.y), b, s1);
        s2 = fma(vec4<f16>(a.z), b, s2);
        s3 = fma(vec4<f16>(a.w), b, s3);
      }
      acc[0] = acc[0] + vec4<f32>(s0);
      acc[1] = acc[1] + vec4<f32>(s1);
      acc[2] = acc[2] + vec4<f32>(s2);
      acc[3] = acc[3] + vec4<f32>(s3);
      workgroupBarrier();
    }

    let nb = n0 + 4u * tx;
    for (var i = 0u; i < 4u; i = i + 1u) {
      let gm = m0 + 4u * ty + i;
      if (gm >= p.M) { continue; }
      let a = acc[i];
      for (var j = 0u; j < 4u; j = j + 1u) {
        let gn = nb + j;
        if (gn >= p.N) { continue; }
        store_y(gm, gn, a[j]);
      }
    }
  }
}

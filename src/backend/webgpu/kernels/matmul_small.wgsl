// y[m, n] = sum_k x[m, k] * w[n, k] + bias[n] (+GELU: flags bit 0, + residual[m, n]: flags bit 1), the same contract
// as matmul.wgsl, for few rows (a short sentence: M < 32), where a 64-row tile would be mostly idle and one thread per
// output walks K alone (latency bound: ~1 warp per SM, K dependent-ish loads each).
// Split-K instead: a workgroup of 256 threads = NC columns x LANES threads; the LANES threads of a column read its
// weight row at consecutive k (coalesced, U loads in flight per thread), each for MB rows at once (x stays in L1),
// then add their LANES partial sums per (row, column) in workgroup memory. NC, LANES, MB and U are substituted
// (kSmallMatmulShapes in kernels.h: one shape for short K, one for long K).
// Grid-stride over column blocks (workgroup_id.x) and row blocks (workgroup_id.y): any grid is correct; the best is
// [ceil(N / NC), ceil(M / MB)]. Bindings and epilogue (store_y): matmul_common.wgsl. Types as in matmul.wgsl: `act` /
// `wt` storage, f32 arithmetic.
alias mm_x = act;  // matmul_common.wgsl's x and w element types
alias mm_w = wt;
const NC: u32 = 4u;  // substituted, as the three below
const LANES: u32 = 64u;
const MB: u32 = 8u;
const U: u32 = 4u;  // weight loads in flight per thread
const WG: u32 = 256u;  // NC * LANES
const_assert NC * LANES == WG;
var<workgroup> red: array<f32, MB * WG>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let c = lid / LANES;
  let lane = lid % LANES;
  let ncb = (p.N + NC - 1u) / NC;
  let nrb = (p.M + MB - 1u) / MB;
  let K = p.K;
  for (var rb = wid.y; rb < nrb; rb = rb + nwg.y) {
    for (var cb = wid.x; cb < ncb; cb = cb + nwg.x) {
      let m0 = rb * MB;
      let n = cb * NC + c;
      var rows: array<u32, MB>;  // x row offsets (rows past M repeat the last one; their sums are dropped)
      var acc: array<f32, MB>;
      for (var i = 0u; i < MB; i = i + 1u) {
        rows[i] = min(m0 + i, p.M - 1u) * K;
        acc[i] = 0.0;
      }
      if (n < p.N) {
        let wr = n * K;
        var k = lane;
        for (; k + (U - 1u) * LANES < K; k = k + U * LANES) {
          var wv: array<f32, U>;
          for (var u = 0u; u < U; u = u + 1u) { wv[u] = f32(w[wr + k + u * LANES]); }
          for (var i = 0u; i < MB; i = i + 1u) {
            if (m0 + i < p.M) {
              let xr = rows[i] + k;
              var a = acc[i];
              for (var u = 0u; u < U; u = u + 1u) { a = a + f32(x[xr + u * LANES]) * wv[u]; }
              acc[i] = a;
            }
          }
        }
        for (; k < K; k = k + LANES) {
          let w0 = f32(w[wr + k]);
          for (var i = 0u; i < MB; i = i + 1u) {
            if (m0 + i < p.M) { acc[i] = acc[i] + f32(x[rows[i] + k]) * w0; }
          }
        }
      }
      for (var i = 0u; i < MB; i = i + 1u) { red[i * WG + lid] = acc[i]; }
      workgroupBarrier();
      for (var s = LANES / 2u; s > 0u; s = s / 2u) {
        if (lane < s) {
          for (var i = 0u; i < MB; i = i + 1u) { red[i * WG + lid] = red[i * WG + lid] + red[i * WG + lid + s]; }
        }
        workgroupBarrier();
      }
      if (lid < NC * MB) {
        let c2 = lid / MB;
        let i = lid % MB;
        let n2 = cb * NC + c2;
        let m = m0 + i;
        if (n2 < p.N && m < p.M) {
          store_y(m, n2, red[i * WG + c2 * LANES]);
        }
      }
      workgroupBarrier();
    }
  }
}

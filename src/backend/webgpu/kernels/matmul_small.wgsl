// y[m, n] = sum_k x[m, k] * w[n, k] + bias[n] (+GELU: flags bit 0, + residual[m, n]: flags bit 1), the same contract
// as matmul.wgsl, for few rows (a short sentence: M < 32), where a 64-row tile would be mostly idle and one thread per
// output walks K alone (latency bound: ~1 warp per SM, K dependent-ish loads each).
// Split-K instead: a workgroup of 256 threads = NC (4) columns x LANES (64) threads; the 64 threads of a column read
// its weight row at consecutive k (coalesced, 4 loads in flight per thread), each for MB (16) rows at once (x stays in
// L1), then add their 64 partial sums per (row, column) in workgroup memory.
// Grid-stride over column blocks (workgroup_id.x) and row blocks (workgroup_id.y): any grid is correct; the best is
// [ceil(N / 4), ceil(M / 16)]. Bindings and epilogue (store_y): matmul_common.wgsl. Types as in matmul.wgsl: `act` /
// `wt` storage, f32 arithmetic.
alias mm_x = act;  // matmul_common.wgsl's x and w element types
alias mm_w = wt;
const NC: u32 = 4u;
const LANES: u32 = 64u;
const MB: u32 = 16u;
const WG: u32 = 256u;  // NC * LANES
var<workgroup> red: array<f32, 4096>;  // [MB][WG]

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
        for (; k + 3u * LANES < K; k = k + 4u * LANES) {
          let w0 = f32(w[wr + k]);
          let w1 = f32(w[wr + k + LANES]);
          let w2 = f32(w[wr + k + 2u * LANES]);
          let w3 = f32(w[wr + k + 3u * LANES]);
          for (var i = 0u; i < MB; i = i + 1u) {
            if (m0 + i < p.M) {
              let xr = rows[i] + k;
              acc[i] = acc[i] + f32(x[xr]) * w0 + f32(x[xr + LANES]) * w1 + f32(x[xr + 2u * LANES]) * w2 +
                       f32(x[xr + 3u * LANES]) * w3;
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

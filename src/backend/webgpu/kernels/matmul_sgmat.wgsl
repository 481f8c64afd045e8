// The fp16 path's matmul on devices with Dawn's 'chromium-experimental-subgroup-matrix' feature (tensor cores and
// the like), same contract as matmul.wgsl: y[m, n] = sum_k x[m, k] * w[n, k] + bias[n] (+GELU: flags bit 0,
// + residual[m, n]: flags bit 1); x, w, residual and y are f16 (precision_f16.wgsl), products are f16 x f16 and sums
// f32 inside the subgroup-matrix unit, the epilogue (store_y, matmul_common.wgsl) is f32 and y is rounded to f16 once.
// SM x SK (x) times SK x SN (w) -> SM x SN (f32) is the adapter's configuration and SG_SIZE its subgroup max size,
// substituted by kernels.cpp, as is the grid of SGR x SGC subgroups per workgroup (SGR * SGC * SG_SIZE invocations)
// that computes a 2 SM SGR x 2 SN SGC tile (64 x 64 for 2 x 2 subgroups of 16 x 16 x 16): subgroup s owns the
// 2 SM x 2 SN block at row block s / SGC, column block s % SGC, as 2 x 2 accumulators (named, not an array: arrays
// of subgroup matrices spill on some compilers). Should the subgroups be narrower than SG_SIZE, the extra subgroups
// only load tiles. K goes through workgroup memory in slices of BK, as f16 with zeros past M, N
// and K, so any shape is correct and the matrix loads never read out of bounds; rows are padded by 8 halves
// (16 bytes, the alignment cooperative-matrix loads want; also fewer bank conflicts). The accumulators go out through
// workgroup memory, one block per subgroup at a time, so the epilogue can guard the edges per element.
// Row tiles are grid-strided (workgroup_id.y); the grid is [ceil(N / BN), ceil(M / BM) or fewer].
// Subgroup-matrix calls must be subgroup-uniform: the offsets depend on the subgroup index only (uniform within a
// subgroup), which Tint's workgroup-scope analysis cannot see, hence the diagnostic is turned off.
enable subgroups;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);

const SM: u32 = 16u;       // substituted
const SN: u32 = 16u;       // substituted
const SK: u32 = 16u;       // substituted
const SG_SIZE: u32 = 32u;  // substituted
const SGR: u32 = 2u;       // substituted
const SGC: u32 = 2u;       // substituted
const NSG: u32 = SGR * SGC;
const WG: u32 = NSG * SG_SIZE;
const BM: u32 = 2u * SM * SGR;
const BN: u32 = 2u * SN * SGC;
const KSTEPS: u32 = (32u + SK - 1u) / SK;  // k-steps per slice: slices of at least 32
const BK: u32 = KSTEPS * SK;
const ST: u32 = BK + 8u;   // row stride of the tiles, in halves
var<workgroup> xs: array<f16, BM * ST>;  // [BM][ST]: x rows, k contiguous (row-major left operand)
var<workgroup> ws: array<f16, BN * ST>;  // [BN][ST]: w rows, k contiguous (column-major right operand)
var<workgroup> outs: array<f32, NSG * SM * SN>;  // one SM x SN block per subgroup

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_size) sg_size: u32) {
  let sg = lid / sg_size;
  let computes = sg < NSG;
  let sr = (sg / SGC) % SGR;  // the subgroup's block: rows 2 SM sr .., columns 2 SN sc ..
  let sc = sg % SGC;
  let n0 = wid.x * BN;
  let mtiles = (p.M + BM - 1u) / BM;
  for (var mt = wid.y; mt < mtiles; mt = mt + nwg.y) {
    let m0 = mt * BM;
    var c00 = subgroup_matrix_result<f32, SN, SM>();
    var c01 = subgroup_matrix_result<f32, SN, SM>();
    var c10 = subgroup_matrix_result<f32, SN, SM>();
    var c11 = subgroup_matrix_result<f32, SN, SM>();
    for (var k0 = 0u; k0 < p.K; k0 = k0 + BK) {
      // consecutive invocations read consecutive k of one row (coalesced)
      for (var e = lid; e < BM * BK; e = e + WG) {
        let r = e / BK;
        let k = k0 + e % BK;
        let m = m0 + r;
        var v = 0.0h;
        if (m < p.M && k < p.K) { v = f16(x[m * p.K + k]); }
        xs[r * ST + e % BK] = v;
      }
      for (var e = lid; e < BN * BK; e = e + WG) {
        let r = e / BK;
        let k = k0 + e % BK;
        let n = n0 + r;
        var v = 0.0h;
        if (n < p.N && k < p.K) { v = f16(w[n * p.K + k]); }
        ws[r * ST + e % BK] = v;
      }
      workgroupBarrier();
      if (computes) {
        let xa = (2u * SM * sr) * ST;
        let wb = (2u * SN * sc) * ST;
        for (var s = 0u; s < KSTEPS; s = s + 1u) {
          let kk = s * SK;
          let a0 = subgroupMatrixLoad<subgroup_matrix_left<f16, SK, SM>, row_major>(&xs, xa + kk, ST);
          let a1 = subgroupMatrixLoad<subgroup_matrix_left<f16, SK, SM>, row_major>(&xs, xa + SM * ST + kk, ST);
          let b0 = subgroupMatrixLoad<subgroup_matrix_right<f16, SN, SK>, col_major>(&ws, wb + kk, ST);
          let b1 = subgroupMatrixLoad<subgroup_matrix_right<f16, SN, SK>, col_major>(&ws, wb + SN * ST + kk, ST);
          c00 = subgroupMatrixMultiplyAccumulate(a0, b0, c00);
          c01 = subgroupMatrixMultiplyAccumulate(a0, b1, c01);
          c10 = subgroupMatrixMultiplyAccumulate(a1, b0, c10);
          c11 = subgroupMatrixMultiplyAccumulate(a1, b1, c11);
        }
      }
      workgroupBarrier();
    }

    for (var q = 0u; q < 4u; q = q + 1u) {
      if (computes) {
        let o = sg * SM * SN;
        switch (q) {
          case 0u: { subgroupMatrixStore<row_major>(&outs, o, c00, SN); }
          case 1u: { subgroupMatrixStore<row_major>(&outs, o, c01, SN); }
          case 2u: { subgroupMatrixStore<row_major>(&outs, o, c10, SN); }
          default: { subgroupMatrixStore<row_major>(&outs, o, c11, SN); }
        }
      }
      workgroupBarrier();
      for (var e = lid; e < NSG * SM * SN; e = e + WG) {
        let s = e / (SM * SN);
        let r = (e / SN) % SM;
        let c = e % SN;
        let gm = m0 + 2u * SM * (s / SGC) + SM * (q / 2u) + r;
        let gn = n0 + 2u * SN * (s % SGC) + SN * (q % 2u) + c;
        if (gm < p.M && gn < p.N) {
          store_y(gm, gn, outs[e]);
        }
      }
      workgroupBarrier();
    }
  }
}

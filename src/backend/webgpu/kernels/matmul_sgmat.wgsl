// The fp16 path's matmul on devices with Dawn's 'chromium-experimental-subgroup-matrix' feature (tensor cores and
// the like), same contract as matmul.wgsl: y[m, n] = sum_k x[m, k] * w[n, k] + bias[n] (+GELU: flags bit 0,
// + residual[m, n]: flags bit 1); x, w, residual and y are f16 (precision_f16.wgsl), products are f16 x f16 and sums
// f32 inside the subgroup-matrix unit, the epilogue (store_y, matmul_common.wgsl) is f32 and y is rounded to f16 once; any M, N,
// K; row tiles grid-strided over workgroup_id.y (the grid is [ceil(N / BN), ceil(M / BM) or fewer]).
// Organised so that the matrix unit, not the loads, sets the pace:
//  - each subgroup owns TM x TN accumulators (a TM SM x TN SN block): per step of k it loads TM + TN fragments for
//    TM TN multiply-accumulates;
//  - the workgroup's SGR x SGC subgroups cover BM = TM SM SGR rows by BN = TN SN SGC columns;
//  - global memory is read 8 halves (16 bytes) per invocation and load, as 4 u32: x and w are bound as arrays of
//    u32 holding f16 pairs, which reaches every half of a binding (WebGPU storage bindings are multiples of 4
//    bytes). Rows of whole 16-byte chunks (K % 8 == 0) take the wide path; other K take the per-half path;
//  - the next k-slice is read into registers while the current one is multiplied; with NBUF = 2 the workgroup tiles
//    are double-buffered (one barrier per slice), with NBUF = 1 single (two barriers, half the workgroup memory);
//  - the accumulators go out through workgroup memory OQ blocks per subgroup per round (OQ = TN: one barrier pair
//    per row of blocks; OQ = 1 when memory is short), so the epilogue can guard the edges per element.
// SM x SK (x) times SK x SN (w) -> SM x SN (f32) is the adapter's configuration, SG_SIZE its subgroup max size; all
// the constants below are substituted by kernels.cpp (its kSgmatTiles: bench/gpu/subgroup_matrix_probe.mjs timed
// them). TM, TN in {1, 2, 3, 4} (accumulators are named, not an array: arrays of subgroup matrices spill on some
// compilers; unused ones fold away as the TM / TN tests are constant). Tiles hold f16 with zeros past M, N, K, rows
// padded by 8 halves (16 bytes, the alignment cooperative-matrix loads want).
// Should the subgroups be narrower than SG_SIZE, the extra subgroups only load tiles and run the epilogue.
// Subgroup-matrix calls must be subgroup-uniform: the offsets depend on the subgroup index only, which Tint's
// workgroup-scope analysis cannot see, hence the diagnostic is turned off.
enable subgroups;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);

// x and w as u32 pairs of halves (matmul_common.wgsl declares them with these element types)
alias mm_x = u32;
alias mm_w = u32;

const SM: u32 = 16u;       // substituted
const SN: u32 = 16u;       // substituted
const SK: u32 = 16u;       // substituted
const SG_SIZE: u32 = 32u;  // substituted
const SGR: u32 = 2u;       // substituted
const SGC: u32 = 2u;       // substituted
const TM: u32 = 4u;        // substituted
const TN: u32 = 4u;        // substituted
const KSTEPS: u32 = 2u;    // substituted: k-steps of SK per slice
const NBUF: u32 = 1u;      // 1 in the engine (kernels.cpp); bench/gpu's probe tried 2
const OQ: u32 = 1u;        // 1 in the engine; the probe tried TN
const NSG: u32 = SGR * SGC;
const WG: u32 = NSG * SG_SIZE;
const BM: u32 = TM * SM * SGR;
const BN: u32 = TN * SN * SGC;
const BK: u32 = KSTEPS * SK;
const ST: u32 = BK + 8u;            // row stride of the tiles, in halves
const XT: u32 = BM * ST;            // one buffer of the x tile
const WT: u32 = BN * ST;
const CPR: u32 = BK / 8u;           // 8-half chunks per tile row (SK is a multiple of 8 on every known device)
const XCH: u32 = BM * CPR;          // chunks per x slice
const WCH: u32 = BN * CPR;
const XPT: u32 = (XCH + WG - 1u) / WG;  // chunks per invocation
const WPT: u32 = (WCH + WG - 1u) / WG;
var<workgroup> xs: array<f16, NBUF * XT>;  // [NBUF][BM][ST]: x rows, k contiguous (row-major left operand)
var<workgroup> ws: array<f16, NBUF * WT>;  // [NBUF][BN][ST]: w rows, k contiguous (column-major right operand)
var<workgroup> outs: array<f32, NSG * OQ * SM * SN>;

// 8 halves of row r (of `rows`) from column k of a row-major [rows][K] f16 matrix, zeros past the edges (written
// twice, for x and w: pointer parameters to storage need a WGSL extension)
fn chunk_x(r: u32, rows: u32, k: u32) -> vec4<u32> {
  if (r >= rows || k >= p.K) { return vec4<u32>(0u); }
  let e = r * p.K + k;
  if ((p.K & 7u) == 0u) {
    let b = e >> 1u;
    return vec4<u32>(x[b], x[b + 1u], x[b + 2u], x[b + 3u]);
  }
  var v = vec4<u32>(0u);
  for (var j = 0u; j < 8u; j = j + 1u) {
    if (k + j < p.K) { v[j / 2u] = v[j / 2u] | (((x[(e + j) >> 1u] >> (16u * ((e + j) & 1u))) & 0xffffu) << (16u * (j & 1u))); }
  }
  return v;
}
fn chunk_w(r: u32, rows: u32, k: u32) -> vec4<u32> {
  if (r >= rows || k >= p.K) { return vec4<u32>(0u); }
  let e = r * p.K + k;
  if ((p.K & 7u) == 0u) {
    let b = e >> 1u;
    return vec4<u32>(w[b], w[b + 1u], w[b + 2u], w[b + 3u]);
  }
  var v = vec4<u32>(0u);
  for (var j = 0u; j < 8u; j = j + 1u) {
    if (k + j < p.K) { v[j / 2u] = v[j / 2u] | (((w[(e + j) >> 1u] >> (16u * ((e + j) & 1u))) & 0xffffu) << (16u * (j & 1u))); }
  }
  return v;
}
fn put_x(o: u32, v: vec4<u32>) {
  for (var j = 0u; j < 4u; j = j + 1u) {
    let h = bitcast<vec2<f16>>(v[j]);
    xs[o + 2u * j] = h.x;
    xs[o + 2u * j + 1u] = h.y;
  }
}
fn put_w(o: u32, v: vec4<u32>) {
  for (var j = 0u; j < 4u; j = j + 1u) {
    let h = bitcast<vec2<f16>>(v[j]);
    ws[o + 2u * j] = h.x;
    ws[o + 2u * j + 1u] = h.y;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_size) sg_size: u32) {
  let sg = lid / sg_size;
  let computes = sg < NSG;
  let sr = (sg / SGC) % SGR;  // the subgroup's block: rows TM SM sr .., columns TN SN sc ..
  let sc = sg % SGC;
  let n0 = wid.x * BN;
  let mtiles = (p.M + BM - 1u) / BM;
  for (var mt = wid.y; mt < mtiles; mt = mt + nwg.y) {
    let m0 = mt * BM;
    var c00 = subgroup_matrix_result<f32, SN, SM>();
    var c01 = subgroup_matrix_result<f32, SN, SM>();
    var c02 = subgroup_matrix_result<f32, SN, SM>();
    var c03 = subgroup_matrix_result<f32, SN, SM>();
    var c10 = subgroup_matrix_result<f32, SN, SM>();
    var c11 = subgroup_matrix_result<f32, SN, SM>();
    var c12 = subgroup_matrix_result<f32, SN, SM>();
    var c13 = subgroup_matrix_result<f32, SN, SM>();
    var c20 = subgroup_matrix_result<f32, SN, SM>();
    var c21 = subgroup_matrix_result<f32, SN, SM>();
    var c22 = subgroup_matrix_result<f32, SN, SM>();
    var c23 = subgroup_matrix_result<f32, SN, SM>();
    var c30 = subgroup_matrix_result<f32, SN, SM>();
    var c31 = subgroup_matrix_result<f32, SN, SM>();
    var c32 = subgroup_matrix_result<f32, SN, SM>();
    var c33 = subgroup_matrix_result<f32, SN, SM>();
    var rx: array<vec4<u32>, XPT>;
    var rw: array<vec4<u32>, WPT>;
    for (var i = 0u; i < XPT; i = i + 1u) {
      let c = lid + i * WG;
      rx[i] = chunk_x(m0 + c / CPR, p.M, 8u * (c % CPR));  // rows past the tile are past XCH: not stored
    }
    for (var i = 0u; i < WPT; i = i + 1u) {
      let c = lid + i * WG;
      rw[i] = chunk_w(n0 + c / CPR, p.N, 8u * (c % CPR));
    }
    for (var i = 0u; i < XPT; i = i + 1u) {
      let c = lid + i * WG;
      if (c < XCH) { put_x((c / CPR) * ST + 8u * (c % CPR), rx[i]); }
    }
    for (var i = 0u; i < WPT; i = i + 1u) {
      let c = lid + i * WG;
      if (c < WCH) { put_w((c / CPR) * ST + 8u * (c % CPR), rw[i]); }
    }
    workgroupBarrier();
    var cur = 0u;
    for (var k0 = 0u; k0 < p.K; k0 = k0 + BK) {
      let more = k0 + BK < p.K;
      if (more) {  // the next slice, in flight while this one is multiplied
        for (var i = 0u; i < XPT; i = i + 1u) {
          let c = lid + i * WG;
          rx[i] = chunk_x(m0 + c / CPR, p.M, k0 + BK + 8u * (c % CPR));
        }
        for (var i = 0u; i < WPT; i = i + 1u) {
          let c = lid + i * WG;
          rw[i] = chunk_w(n0 + c / CPR, p.N, k0 + BK + 8u * (c % CPR));
        }
      }
      if (computes) {
        let xa = cur * XT + (TM * SM * sr) * ST;
        let wb = cur * WT + (TN * SN * sc) * ST;
        for (var s = 0u; s < KSTEPS; s = s + 1u) {
          let kk = s * SK;
          var a1 = subgroup_matrix_left<f16, SK, SM>();
          var a2 = subgroup_matrix_left<f16, SK, SM>();
          var a3 = subgroup_matrix_left<f16, SK, SM>();
          var b1 = subgroup_matrix_right<f16, SN, SK>();
          var b2 = subgroup_matrix_right<f16, SN, SK>();
          var b3 = subgroup_matrix_right<f16, SN, SK>();
          let a0 = subgroupMatrixLoad<subgroup_matrix_left<f16, SK, SM>, row_major>(&xs, xa + kk, ST);
          if (TM > 1u) { a1 = subgroupMatrixLoad<subgroup_matrix_left<f16, SK, SM>, row_major>(&xs, xa + SM * ST + kk, ST); }
          if (TM > 2u) { a2 = subgroupMatrixLoad<subgroup_matrix_left<f16, SK, SM>, row_major>(&xs, xa + 2u * SM * ST + kk, ST); }
          if (TM > 3u) { a3 = subgroupMatrixLoad<subgroup_matrix_left<f16, SK, SM>, row_major>(&xs, xa + 3u * SM * ST + kk, ST); }
          let b0 = subgroupMatrixLoad<subgroup_matrix_right<f16, SN, SK>, col_major>(&ws, wb + kk, ST);
          if (TN > 1u) { b1 = subgroupMatrixLoad<subgroup_matrix_right<f16, SN, SK>, col_major>(&ws, wb + SN * ST + kk, ST); }
          if (TN > 2u) { b2 = subgroupMatrixLoad<subgroup_matrix_right<f16, SN, SK>, col_major>(&ws, wb + 2u * SN * ST + kk, ST); }
          if (TN > 3u) { b3 = subgroupMatrixLoad<subgroup_matrix_right<f16, SN, SK>, col_major>(&ws, wb + 3u * SN * ST + kk, ST); }
          c00 = subgroupMatrixMultiplyAccumulate(a0, b0, c00);
          if (TN > 1u) { c01 = subgroupMatrixMultiplyAccumulate(a0, b1, c01); }
          if (TN > 2u) { c02 = subgroupMatrixMultiplyAccumulate(a0, b2, c02); }
          if (TN > 3u) { c03 = subgroupMatrixMultiplyAccumulate(a0, b3, c03); }
          if (TM > 1u) {
            c10 = subgroupMatrixMultiplyAccumulate(a1, b0, c10);
            if (TN > 1u) { c11 = subgroupMatrixMultiplyAccumulate(a1, b1, c11); }
            if (TN > 2u) { c12 = subgroupMatrixMultiplyAccumulate(a1, b2, c12); }
            if (TN > 3u) { c13 = subgroupMatrixMultiplyAccumulate(a1, b3, c13); }
          }
          if (TM > 2u) {
            c20 = subgroupMatrixMultiplyAccumulate(a2, b0, c20);
            if (TN > 1u) { c21 = subgroupMatrixMultiplyAccumulate(a2, b1, c21); }
            if (TN > 2u) { c22 = subgroupMatrixMultiplyAccumulate(a2, b2, c22); }
            if (TN > 3u) { c23 = subgroupMatrixMultiplyAccumulate(a2, b3, c23); }
          }
          if (TM > 3u) {
            c30 = subgroupMatrixMultiplyAccumulate(a3, b0, c30);
            if (TN > 1u) { c31 = subgroupMatrixMultiplyAccumulate(a3, b1, c31); }
            if (TN > 2u) { c32 = subgroupMatrixMultiplyAccumulate(a3, b2, c32); }
            if (TN > 3u) { c33 = subgroupMatrixMultiplyAccumulate(a3, b3, c33); }
          }
        }
      }
      if (more) {
        if (NBUF == 1u) { workgroupBarrier(); }  // single buffer: all reads of this slice done before it is refilled
        cur = (cur + 1u) % NBUF;
        for (var i = 0u; i < XPT; i = i + 1u) {
          let c = lid + i * WG;
          if (c < XCH) { put_x(cur * XT + (c / CPR) * ST + 8u * (c % CPR), rx[i]); }
        }
        for (var i = 0u; i < WPT; i = i + 1u) {
          let c = lid + i * WG;
          if (c < WCH) { put_w(cur * WT + (c / CPR) * ST + 8u * (c % CPR), rw[i]); }
        }
        workgroupBarrier();
      }
    }

    for (var q0 = 0u; q0 < TM * TN; q0 = q0 + OQ) {
      if (computes) {
        for (var t = 0u; t < OQ; t = t + 1u) {
          let q = q0 + t;
          let o = (sg * OQ + t) * SM * SN;
          switch ((q / TN) * 4u + q % TN) {
            case 0u: { subgroupMatrixStore<row_major>(&outs, o, c00, SN); }
            case 1u: { subgroupMatrixStore<row_major>(&outs, o, c01, SN); }
            case 2u: { subgroupMatrixStore<row_major>(&outs, o, c02, SN); }
            case 3u: { subgroupMatrixStore<row_major>(&outs, o, c03, SN); }
            case 4u: { subgroupMatrixStore<row_major>(&outs, o, c10, SN); }
            case 5u: { subgroupMatrixStore<row_major>(&outs, o, c11, SN); }
            case 6u: { subgroupMatrixStore<row_major>(&outs, o, c12, SN); }
            case 7u: { subgroupMatrixStore<row_major>(&outs, o, c13, SN); }
            case 8u: { subgroupMatrixStore<row_major>(&outs, o, c20, SN); }
            case 9u: { subgroupMatrixStore<row_major>(&outs, o, c21, SN); }
            case 10u: { subgroupMatrixStore<row_major>(&outs, o, c22, SN); }
            case 11u: { subgroupMatrixStore<row_major>(&outs, o, c23, SN); }
            case 12u: { subgroupMatrixStore<row_major>(&outs, o, c30, SN); }
            case 13u: { subgroupMatrixStore<row_major>(&outs, o, c31, SN); }
            case 14u: { subgroupMatrixStore<row_major>(&outs, o, c32, SN); }
            default: { subgroupMatrixStore<row_major>(&outs, o, c33, SN); }
          }
        }
      }
      workgroupBarrier();
      for (var e = lid; e < NSG * OQ * SM * SN; e = e + WG) {
        let s = e / (OQ * SM * SN);
        let q = q0 + (e / (SM * SN)) % OQ;
        let r = (e / SN) % SM;
        let c = e % SN;
        let gm = m0 + TM * SM * (s / SGC) + SM * (q / TN) + r;
        let gn = n0 + TN * SN * (s % SGC) + SN * (q % TN) + c;
        if (gm < p.M && gn < p.N) { store_y(gm, gn, outs[e]); }
      }
      workgroupBarrier();
    }
  }
}

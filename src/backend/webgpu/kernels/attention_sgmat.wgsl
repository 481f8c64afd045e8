// attention.wgsl's contract (attention_common.wgsl: bindings, Params, masks, relative bias, GQA, zero rows past the
// length) on the subgroup-matrix units of the fp16 path: S = Q K^T and O = P V as f16 x f16 -> f32
// multiply-accumulates, the softmax in f32 on workgroup memory. One workgroup = SM queries of one (batch row, head);
// K and V pass through workgroup memory KT keys at a time, zero past the keys the workgroup sees.
// A result matrix cannot be scaled per row, which the online softmax's rescale of O would need: two passes over the
// keys instead. The first finds each query's score maximum m; the second forms P = exp(S - m) (f16, <= 1) and
// accumulates O = P V in result matrices that are never rescaled, and the row sums l of the same f16 P, so that
// O / l is an exact weighted average of the rounded weights. S is computed twice (HEAD_DIM / SK multiply-accumulates
// more per block of keys) rather than O stored, rescaled and reloaded through workgroup memory per key tile.
// The NSG subgroups split the head dimension: subgroup s owns columns [s DS, (s + 1) DS) of q, k, v and o. Its
// products over its slice are partial scores, summed across subgroups by the invocations that read S; its O blocks
// (OB of SN columns, named: arrays of subgroup matrices spill on some compilers) need no sharing.
// Operands and layouts follow matmul_sgmat.wgsl: left SM x SK row-major, right SK x SN, result SM x SN; tile rows
// padded by 8 halves. Should the subgroups be narrower than SG_SIZE, the extra ones only load tiles.
// HEAD_DIM, KT, SM, SN, SK, SG_SIZE and NSG are substituted by kernels.cpp (HEAD_DIM / NSG a multiple of SN and
// SK, KT a multiple of both, OB <= 4, the workgroup memory below within the device's).
// Subgroup-matrix calls must be subgroup-uniform: their conditions depend on the subgroup index only, which Tint's
// workgroup-scope analysis cannot see, hence the diagnostic is turned off.
enable subgroups;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);

const HEAD_DIM: u32 = 64u;  // substituted
const KT: u32 = 32u;        // substituted
const SM: u32 = 16u;        // substituted
const SN: u32 = 16u;        // substituted
const SK: u32 = 16u;        // substituted
const SG_SIZE: u32 = 32u;   // substituted
const NSG: u32 = 4u;        // substituted
const WG: u32 = NSG * SG_SIZE;
const DS: u32 = HEAD_DIM / NSG;
const OB: u32 = DS / SN;
const ST: u32 = HEAD_DIM + 8u;
const PST: u32 = KT + 8u;
const NEG: f32 = -3.0e38;  // a score no query sees
var<workgroup> qs: array<f16, SM * ST>;
var<workgroup> ks: array<f16, KT * ST>;
var<workgroup> vs: array<f16, KT * ST>;
var<workgroup> sp: array<f32, NSG * SM * KT>;  // [NSG][SM][KT] partial scores; at the end [NSG][SM][SN] of O
var<workgroup> pt: array<f16, SM * PST>;
var<workgroup> rm: array<f32, SM>;  // row maxima, then the rows' 1 / l
var<workgroup> rl: array<f32, SM>;

// Score of query q0 + r and key k0 + c: the NSG partial products summed, scaled, biased; NEG where not seen.
fn score(r: u32, c: u32, q0: u32, k0: u32, len: u32, h: u32) -> f32 {
  let qi = q0 + r;
  let kj = k0 + c;
  let jr = key_range(qi, qi, len);
  if (qi >= len || kj < jr.x || kj >= jr.y) { return NEG; }
  var t = 0.0;
  for (var s = 0u; s < NSG; s = s + 1u) { t = t + sp[(s * SM + r) * KT + c]; }
  t = t * p.scale;
  if ((p.flags & 2u) != 0u) { t = t + rel[h * (2u * p.nrel + 1u) + p.nrel + kj - qi]; }
  return t;
}

// KT rows of K (and of V) from qkv row base on, zeros from row n on.
fn load_tiles(lid: u32, base: u32, n: u32, stride: u32, voff: u32, with_v: bool) {
  for (var e = lid; e < KT * HEAD_DIM; e = e + WG) {
    let j = e / HEAD_DIM;
    let d = e % HEAD_DIM;
    var kv = f16(0.0);
    var vv = f16(0.0);
    if (j < n) {
      kv = f16(qkv[base + j * stride + d]);
      if (with_v) { vv = f16(qkv[base + j * stride + voff + d]); }
    }
    ks[j * ST + d] = kv;
    if (with_v) { vs[j * ST + d] = vv; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_size) sg_size: u32) {
  let b = wid.z;
  let h = wid.y;
  let q0 = wid.x * SM;
  let sg = lid / sg_size;
  let computes = sg < NSG;
  let len = min(lengths[b], p.seq);
  let width = p.heads * HEAD_DIM;
  let stride = width + 2u * p.kv_heads * HEAD_DIM;
  let kcol = width + (h / (p.heads / p.kv_heads)) * HEAD_DIM;
  let row0 = b * p.seq;
  let krange = key_range(q0, min(q0 + SM, max(len, 1u)) - 1u, len);

  for (var e = lid; e < SM * HEAD_DIM; e = e + WG) {
    let r = e / HEAD_DIM;
    var v = f16(0.0);
    if (q0 + r < len) { v = f16(qkv[(row0 + q0 + r) * stride + h * HEAD_DIM + e % HEAD_DIM]); }
    qs[r * ST + e % HEAD_DIM] = v;
  }
  for (var r = lid; r < SM; r = r + WG) {
    rm[r] = NEG;
    rl[r] = 0.0;
  }

  var o0 = subgroup_matrix_result<f32, SN, SM>();
  var o1 = subgroup_matrix_result<f32, SN, SM>();
  var o2 = subgroup_matrix_result<f32, SN, SM>();
  var o3 = subgroup_matrix_result<f32, SN, SM>();
  let d0 = sg * DS;
  for (var second = 0u; second < 2u; second = second + 1u) {
    for (var k0 = krange.x; k0 < krange.y; k0 = k0 + KT) {
      load_tiles(lid, (row0 + k0) * stride + kcol, krange.y - k0, stride, p.kv_heads * HEAD_DIM, second == 1u);
      workgroupBarrier();
      if (computes) {  // the subgroup's partial scores: its slice of Q times its slice of the keys
        for (var nb = 0u; nb < KT; nb = nb + SN) {
          var acc = subgroup_matrix_result<f32, SN, SM>();
          for (var kk = 0u; kk < DS; kk = kk + SK) {
            let a = subgroupMatrixLoad<subgroup_matrix_left<f16, SK, SM>, row_major>(&qs, d0 + kk, ST);
            let bk = subgroupMatrixLoad<subgroup_matrix_right<f16, SN, SK>, col_major>(&ks, nb * ST + d0 + kk, ST);
            acc = subgroupMatrixMultiplyAccumulate(a, bk, acc);
          }
          subgroupMatrixStore<row_major>(&sp, sg * SM * KT + nb, acc, KT);
        }
      }
      workgroupBarrier();
      if (second == 0u) {
        for (var r = lid; r < SM; r = r + WG) {
          var m = rm[r];
          for (var c = 0u; c < KT; c = c + 1u) { m = max(m, score(r, c, q0, k0, len, h)); }
          rm[r] = m;
        }
      } else {
        for (var e = lid; e < SM * KT; e = e + WG) {
          let r = e / KT;
          let t = score(r, e % KT, q0, k0, len, h);
          var w = f16(0.0);
          if (t > NEG) { w = f16(exp(t - rm[r])); }
          pt[r * PST + e % KT] = w;
        }
        workgroupBarrier();
        for (var r = lid; r < SM; r = r + WG) {
          var l = rl[r];
          for (var c = 0u; c < KT; c = c + 1u) { l = l + f32(pt[r * PST + c]); }
          rl[r] = l;
        }
        if (computes) {
          for (var kk = 0u; kk < KT; kk = kk + SK) {
            let a = subgroupMatrixLoad<subgroup_matrix_left<f16, SK, SM>, row_major>(&pt, kk, PST);
            let vb = kk * ST + d0;
            o0 = subgroupMatrixMultiplyAccumulate(a, subgroupMatrixLoad<subgroup_matrix_right<f16, SN, SK>, row_major>(&vs, vb, ST), o0);
            if (OB > 1u) { o1 = subgroupMatrixMultiplyAccumulate(a, subgroupMatrixLoad<subgroup_matrix_right<f16, SN, SK>, row_major>(&vs, vb + SN, ST), o1); }
            if (OB > 2u) { o2 = subgroupMatrixMultiplyAccumulate(a, subgroupMatrixLoad<subgroup_matrix_right<f16, SN, SK>, row_major>(&vs, vb + 2u * SN, ST), o2); }
            if (OB > 3u) { o3 = subgroupMatrixMultiplyAccumulate(a, subgroupMatrixLoad<subgroup_matrix_right<f16, SN, SK>, row_major>(&vs, vb + 3u * SN, ST), o3); }
          }
        }
      }
      workgroupBarrier();
    }
  }

  // Rows without a key the query sees (past the length) have l = 0: zeros.
  for (var r = lid; r < SM; r = r + WG) {
    var inv = 0.0;
    if (rl[r] > 0.0) { inv = 1.0 / rl[r]; }
    rm[r] = inv;
  }
  for (var ob = 0u; ob < OB; ob = ob + 1u) {
    if (computes) {
      let o = sg * SM * SN;
      switch (ob) {
        case 0u: { subgroupMatrixStore<row_major>(&sp, o, o0, SN); }
        case 1u: { subgroupMatrixStore<row_major>(&sp, o, o1, SN); }
        case 2u: { subgroupMatrixStore<row_major>(&sp, o, o2, SN); }
        default: { subgroupMatrixStore<row_major>(&sp, o, o3, SN); }
      }
    }
    workgroupBarrier();
    for (var e = lid; e < NSG * SM * SN; e = e + WG) {
      let r = (e / SN) % SM;
      let qi = q0 + r;
      if (qi < p.seq) {
        ctx[(row0 + qi) * width + h * HEAD_DIM + (e / (SM * SN)) * DS + ob * SN + e % SN] = act(sp[e] * rm[r]);
      }
    }
    workgroupBarrier();
  }
}

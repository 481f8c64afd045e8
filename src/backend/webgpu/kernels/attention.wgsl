// Multi-head self-attention over a right-padded batch, reading the fused QKV projection.
//   qkv: [batch * seq, 3 * hidden]   (q | k | v, head h in columns h*D .. h*D+D-1 of each third)
//   ctx: [batch * seq, hidden]       ctx[b, i, h] = softmax_j<len_b(q_i . k_j * scale) v_j
// Keys at or past lengths[b] are masked out (never read: BERT's additive -inf mask gives them weight exactly 0).
// Softmax is the numerically safe online form: running max m, rescaled running sum l and accumulator, in f32.
// One workgroup = 64 consecutive queries of one (batch row, head); K and V go through workgroup memory in
// tiles of 32 keys, as vec4s (one 16-byte read of workgroup memory per 4 multiply-adds; head dimensions that are
// not a multiple of 4 are zero-padded). The scores of a tile stay in registers (constant loop bounds; keys past the length skipped).
// Query rows past the length are written as zeros. HEAD_DIM is substituted at pipeline creation.
// qkv and ctx are activations (`act`); q, the K/V tiles, scores and accumulators are f32 in both precisions.
struct Params { batch: u32, seq: u32, heads: u32, hidden: u32, scale: f32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<act>;
@group(0) @binding(2) var<storage, read> lengths: array<u32>;
@group(0) @binding(3) var<storage, read_write> ctx: array<act>;

const HEAD_DIM: u32 = 64u;  // substituted
const D4: u32 = (HEAD_DIM + 3u) / 4u;
const QT: u32 = 64u;
const KT: u32 = 32u;
var<workgroup> ks: array<vec4<f32>, KT * D4>;
var<workgroup> vs: array<vec4<f32>, KT * D4>;

fn ld(i: u32, d: u32) -> f32 {
  if (d < HEAD_DIM) { return f32(qkv[i + d]); }
  return 0.0;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.z;
  let h = wid.y;
  let qi = wid.x * QT + lid;
  let len = min(lengths[b], p.seq);
  let stride = 3u * p.hidden;
  let row0 = b * p.seq;
  let is_valid = qi < len;

  var q: array<vec4<f32>, D4>;
  var acc: array<vec4<f32>, D4>;
  let qbase = (row0 + min(qi, p.seq - 1u)) * stride + h * HEAD_DIM;
  for (var d = 0u; d < D4; d = d + 1u) {
    acc[d] = vec4<f32>(0.0);
    q[d] = vec4<f32>(0.0);
    if (is_valid) {
      q[d] = vec4<f32>(ld(qbase, 4u * d), ld(qbase, 4u * d + 1u), ld(qbase, 4u * d + 2u), ld(qbase, 4u * d + 3u)) * p.scale;
    }
  }
  var m = -3.0e38;
  var l = 0.0;

  for (var k0 = 0u; k0 < len; k0 = k0 + KT) {
    let nk = min(KT, len - k0);
    for (var e = lid; e < KT * D4; e = e + QT) {
      let j = e / D4;
      let d = (e % D4) * 4u;
      var kv = vec4<f32>(0.0);
      var vv = vec4<f32>(0.0);
      if (j < nk) {
        let base = (row0 + k0 + j) * stride + h * HEAD_DIM;
        kv = vec4<f32>(ld(base + p.hidden, d), ld(base + p.hidden, d + 1u), ld(base + p.hidden, d + 2u),
                       ld(base + p.hidden, d + 3u));
        vv = vec4<f32>(ld(base + 2u * p.hidden, d), ld(base + 2u * p.hidden, d + 1u), ld(base + 2u * p.hidden, d + 2u),
                       ld(base + 2u * p.hidden, d + 3u));
      }
      ks[e] = kv;
      vs[e] = vv;
    }
    workgroupBarrier();
    if (is_valid) {
      var s: array<f32, KT>;
      var tmax = -3.0e38;
      for (var j = 0u; j < KT; j = j + 1u) {
        s[j] = -3.0e38;
        if (j < nk) {
          var dot4 = vec4<f32>(0.0);
          for (var d = 0u; d < D4; d = d + 1u) { dot4 = dot4 + q[d] * ks[j * D4 + d]; }
          s[j] = dot4.x + dot4.y + dot4.z + dot4.w;
          tmax = max(tmax, s[j]);
        }
      }
      let mnew = max(m, tmax);
      let corr = exp(m - mnew);
      l = l * corr;
      for (var d = 0u; d < D4; d = d + 1u) { acc[d] = acc[d] * corr; }
      for (var j = 0u; j < KT; j = j + 1u) {
        if (j < nk) {
          let pj = exp(s[j] - mnew);
          l = l + pj;
          for (var d = 0u; d < D4; d = d + 1u) { acc[d] = acc[d] + pj * vs[j * D4 + d]; }
        }
      }
      m = mnew;
    }
    workgroupBarrier();
  }

  if (qi < p.seq) {
    var inv = 0.0;
    if (is_valid && l > 0.0) { inv = 1.0 / l; }
    let obase = (row0 + qi) * p.hidden + h * HEAD_DIM;
    for (var d = 0u; d < D4; d = d + 1u) {
      let o = acc[d] * inv;
      for (var c = 0u; c < 4u; c = c + 1u) {
        if (4u * d + c < HEAD_DIM) { ctx[obase + 4u * d + c] = act(o[c]); }
      }
    }
  }
}

// Multi-head self-attention over a right-padded batch, reading the fused QKV projection.
//   qkv: [batch * seq, 3 * hidden]   (q | k | v, head h in columns h*D .. h*D+D-1 of each third)
//   ctx: [batch * seq, hidden]       ctx[b, i, h] = softmax_j<len_b(q_i . k_j * scale) v_j
// Keys at or past lengths[b] are masked out (never read: BERT's additive -inf mask gives them weight exactly 0).
// Softmax is the numerically safe online form: running max m, rescaled running sum l and accumulator, in f32.
// One workgroup = 64 consecutive queries of one (batch row, head); K and V go through workgroup memory in
// tiles of 32 keys. Query rows past the length are written as zeros. HEAD_DIM is substituted at pipeline creation.
struct Params { batch: u32, seq: u32, heads: u32, hidden: u32, scale: f32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read> lengths: array<u32>;
@group(0) @binding(3) var<storage, read_write> ctx: array<f32>;

const HEAD_DIM: u32 = 64u;  // substituted
const QT: u32 = 64u;
const KT: u32 = 32u;
var<workgroup> ks: array<f32, KT * HEAD_DIM>;
var<workgroup> vs: array<f32, KT * HEAD_DIM>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.z;
  let h = wid.y;
  let qi = wid.x * QT + lid;
  let len = min(lengths[b], p.seq);
  let stride = 3u * p.hidden;
  let row0 = b * p.seq;
  let is_valid = qi < len;

  var q: array<f32, HEAD_DIM>;
  var acc: array<f32, HEAD_DIM>;
  for (var d = 0u; d < HEAD_DIM; d = d + 1u) {
    acc[d] = 0.0;
    q[d] = 0.0;
    if (is_valid) { q[d] = qkv[(row0 + qi) * stride + h * HEAD_DIM + d] * p.scale; }
  }
  var m = -3.0e38;
  var l = 0.0;

  for (var k0 = 0u; k0 < len; k0 = k0 + KT) {
    let nk = min(KT, len - k0);
    for (var e = lid; e < KT * HEAD_DIM; e = e + QT) {
      let j = e / HEAD_DIM;
      let d = e % HEAD_DIM;
      var kv = 0.0;
      var vv = 0.0;
      if (j < nk) {
        let base = (row0 + k0 + j) * stride + h * HEAD_DIM + d;
        kv = qkv[base + p.hidden];
        vv = qkv[base + 2u * p.hidden];
      }
      ks[e] = kv;
      vs[e] = vv;
    }
    workgroupBarrier();
    if (is_valid) {
      var s: array<f32, KT>;
      var tmax = -3.0e38;
      for (var j = 0u; j < nk; j = j + 1u) {
        var dot = 0.0;
        for (var d = 0u; d < HEAD_DIM; d = d + 1u) { dot = dot + q[d] * ks[j * HEAD_DIM + d]; }
        s[j] = dot;
        tmax = max(tmax, dot);
      }
      let mnew = max(m, tmax);
      let corr = exp(m - mnew);
      l = l * corr;
      for (var d = 0u; d < HEAD_DIM; d = d + 1u) { acc[d] = acc[d] * corr; }
      for (var j = 0u; j < nk; j = j + 1u) {
        let pj = exp(s[j] - mnew);
        l = l + pj;
        for (var d = 0u; d < HEAD_DIM; d = d + 1u) { acc[d] = acc[d] + pj * vs[j * HEAD_DIM + d]; }
      }
      m = mnew;
    }
    workgroupBarrier();
  }

  if (qi < p.seq) {
    var inv = 0.0;
    if (is_valid && l > 0.0) { inv = 1.0 / l; }
    for (var d = 0u; d < HEAD_DIM; d = d + 1u) {
      ctx[(row0 + qi) * p.hidden + h * HEAD_DIM + d] = acc[d] * inv;
    }
  }
}

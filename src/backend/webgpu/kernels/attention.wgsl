// Multi-head self-attention over a right-padded batch, reading the fused QKV projection.
//   qkv: [batch * seq, (heads + 2 kv_heads) * D]  (Q | K | V; query head h reads key / value head h / (heads / kv))
//   ctx: [batch * seq, heads * D]   ctx[b, i, h] = softmax_j(q_i . k_j * scale + bias(j - i)) v_j over the keys j
// a query sees: j < len_b, with flags bit 0 (causal) j <= i, with window > 0 |j - i| <= window. Keys a query does not
// see are skipped (an additive -inf mask gives them weight exactly 0). flags bit 1: bias(d) = rel[h * (2 nrel + 1) +
// nrel + d], MPNet's bucketed relative position bias laid out by distance on the host (else rel is not read).
// Softmax is the online form: running max m, rescaled running sum l and accumulator, in f32; memory does not grow
// with the sequence. One workgroup = 64 consecutive queries of one (batch row, head); K and V go through workgroup
// memory in tiles of KT keys, as vec4s (head dimensions that are not a multiple of 4 are zero-padded), only over
// the keys some query of the workgroup sees (a sliding window reads O(window) keys, not the whole text). Query rows
// past the length are written as zeros. HEAD_DIM and KT (ks + vs fit the device's workgroup memory) are substituted
// at pipeline creation. qkv and ctx are activations (`act`); the K/V tiles hold `act` too (in fp16 the values are f16
// already, so the tiles lose nothing and take half the workgroup memory); q, scores and accumulators are f32.

const HEAD_DIM: u32 = 64u;  // substituted
const KT: u32 = 32u;  // substituted
const D4: u32 = (HEAD_DIM + 3u) / 4u;
const QT: u32 = 64u;
var<workgroup> ks: array<vec4<act>, KT * D4>;
var<workgroup> vs: array<vec4<act>, KT * D4>;

fn ld(i: u32, d: u32) -> f32 {
  if (d < HEAD_DIM) { return f32(qkv[i + d]); }
  return 0.0;
}
fn ld4(i: u32, d: u32) -> vec4<f32> {
  return vec4<f32>(ld(i, d), ld(i, d + 1u), ld(i, d + 2u), ld(i, d + 3u));
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.z;
  let h = wid.y;
  let q0 = wid.x * QT;
  let qi = q0 + lid;
  let len = min(lengths[b], p.seq);
  let width = p.heads * HEAD_DIM;
  let stride = width + 2u * p.kv_heads * HEAD_DIM;
  let kcol = width + (h / (p.heads / p.kv_heads)) * HEAD_DIM;
  let vcol = kcol + p.kv_heads * HEAD_DIM;
  let row0 = b * p.seq;
  let is_valid = qi < len;
  let has_rel = (p.flags & 2u) != 0u;

  let krange = key_range(q0, min(q0 + QT, max(len, 1u)) - 1u, len);
  let kbeg = krange.x;
  let kend = krange.y;
  let jrange = key_range(qi, qi, len);
  let jbeg = jrange.x;
  let jend = jrange.y;

  var q: array<vec4<f32>, D4>;
  var acc: array<vec4<f32>, D4>;
  let qbase = (row0 + min(qi, p.seq - 1u)) * stride + h * HEAD_DIM;
  for (var d = 0u; d < D4; d = d + 1u) {
    acc[d] = vec4<f32>(0.0);
    q[d] = vec4<f32>(0.0);
    if (is_valid) { q[d] = ld4(qbase, 4u * d) * p.scale; }
  }
  var m = -3.0e38;
  var l = 0.0;
  let relbase = h * (2u * p.nrel + 1u) + p.nrel;

  for (var k0 = kbeg; k0 < kend; k0 = k0 + KT) {
    let nk = min(KT, kend - k0);
    for (var e = lid; e < KT * D4; e = e + QT) {
      let j = e / D4;
      let d = (e % D4) * 4u;
      var kv = vec4<f32>(0.0);
      var vv = vec4<f32>(0.0);
      if (j < nk) {
        let base = (row0 + k0 + j) * stride;
        kv = ld4(base + kcol, d);
        vv = ld4(base + vcol, d);
      }
      ks[e] = vec4<act>(kv);
      vs[e] = vec4<act>(vv);
    }
    workgroupBarrier();
    if (is_valid) {
      var s: array<f32, KT>;
      var tmax = -3.0e38;
      for (var j = 0u; j < KT; j = j + 1u) {
        s[j] = -3.0e38;
        let kj = k0 + j;
        if (j < nk && kj >= jbeg && kj < jend) {
          var dot4 = vec4<f32>(0.0);
          for (var d = 0u; d < D4; d = d + 1u) { dot4 = dot4 + q[d] * vec4<f32>(ks[j * D4 + d]); }
          s[j] = dot4.x + dot4.y + dot4.z + dot4.w;
          if (has_rel) { s[j] = s[j] + rel[u32(i32(relbase) + i32(kj) - i32(qi))]; }
          tmax = max(tmax, s[j]);
        }
      }
      let mnew = max(m, tmax);
      let corr = exp(m - mnew);
      l = l * corr;
      for (var d = 0u; d < D4; d = d + 1u) { acc[d] = acc[d] * corr; }
      for (var j = 0u; j < KT; j = j + 1u) {
        let kj = k0 + j;
        if (j < nk && kj >= jbeg && kj < jend) {
          let pj = exp(s[j] - mnew);
          l = l + pj;
          for (var d = 0u; d < D4; d = d + 1u) { acc[d] = acc[d] + pj * vec4<f32>(vs[j * D4 + d]); }
        }
      }
      m = mnew;
    }
    workgroupBarrier();
  }

  if (qi < p.seq) {
    var inv = 0.0;
    if (is_valid && l > 0.0) { inv = 1.0 / l; }
    let obase = (row0 + qi) * width + h * HEAD_DIM;
    for (var d = 0u; d < D4; d = d + 1u) {
      let o = acc[d] * inv;
      for (var c = 0u; c < 4u; c = c + 1u) {
        if (4u * d + c < HEAD_DIM) { ctx[obase + 4u * d + c] = act(o[c]); }
      }
    }
  }
}

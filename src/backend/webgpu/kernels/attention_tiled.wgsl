// attention.wgsl's contract (bindings, Params, masks, relative bias, GQA, zero rows past the length) for wide heads.
// attention.wgsl keeps a whole query row and its accumulator in one invocation: HEAD_DIM / 2 vec4s, which spill
// to local memory from head dimension ~64 on. Here G invocations share a query, each holding S4 vec4s of q and of
// the accumulator (a slice of the head dimension). Their partial dot products meet in workgroup memory (no subgroup
// operations: every adapter runs this). The G invocations of a query redo the reduction and the softmax bookkeeping
// for all KT keys of a tile, cheaper than a fourth barrier to share the result. Invocation lid owns query lid % QT
// and slice lid / QT, so the 32 lanes of a warp (QT >= 32) read the same K / V address, a broadcast.
// HEAD_DIM, KT (keys per tile), G, S4 (G * S4 >= ceil(HEAD_DIM / 4)) and QT (queries per workgroup) are substituted
// in kernels.cpp; QT * G invocations must fit the device.

const HEAD_DIM: u32 = 128u;  // substituted
const KT: u32 = 16u;  // substituted
const G: u32 = 4u;  // substituted
const S4: u32 = 8u;  // substituted
const QT: u32 = 64u;  // substituted
const DP4: u32 = G * S4;
const WG: u32 = QT * G;
var<workgroup> ks: array<vec4<act>, KT * DP4>;
var<workgroup> vs: array<vec4<act>, KT * DP4>;
var<workgroup> part: array<f32, KT * WG>;

// Four elements from qkv[i + d], zeros past the head (the padding vec4 slots of the last slices).
fn ld4(i: u32, d: u32) -> vec4<f32> {
  if (HEAD_DIM % 4u == 0u) {
    if (d >= HEAD_DIM) { return vec4<f32>(0.0); }
    return vec4<f32>(f32(qkv[i + d]), f32(qkv[i + d + 1u]), f32(qkv[i + d + 2u]), f32(qkv[i + d + 3u]));
  }
  var v = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c = c + 1u) {
    if (d + c < HEAD_DIM) { v[c] = f32(qkv[i + d + c]); }
  }
  return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.z;
  let h = wid.y;
  let q0 = wid.x * QT;
  let ql = lid % QT;
  let g = lid / QT;
  let qi = q0 + ql;
  let len = min(lengths[b], p.seq);
  let width = p.heads * HEAD_DIM;
  let stride = width + 2u * p.kv_heads * HEAD_DIM;
  let kcol = width + (h / (p.heads / p.kv_heads)) * HEAD_DIM;
  let vcol = kcol + p.kv_heads * HEAD_DIM;
  let row0 = b * p.seq;
  let is_valid = qi < len;
  let has_rel = (p.flags & 2u) != 0u;

  let krange = key_range(q0, min(q0 + QT, max(len, 1u)) - 1u, len);
  let jrange = key_range(qi, qi, len);

  var q: array<vec4<f32>, S4>;
  var acc: array<vec4<f32>, S4>;
  let qbase = (row0 + min(qi, p.seq - 1u)) * stride + h * HEAD_DIM;
  for (var i = 0u; i < S4; i = i + 1u) {
    acc[i] = vec4<f32>(0.0);
    q[i] = vec4<f32>(0.0);
    if (is_valid) { q[i] = ld4(qbase, 4u * (g * S4 + i)) * p.scale; }
  }
  var m = -3.0e38;
  var l = 0.0;
  let relbase = i32(h * (2u * p.nrel + 1u) + p.nrel) - i32(qi);

  for (var k0 = krange.x; k0 < krange.y; k0 = k0 + KT) {
    let nk = min(KT, krange.y - k0);
    for (var e = lid; e < KT * DP4; e = e + WG) {
      let j = e / DP4;
      let d = (e % DP4) * 4u;
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
      for (var j = 0u; j < nk; j = j + 1u) {
        var dot4 = vec4<f32>(0.0);
        for (var i = 0u; i < S4; i = i + 1u) { dot4 = dot4 + q[i] * vec4<f32>(ks[j * DP4 + g * S4 + i]); }
        part[(g * KT + j) * QT + ql] = dot4.x + dot4.y + dot4.z + dot4.w;
      }
    }
    workgroupBarrier();
    if (is_valid) {
      var s: array<f32, KT>;
      var tmax = -3.0e38;
      for (var j = 0u; j < KT; j = j + 1u) {
        s[j] = -3.0e38;
        let kj = k0 + j;
        if (j < nk && kj >= jrange.x && kj < jrange.y) {
          var t = 0.0;
          for (var r = 0u; r < G; r = r + 1u) { t = t + part[(r * KT + j) * QT + ql]; }
          if (has_rel) { t = t + rel[u32(relbase + i32(kj))]; }
          s[j] = t;
          tmax = max(tmax, t);
        }
      }
      let mnew = max(m, tmax);
      let corr = exp(m - mnew);
      l = l * corr;
      for (var i = 0u; i < S4; i = i + 1u) { acc[i] = acc[i] * corr; }
      for (var j = 0u; j < KT; j = j + 1u) {
        let kj = k0 + j;
        if (j < nk && kj >= jrange.x && kj < jrange.y) {
          let pj = exp(s[j] - mnew);
          l = l + pj;
          for (var i = 0u; i < S4; i = i + 1u) { acc[i] = acc[i] + pj * vec4<f32>(vs[j * DP4 + g * S4 + i]); }
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
    for (var i = 0u; i < S4; i = i + 1u) {
      let o = acc[i] * inv;
      let d = 4u * (g * S4 + i);
      for (var c = 0u; c < 4u; c = c + 1u) {
        if (d + c < HEAD_DIM) { ctx[obase + d + c] = act(o[c]); }
      }
    }
  }
}

// Top k (k <= 256) candidates per query, best first: higher score, then lower id, the order of js/index.mjs's CPU
// search. A workgroup sorts one chunk of up to C candidates in workgroup memory (a bitonic network of sort_n, the
// power of two >= the chunk) and writes its first k; gpu_index.cpp repeats rounds over the chunks' outputs until
// one chunk is left, whose k are the answer. Grid: x = chunks (grid-stride), y = queries.
//   mode 0: candidates are scores[q, n] (index_scores.wgsl) with id = position
//   mode 1: candidates are pairs cand[q, n] = (score bits, id) of the previous round
// Padding entries are (-2, 0xffffffff): below every cosine score, so they sort last and never reach the final k
// (gpu_index.cpp asks for k <= count).
struct Params { n: u32, chunks: u32, k: u32, mode: u32, sort_n: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> cand: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec2<u32>>;

const C: u32 = 1024u;
const WG: u32 = 256u;
const NONE: u32 = 0xffffffffu;
var<workgroup> ks: array<f32, 1024>;
var<workgroup> ki: array<u32, 1024>;

fn better(sa: f32, ia: u32, sb: f32, ib: u32) -> bool {
  return sa > sb || (sa == sb && ia < ib);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let q = wid.y;
  for (var ch = wid.x; ch < p.chunks; ch = ch + nwg.x) {
    let base = ch * C;
    for (var i = lid; i < p.sort_n; i = i + WG) {
      let at = base + i;
      var s = -2.0;
      var id = NONE;
      if (at < p.n) {
        if (p.mode == 0u) {
          s = scores[q * p.n + at];
          id = at;
        } else {
          let c = cand[q * p.n + at];
          s = bitcast<f32>(c.x);
          id = c.y;
        }
      }
      ks[i] = s;
      ki[i] = id;
    }
    workgroupBarrier();
    for (var size = 2u; size <= p.sort_n; size = size * 2u) {
      for (var stride = size / 2u; stride > 0u; stride = stride / 2u) {
        for (var t = lid; t < p.sort_n / 2u; t = t + WG) {
          let i = 2u * stride * (t / stride) + t % stride;
          let j = i + stride;
          let sa = ks[i];
          let ia = ki[i];
          let sb = ks[j];
          let ib = ki[j];
          // blocks with (i & size) == 0 end best-first, the others worst-first (a bitonic merge follows)
          let swap = select(better(sa, ia, sb, ib), better(sb, ib, sa, ia), (i & size) == 0u);
          if (swap) {
            ks[i] = sb;
            ki[i] = ib;
            ks[j] = sa;
            ki[j] = ia;
          }
        }
        workgroupBarrier();
      }
    }
    for (var i = lid; i < p.k; i = i + WG) {
      out[(q * p.chunks + ch) * p.k + i] = vec2<u32>(bitcast<u32>(ks[i]), ki[i]);
    }
    workgroupBarrier();
  }
}

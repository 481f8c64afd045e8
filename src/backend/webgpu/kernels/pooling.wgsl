// Sentence pooling over the valid tokens of each row of a right-padded batch (mask = position < lengths[b]).
//   mode 0 cls: token 0;  1 mean: sum / len;  2 max: max over valid tokens;  3 mean_sqrt_len: sum / sqrt(len);
//   4 weightedmean: token t weighs t + 1;  5 lasttoken: token len - 1.
// Writes out[b * out_dim + out_offset + h], so several modes can be concatenated as sentence-transformers does.
// x: the last hidden state (`act`); sums and the output are f32 in both precisions.
struct Params { batch: u32, seq: u32, hidden: u32, mode: u32, out_dim: u32, out_offset: u32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<act>;
@group(0) @binding(2) var<storage, read> lengths: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let h = gid.x;
  let b = gid.y;
  if (h >= p.hidden || b >= p.batch) { return; }
  let len = min(lengths[b], p.seq);
  let base = b * p.seq * p.hidden + h;
  var r = 0.0;
  if (p.mode == 0u) {
    r = f32(x[base]);
  } else if (p.mode == 5u) {
    r = f32(x[base + (len - 1u) * p.hidden]);
  } else if (p.mode == 4u) {
    var s = 0.0;
    var ws = 0.0;
    for (var t = 0u; t < len; t = t + 1u) {
      let w = f32(t + 1u);
      s = s + f32(x[base + t * p.hidden]) * w;
      ws = ws + w;
    }
    r = s / max(ws, 1e-9);
  } else if (p.mode == 2u) {
    r = -1.0e9;  // sentence-transformers sets masked tokens to -1e9 before the max
    for (var t = 0u; t < len; t = t + 1u) { r = max(r, f32(x[base + t * p.hidden])); }
  } else {
    var s = 0.0;
    for (var t = 0u; t < len; t = t + 1u) { s = s + f32(x[base + t * p.hidden]); }
    let n = max(f32(len), 1e-9);
    if (p.mode == 1u) { r = s / n; } else { r = s / sqrt(n); }
  }
  out[b * p.out_dim + p.out_offset + h] = r;
}

// BERT embeddings: out[row] = LayerNorm(word[id] + position[row % seq] + token_type[0]) for each token row of a
// right-padded batch [batch, seq]. One workgroup per row; mean first, then the variance of the centred values,
// both accumulated in f32 (two passes, as PyTorch's LayerNorm is exact to f32 rounding).
struct Params {
  rows: u32, seq: u32, hidden: u32, vocab: u32,
  max_pos: u32, _p0: u32, eps: f32, _p1: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> word: array<f32>;
@group(0) @binding(3) var<storage, read> pos: array<f32>;
@group(0) @binding(4) var<storage, read> ttype: array<f32>;
@group(0) @binding(5) var<storage, read> gamma: array<f32>;
@group(0) @binding(6) var<storage, read> beta: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

const WG: u32 = 128u;
var<workgroup> red: array<f32, WG>;

fn reduce_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let H = p.hidden;
  let id = min(ids[row], p.vocab - 1u);   // ids are validated on the host; the clamp only keeps reads in bounds
  let t = min(row % p.seq, p.max_pos - 1u);
  let base = row * H;
  var s = 0.0;
  for (var h = lid; h < H; h = h + WG) {
    let v = word[id * H + h] + pos[t * H + h] + ttype[h];
    out[base + h] = v;
    s = s + v;
  }
  let mean = reduce_sum(s, lid) / f32(H);
  var q = 0.0;
  for (var h = lid; h < H; h = h + WG) {
    let d = out[base + h] - mean;
    q = q + d * d;
  }
  let inv = 1.0 / sqrt(reduce_sum(q, lid) / f32(H) + p.eps);
  for (var h = lid; h < H; h = h + WG) {
    out[base + h] = (out[base + h] - mean) * inv * gamma[h] + beta[h];
  }
}

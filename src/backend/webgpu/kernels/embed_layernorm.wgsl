// BERT embeddings: out[row] = LayerNorm(word[id] + position[row % seq + pos_offset] + token_type[0]) for each token
// row of a right-padded batch [batch, seq] (pos_offset: XLM-R numbers positions from pad_token_id + 1). One
// workgroup per row; the LayerNorm of layernorm_common.wgsl. The embedding sum is recomputed in each of its passes
// rather than re-read from `out`, whose type (`act`) may be f16: the statistics then see the exact f32 sum in both
// precisions (in fp32 the recomputed value equals the one stored before).
// The families' variants (flags): bit 0 no position table (rotary or relative positions), bit 1 no token types,
// bit 2 no LayerNorm: a decoder's plain gather, word[id] * scale. A missing table's binding is any buffer; it is not
// read, and x + 0 = x keeps the sum what the CPU path computes without the term.
struct Params {
  rows: u32, seq: u32, hidden: u32, vocab: u32,
  max_pos: u32, pos_offset: u32, eps: f32, flags: u32,
  scale: f32, _p0: u32, _p1: u32, _p2: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> word: array<wt>;
@group(0) @binding(3) var<storage, read> pos: array<wt>;
@group(0) @binding(4) var<storage, read> ttype: array<wt>;
@group(0) @binding(5) var<storage, read> gamma: array<f32>;
@group(0) @binding(6) var<storage, read> beta: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<act>;

const WG: u32 = 128u;  // reduce.wgsl sums over it

// src: the offsets of the token's word row and position row
fn ln_in(src: vec2<u32>, h: u32) -> f32 {
  var v = f32(word[src.x + h]);
  if ((p.flags & 1u) == 0u) { v = v + f32(pos[src.y + h]); }
  if ((p.flags & 2u) == 0u) { v = v + f32(ttype[h]); }
  return v;
}
fn ln_out(i: u32, v: f32) { out[i] = act(v); }

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let H = p.hidden;
  let id = min(ids[row], p.vocab - 1u);   // ids are validated on the host; the clamp only keeps reads in bounds
  let t = min(row % p.seq + p.pos_offset, p.max_pos - 1u);
  let base = row * H;
  let wrow = id * H;
  let prow = t * H;
  if ((p.flags & 4u) != 0u) {
    for (var h = lid; h < H; h = h + WG) { out[base + h] = act(f32(word[wrow + h]) * p.scale); }
    return;
  }
  layer_norm_row(vec2<u32>(wrow, prow), base, H, p.eps, lid);
}

// Rotary positions (GPT-NeoX halves) in place on the query and key heads of a right-padded [batch * seq, stride]
// QKV tensor: in each of the first `nheads` heads (the query heads, then the key heads), channel pair (c, c + half)
// turns by the angle of the token's position t = row % seq. cos / sin come from a host-made table
// cs[t * 2 * half + c] = cos, cs[t * 2 * half + half + c] = sin, computed in f32 exactly as the CPU path does:
// WGSL's cos / sin are not accurate enough for angles of thousands of radians. One invocation per (row, head, c).
struct Params { rows: u32, seq: u32, nheads: u32, head_dim: u32, half: u32, stride: u32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> cs: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<act>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = (wid.x + wid.y * nwg.x) * 256u + lid;
  let c = idx % p.half;
  let rh = idx / p.half;
  let row = rh / p.nheads;
  if (row >= p.rows) { return; }
  let at = row * p.stride + (rh % p.nheads) * p.head_dim + c;
  let t = (row % p.seq) * 2u * p.half + c;
  let co = cs[t];
  let si = cs[t + p.half];
  let x1 = f32(x[at]);
  let x2 = f32(x[at + p.half]);
  x[at] = act(x1 * co - x2 * si);
  x[at + p.half] = act(x2 * co + x1 * si);
}

// RMSNorm: v / sqrt(mean(v^2) + eps) scaled by gamma (flags bit 0: by 1 + gamma, Gemma's stored weights), over
// `groups` groups of `width` channels from column `first` of each row (a whole row: one group of the row's width;
// Qwen3 / Gemma3 query and key head norms: one group per head). One workgroup per (row, group); the sum of squares
// in f32. flags bit 1: in place, the input is y itself (a buffer cannot be bound both read-only and writable).
struct Params { rows: u32, stride: u32, first: u32, width: u32, groups: u32, eps: f32, flags: u32, _p0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<act>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<act>;

const WG: u32 = 128u;  // reduce.wgsl sums over it

fn ld(i: u32) -> f32 {
  if ((p.flags & 2u) != 0u) { return f32(y[i]); }
  return f32(x[i]);
}

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = wid.x + wid.y * nwg.x;
  if (idx >= p.rows * p.groups) { return; }
  let base = (idx / p.groups) * p.stride + p.first + (idx % p.groups) * p.width;
  var s = 0.0;
  for (var i = lid; i < p.width; i = i + WG) {
    let v = ld(base + i);
    s = s + v * v;
  }
  let inv = 1.0 / sqrt(reduce_sum(s, lid) / f32(p.width) + p.eps);
  for (var i = lid; i < p.width; i = i + WG) {
    let v = ld(base + i) * inv;
    if ((p.flags & 1u) != 0u) {
      y[base + i] = act(v * (1.0 + gamma[i]));
    } else {
      y[base + i] = act(gamma[i] * v);
    }
  }
}

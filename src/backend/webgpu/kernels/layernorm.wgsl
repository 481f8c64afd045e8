// y[row] = LayerNorm(x[row]) * gamma + beta over `hidden` columns (layernorm_common.wgsl): one workgroup per row.
// x, y: activations (`act`, see precision_f32.wgsl).
// inplace != 0: the input is y itself (ModernBERT's final norm; x is not read).
struct Params { rows: u32, hidden: u32, eps: f32, inplace: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<act>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<act>;

const WG: u32 = 128u;  // reduce.wgsl sums over it

// src.x: the row's first element
fn ln_in(src: vec2<u32>, h: u32) -> f32 {
  let i = src.x + h;
  if (p.inplace != 0u) { return f32(y[i]); }
  return f32(x[i]);
}
fn ln_out(i: u32, v: f32) { y[i] = act(v); }

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.hidden;
  layer_norm_row(vec2<u32>(base, 0u), base, p.hidden, p.eps, lid);
}

// y[row] = LayerNorm(x[row]) * gamma + beta over `hidden` columns. One workgroup per row; mean first, then the
// variance of the centred values, both in f32 (two passes). x, y: activations (`act`, see precision_f32.wgsl).
// inplace != 0: the input is y itself (ModernBERT's final norm; x is not read).
struct Params { rows: u32, hidden: u32, eps: f32, inplace: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<act>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<act>;

const WG: u32 = 128u;  // reduce.wgsl sums over it

fn ld(i: u32) -> f32 {
  if (p.inplace != 0u) { return f32(y[i]); }
  return f32(x[i]);
}

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let H = p.hidden;
  let base = row * H;
  var s = 0.0;
  for (var h = lid; h < H; h = h + WG) { s = s + ld(base + h); }
  let mean = reduce_sum(s, lid) / f32(H);
  var q = 0.0;
  for (var h = lid; h < H; h = h + WG) {
    let d = ld(base + h) - mean;
    q = q + d * d;
  }
  let inv = 1.0 / sqrt(reduce_sum(q, lid) / f32(H) + p.eps);
  for (var h = lid; h < H; h = h + WG) {
    y[base + h] = act((ld(base + h) - mean) * inv * gamma[h] + beta[h]);
  }
}

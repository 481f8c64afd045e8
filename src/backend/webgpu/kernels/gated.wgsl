// A gated feed-forward's activation: y[r, i] = f(g[r, i]) * g[r, w + i] over rows of [gate | value] (2w wide), the
// output of one linear op. mode 0: GELU (erf form), 1: SiLU (SwiGLU), 2: GELU with tanh (Gemma's GeGLU).
// f32 arithmetic on `act` storage; gpuembed_gelu comes from erf.wgsl, prepended.
struct Params { rows: u32, width: u32, mode: u32, _p0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<act>;
@group(0) @binding(2) var<storage, read_write> y: array<act>;

// tanh from one exp of a non-positive argument: never overflows, unlike the (e^u - e^-u) / (e^u + e^-u) some
// drivers use for tanh.
fn safe_tanh(u: f32) -> f32 {
  let e = exp(-2.0 * abs(u));
  return sign(u) * (1.0 - e) / (1.0 + e);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = (wid.x + wid.y * nwg.x) * 256u + lid;
  let r = idx / p.width;
  if (r >= p.rows) { return; }
  let i = idx % p.width;
  let a = f32(g[r * 2u * p.width + i]);
  let b = f32(g[r * 2u * p.width + p.width + i]);
  var f: f32;
  if (p.mode == 0u) {
    f = gpuembed_gelu(a);
  } else if (p.mode == 1u) {
    f = a / (1.0 + exp(-a));
  } else {
    f = 0.5 * a * (1.0 + safe_tanh(0.7978845608028654 * (a + 0.044715 * a * a * a)));
  }
  y[idx] = act(f * b);
}

// y[i] = a[i] + b[i], elementwise over n activations (`act`, added in f32): the residual connection when it is
// not fused into matmul. inplace != 0: y[i] = a[i] + y[i] (the pre-norm residual stream; b is not read, since a
// buffer cannot be bound both read-only and writable).
struct Params { n: u32, inplace: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<act>;
@group(0) @binding(2) var<storage, read> b: array<act>;
@group(0) @binding(3) var<storage, read_write> y: array<act>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i < p.n) {
    var r: f32;
    if (p.inplace != 0u) { r = f32(y[i]); } else { r = f32(b[i]); }
    y[i] = act(r + f32(a[i]));
  }
}

// y[row] = x[row] / max(||x[row]||_2, 1e-12)  (torch.nn.functional.normalize, p=2). One workgroup per row.
struct Params { rows: u32, dim: u32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

const WG: u32 = 128u;  // reduce.wgsl sums over it

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.dim;
  var s = 0.0;
  for (var i = lid; i < p.dim; i = i + WG) { let v = x[base + i]; s = s + v * v; }
  let n = max(sqrt(reduce_sum(s, lid)), 1e-12);
  for (var i = lid; i < p.dim; i = i + WG) { y[base + i] = x[base + i] / n; }
}

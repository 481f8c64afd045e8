// The row kernels' (norms) sum over the workgroup of one f32 per invocation: a tree in workgroup memory, in the same
// order on every device, so a row's statistics do not depend on the adapter. Prepended by kernels.cpp; the kernel
// declares `const WG: u32` (its workgroup size, a power of two) and every invocation must call it (barriers).
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

// The LayerNorm of one row, for layernorm.wgsl and embed_layernorm.wgsl alike, so that the two cannot compute it
// differently: mean first, then the variance of the centred values, both accumulated in f32 (two passes, as PyTorch's
// LayerNorm is exact to f32 rounding), then (v - mean) * inv * gamma + beta. Prepended by kernels.cpp with
// reduce.wgsl; the kernel declares `gamma` and `beta` and defines `ln_in(src, h)`, the row's value h (read again in
// each pass: the statistics see the exact f32 value whatever the storage type), and `ln_out(i, v)`, which stores
// output i. src: what ln_in finds the row by; out0: the row's first output. Every invocation must call it (barriers).
fn layer_norm_row(src: vec2<u32>, out0: u32, H: u32, eps: f32, lid: u32) {
  var s = 0.0;
  for (var h = lid; h < H; h = h + WG) { s = s + ln_in(src, h); }
  let mean = reduce_sum(s, lid) / f32(H);
  var q = 0.0;
  for (var h = lid; h < H; h = h + WG) {
    let d = ln_in(src, h) - mean;
    q = q + d * d;
  }
  let inv = 1.0 / sqrt(reduce_sum(q, lid) / f32(H) + eps);
  for (var h = lid; h < H; h = h + WG) { ln_out(out0 + h, (ln_in(src, h) - mean) * inv * gamma[h] + beta[h]); }
}

// What both attention kernels (attention.wgsl, attention_tiled.wgsl) share: their parameters and bindings (one
// contract, so the engine binds either the same way) and the keys a query sees. Prepended by kernels.cpp.
struct Params { batch: u32, seq: u32, heads: u32, kv_heads: u32, scale: f32, window: u32, flags: u32, nrel: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<act>;
@group(0) @binding(2) var<storage, read> lengths: array<u32>;
@group(0) @binding(3) var<storage, read> rel: array<f32>;
@group(0) @binding(4) var<storage, read_write> ctx: array<act>;

// [begin, end) of the keys that queries first ..= last see: the workgroup's range (uniform: from the workgroup id and
// the lengths) bounds the tile loop, the query's own range masks the scores; one function so the two cannot disagree.
fn key_range(first: u32, last: u32, len: u32) -> vec2<u32> {
  var r = vec2<u32>(0u, len);
  if (p.window > 0u) {
    r.x = first - min(first, p.window);
    r.y = min(r.y, last + p.window + 1u);
  }
  if ((p.flags & 1u) != 0u) { r.y = min(r.y, last + 1u); }
  return r;
}

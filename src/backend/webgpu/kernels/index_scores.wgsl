// scores[q, row] = dot(rows[row], queries[q]): the cosine scores of vector search (gpu_index.cpp). Rows and queries
// are L2-normalized by js/index.mjs and padded with zeros to dim4 vec4s. A workgroup takes a tile of 64 rows
// (grid-stride over tiles in x) and QB queries (y); the tile is staged through workgroup memory in chunks of DC
// vec4 columns so that neighbouring invocations load neighbouring vec4s of a row.
//
// The sum order is part of the contract: js/index.mjs's CPU search reproduces it bit for bit, so both return the
// same ids, ties included. Lane c (component c of the vec4s) sums rows[d].c * queries[d].c in order of d, then
// score = (x + y) + (z + w). Each product goes through an integer XOR with a zero the compiler cannot see (a
// uniform): otherwise it may fuse the multiply into an FMA with the add, skipping the product's rounding.
struct Params { count: u32, dim4: u32, nq: u32, zero: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rows: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> queries: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;

const TR: u32 = 64u;  // rows per tile = invocations
const DC: u32 = 8u;   // vec4 columns staged per step
const DS: u32 = 9u;   // staged row stride in vec4s (DC + 1: rows start in different banks)
const QB: u32 = 8u;   // queries per workgroup
var<workgroup> tile: array<vec4<f32>, 576>;  // TR * DS

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let tiles = (p.count + TR - 1u) / TR;
  let q0 = wid.y * QB;
  if (q0 >= p.nq) { return; }
  let nqb = min(QB, p.nq - q0);
  let z = vec4<u32>(p.zero);
  for (var t = wid.x; t < tiles; t = t + nwg.x) {
    let row = t * TR + lid;
    var acc: array<vec4<f32>, 8>;  // QB; zero at each tile
    for (var c0 = 0u; c0 < p.dim4; c0 = c0 + DC) {
      for (var i = 0u; i < DC; i = i + 1u) {
        let e = lid + i * TR;
        let r = e / DC;
        let c = e % DC;
        let gr = t * TR + r;
        var v = vec4<f32>(0.0);
        if (gr < p.count && c0 + c < p.dim4) { v = rows[gr * p.dim4 + c0 + c]; }
        tile[r * DS + c] = v;
      }
      workgroupBarrier();
      let cn = min(DC, p.dim4 - c0);
      for (var c = 0u; c < cn; c = c + 1u) {
        let rv = tile[lid * DS + c];
        for (var j = 0u; j < QB; j = j + 1u) {
          if (j < nqb) {
            let m = rv * queries[(q0 + j) * p.dim4 + c0 + c];
            acc[j] = acc[j] + bitcast<vec4<f32>>(bitcast<vec4<u32>>(m) ^ z);
          }
        }
      }
      workgroupBarrier();
    }
    if (row < p.count) {
      for (var j = 0u; j < nqb; j = j + 1u) {
        let a = acc[j];
        scores[(q0 + j) * p.count + row] = (a.x + a.y) + (a.z + a.w);
      }
    }
  }
}

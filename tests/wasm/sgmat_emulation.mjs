// Subgroup matrices emulated, for adapters without Dawn's 'chromium-experimental-subgroup-matrix' (lavapipe in CI),
// so that the kernels written for them (attention_sgmat.wgsl, matmul_sgmat.wgsl) run their tiling, loads, barriers
// and masks anyway. Two parts:
//  - emulateSgmat(code, { subgroupSize }): a WGSL text transform (plain or as cmake/wasm.cmake minifies it) that
//    turns each subgroup-matrix type into a struct and each operation into a function over the subgroup: lane l
//    holds rows l, l + size, ... of every matrix; a multiply-accumulate broadcasts the right operand's elements
//    (f32 products and sums of f16 operands, as the matrix units). The lane is the lane's rank among the active
//    ones, so a matrix operation reached by part of a subgroup (which the extension forbids) gives wrong results;
//  - emulatedSgmatGpu(gpu, config): a `gpu` (npm webgpu's create()) whose adapters without the feature (with one
//    subgroup size, 'shader-f16' and 'subgroups') report it with one f16 x f16 -> f32 configuration, and whose
//    devices compile every shader through emulateSgmat.
// Layouts as the WGSL extension defines them: subgroup_matrix_<kind><T, C, R> has R rows and C columns; a
// row_major load / store at offset o with stride st reaches element (r, c) at o + r st + c, col_major at o + c st + r.
// The code is straight-line with constant register indices: with loops and indexed private arrays instead, lavapipe
// takes minutes to compile a kernel.
export const SGM = 'chromium-experimental-subgroup-matrix';
const TYPE = /subgroup_matrix_(left|right|result)\s*<\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*>/g;

export function emulateSgmat(code, { subgroupSize }) {
  if (!/subgroup_matrix|subgroupMatrix/.test(code)) return code;
  const types = {};
  let t = code.replace(/\/\/[^\n]*/g, '').replace(/^\s*enable\s+chromium_experimental_subgroup_matrix\s*;\s*$/m, '')
    .replace(/^\s*diagnostic\s*\(\s*off\s*,\s*chromium\.subgroup_matrix_uniformity\s*\)\s*;\s*$/m, '')
    .replace(TYPE, (_, kind, el, cols, rows) => {
      const seen = types[kind];
      // one shape per kind keeps the emulated multiply-accumulate a single function (WGSL has no overloads)
      if (seen && (seen.el !== el || seen.cols !== cols || seen.rows !== rows)) throw new Error(`emulateSgmat: two ${kind} types`);
      types[kind] = { el, cols, rows };
      return `Emu_${kind}`;
    });
  const consts = {};
  for (const m of t.matchAll(/const\s+(\w+)\s*:\s*u32\s*=\s*(\d+)u\s*;/g)) consts[m[1]] = +m[2];
  const dim = (x) => {
    const v = /^\d+$/.test(x) ? +x : consts[x];
    if (!(v > 0)) throw new Error(`emulateSgmat: matrix dimension ${x} is not a literal constant`);
    return v;
  };
  const S = subgroupSize;
  const fns = new Map();
  const shape = (kind) => {
    const { cols, rows } = types[kind];
    const R = dim(rows), C = dim(cols);
    return { R, C, RL: Math.ceil(R / S) };
  };
  const perElement = (kind, f) => {
    const { R, C, RL } = shape(kind);
    const out = [];
    for (let j = 0; j < RL; ++j) {
      const lines = [];
      for (let c = 0; c < C; ++c) lines.push(f(j, c, C));
      out.push(j * S + S <= R ? `  { let r = ls + ${j * S}u;\n${lines.join('\n')} }` : `  if (ls + ${j * S}u < ${R}u) { let r = ls + ${j * S}u;\n${lines.join('\n')} }`);
    }
    return out.join('\n');
  };
  const at = (lay, c) => (lay === 'row' ? `o + r * st + ${c}u` : `o + ${c}u * st + r`);
  t = t.replace(/subgroupMatrixLoad\s*<\s*Emu_(\w+)\s*,\s*(row|col)_major\s*>\s*\(\s*&\s*(\w+)\s*,/g, (_, kind, lay, arr) => {
    const name = `emu_load_${kind}_${lay}_${arr}`;
    fns.set(name, `fn ${name}(o: u32, st: u32) -> Emu_${kind} {
  var m: Emu_${kind};
  let ls = subgroupExclusiveAdd(1u);
${perElement(kind, (j, c, C) => `    m.v[${j * C + c}] = ${arr}[${at(lay, c)}];`)}
  return m;
}`);
    return `${name}(`;
  }).replace(/subgroupMatrixStore\s*<\s*(row|col)_major\s*>\s*\(\s*&\s*(\w+)\s*,/g, (_, lay, arr) => {
    const name = `emu_store_${lay}_${arr}`;
    fns.set(name, `fn ${name}(o: u32, m: Emu_result, st: u32) {
  let ls = subgroupExclusiveAdd(1u);
${perElement('result', (j, c, C) => `    ${arr}[${at(lay, c)}] = m.v[${j * C + c}];`)}
}`);
    return `${name}(`;
  // X = mma(A, B, X) updates X in place (a copy of the whole matrix per call costs lavapipe compile time)
  }).replace(/(\w+)\s*=\s*subgroupMatrixMultiplyAccumulate\s*\(([^;]*),\s*\1\s*\)\s*;/g, 'emu_mma(&$1, $2);');
  const left = /.*(subgroup_matrix|subgroupMatrix).*/.exec(t);
  if (left) throw new Error(`emulateSgmat: unhandled subgroup-matrix use: ${left[0]}`);
  const structs = Object.keys(types).map((kind) => {
    const { C, RL } = shape(kind);
    return `struct Emu_${kind} { v: array<${types[kind].el}, ${RL * C}> }`;
  });
  if (types.left && types.right && types.result) {
    const { R: M, C: N, RL } = shape('result'), K = shape('left').C, el = types.result.el;
    // row kk of b sits in lane kk % S, slot kk / S: the same slot in every lane, so one broadcast serves all
    const body = [];
    for (let kk = 0; kk < K; ++kk) {
      for (let c = 0; c < N; ++c) {
        body.push(`  b1 = subgroupBroadcast(f32(b.v[${Math.floor(kk / S) * N + c}]), ${kk % S}u);`);
        for (let j = 0; j < RL; ++j) body.push(`  (*d).v[${j * N + c}] = (*d).v[${j * N + c}] + ${el}(f32(a.v[${j * K + kk}]) * b1);`);
      }
    }
    fns.set('emu_mma', `fn emu_mma(d: ptr<function, Emu_result>, a: Emu_left, b: Emu_right) {
  var b1: f32;
${body.join('\n')}
}`);
  }
  return ['diagnostic(off, subgroup_uniformity);', t, ...structs, ...fns.values()].join('\n');
}

// Forwards everything to the real object except the members in `extra` (methods bound to the real object, so that
// Dawn sees its own objects).
function overlay(real, extra) {
  return new Proxy(real, {
    get(target, key) {
      if (Object.prototype.hasOwnProperty.call(extra, key)) return extra[key];
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

// gpu with the subgroup-matrix feature emulated on adapters that have 'shader-f16' and 'subgroups' but not the
// feature (others are returned as they are). config: the f16 x f16 -> f32 shape the adapter reports.
export function emulatedSgmatGpu(gpu, { M = 16, N = 16, K = 16 } = {}) {
  return overlay(gpu, {
    async requestAdapter(options) {
      const adapter = await gpu.requestAdapter(options);
      const f = adapter?.features;
      const ai = adapter?.info || {};
      const subgroupSize = ai.subgroupMinSize;
      if (!f || f.has(SGM) || !f.has('shader-f16') || !f.has('subgroups') || !(subgroupSize > 0) ||
          ai.subgroupMaxSize !== subgroupSize) return adapter;
      const info = { subgroupMatrixConfigs: [{ componentType: 'f16', resultComponentType: 'f32', M, N, K }] };
      for (const k of ['vendor', 'architecture', 'device', 'isFallbackAdapter', 'subgroupMinSize', 'subgroupMaxSize']) {
        info[k] = ai[k];
      }
      info.description = `${ai.description || 'adapter'} (subgroup matrices emulated)`;
      return overlay(adapter, {
        features: new Set([...f, SGM]),
        info,
        async requestDevice(desc = {}) {
          const requiredFeatures = (desc.requiredFeatures || []).filter((x) => x !== SGM);
          const device = await adapter.requestDevice({ ...desc, requiredFeatures });
          return overlay(device, {
            features: new Set([...device.features, ...(desc.requiredFeatures || []).filter((x) => x === SGM)]),
            createShaderModule: (d) => device.createShaderModule({ ...d, code: emulateSgmat(d.code, { subgroupSize }) }),
          });
        },
      });
    },
  });
}

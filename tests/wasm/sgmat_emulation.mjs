// Subgroup matrices emulated, for adapters without Dawn's 'chromium-experimental-subgroup-matrix' (lavapipe in CI),
// so that the kernels written for them (matmul_sgmat.wgsl, attention_sgmat.wgsl) run their tiling, loads, barriers
// and masks anyway. Two parts:
//  - emulateSgmat(code): a WGSL text transform (plain or as cmake/wasm.cmake minifies it) that turns each
//    subgroup-matrix type into a struct holding the whole matrix and each operation into a function that every
//    invocation runs in full (f32 products and sums of f16 operands, as the matrix units): all invocations of a
//    subgroup compute and store the same values. Slow: tests keep the shapes small;
//  - emulatedSgmatGpu(gpu, config): a `gpu` (npm webgpu's create()) whose adapters without the feature report it
//    with one f16 x f16 -> f32 configuration and whose devices compile every shader through emulateSgmat.
// Layouts as the WGSL extension defines them: subgroup_matrix_<kind><T, C, R> has R rows and C columns; a
// row_major load / store at offset o with stride st reaches element (r, c) at o + r st + c, col_major at o + c st + r.
export const SGM = 'chromium-experimental-subgroup-matrix';
const TYPE = /subgroup_matrix_(left|right|result)\s*<\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*>/g;

export function emulateSgmat(code) {
  if (!/subgroup_matrix|subgroupMatrix/.test(code)) return code;
  const types = {};
  let t = code.replace(/^\s*enable\s+chromium_experimental_subgroup_matrix\s*;\s*$/m, '')
    .replace(/^\s*diagnostic\s*\(\s*off\s*,\s*chromium\.subgroup_matrix_uniformity\s*\)\s*;\s*$/m, '')
    .replace(TYPE, (_, kind, el, cols, rows) => {
      const ty = { el, cols, rows };
      const seen = types[kind];
      // one shape per kind keeps the emulated multiply-accumulate a single function (WGSL has no overloads)
      if (seen && (seen.el !== el || seen.cols !== cols || seen.rows !== rows)) throw new Error(`emulateSgmat: two ${kind} types`);
      types[kind] = ty;
      return `Emu_${kind}`;
    });
  const fns = new Map();
  t = t.replace(/subgroupMatrixLoad\s*<\s*Emu_(\w+)\s*,\s*(row|col)_major\s*>\s*\(\s*&\s*(\w+)\s*,/g, (_, kind, lay, arr) => {
    const name = `emu_load_${kind}_${lay}_${arr}`;
    const { cols, rows } = types[kind];
    const at = lay === 'row' ? 'r * st + c' : 'c * st + r';
    fns.set(name, `fn ${name}(o: u32, st: u32) -> Emu_${kind} {
  var m: Emu_${kind};
  for (var r = 0u; r < ${rows}; r = r + 1u) { for (var c = 0u; c < ${cols}; c = c + 1u) { m.v[r * ${cols} + c] = ${arr}[o + ${at}]; } }
  return m;
}`);
    return `${name}(`;
  }).replace(/subgroupMatrixStore\s*<\s*(row|col)_major\s*>\s*\(\s*&\s*(\w+)\s*,/g, (_, lay, arr) => {
    const name = `emu_store_${lay}_${arr}`;
    const { cols, rows } = types.result;
    const at = lay === 'row' ? 'r * st + c' : 'c * st + r';
    fns.set(name, `fn ${name}(o: u32, m: Emu_result, st: u32) {
  for (var r = 0u; r < ${rows}; r = r + 1u) { for (var c = 0u; c < ${cols}; c = c + 1u) { ${arr}[o + ${at}] = m.v[r * ${cols} + c]; } }
}`);
    return `${name}(`;
  }).replace(/subgroupMatrixMultiplyAccumulate\s*\(/g, 'emu_mma(');
  const left = /.*(subgroup_matrix|subgroupMatrix).*/.exec(t);
  if (left) throw new Error(`emulateSgmat: unhandled subgroup-matrix use: ${left[0]}`);
  const structs = Object.entries(types).map(([kind, { el, cols, rows }]) =>
    `struct Emu_${kind} { v: array<${el}, ${cols} * ${rows}> }`);
  if (types.left && types.right && types.result) {
    const { el, cols: n, rows: m } = types.result, k = types.left.cols;
    fns.set('emu_mma', `fn emu_mma(a: Emu_left, b: Emu_right, acc: Emu_result) -> Emu_result {
  var d = acc;
  for (var r = 0u; r < ${m}; r = r + 1u) {
    for (var c = 0u; c < ${n}; c = c + 1u) {
      var s = d.v[r * ${n} + c];
      for (var i = 0u; i < ${k}; i = i + 1u) { s = s + ${el}(a.v[r * ${k} + i]) * ${el}(b.v[i * ${n} + c]); }
      d.v[r * ${n} + c] = s;
    }
  }
  return d;
}`);
  }
  return [t, ...structs, ...fns.values()].join('\n');
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
      if (!f || f.has(SGM) || !f.has('shader-f16') || !f.has('subgroups')) return adapter;
      const ai = adapter.info || {};
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
            createShaderModule: (d) => device.createShaderModule({ ...d, code: emulateSgmat(d.code) }),
          });
        },
      });
    },
  });
}

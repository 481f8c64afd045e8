// The WebGPU kernel harness (build-wasm/gpuembed_ops.mjs, src/wasm/ops_exports.cpp) for the op tests: one kernel
// dispatched on buffers the test fills, its output read back.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requireGpu, exitWhenDone, loadModuleFactory } from './env.mjs';
import { fromF16 } from '../../bench/common.mjs';

export const K = { embedLayerNorm: 0, layerNorm: 1, matmul: 2, attention: 3, gelu: 4, residualAdd: 5, pooling: 6, l2: 7,
                   matmulSmall: 8, rotary: 9, gated: 10, rmsNorm: 11, matmulSmallLongK: 12 };
let M;
let adapter = '';

// Registers the harness's set-up and tear-down in the calling test file.
export function useOpsHarness() {
  before(async () => {
    const { gpu, driver } = await requireGpu();
    const create = await loadModuleFactory('gpuembed_ops.mjs');
    M = await create({ gpu, gpuembedSubgroupMatrix: true });  // every kernel the device can run (matmul_sgmat.wgsl)
    M._ops_init();
    while (M._ops_state() === 0) await M.gpuembedWait();
    adapter = `${driver}: ${M.UTF8ToString(M._ops_message())}`;
    assert.equal(M._ops_state(), 1, `no WebGPU device: ${M.UTF8ToString(M._ops_message())}`);
    console.log(`# ops harness on ${adapter}`);
  });
  exitWhenDone(after);
}

export const randArray = (r, n, scale = 1, offset = 0) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale + offset);

// Bits of the harness device: 1 'shader-f16', 2 the subgroup-matrix feature (matmul_sgmat.wgsl).
export const deviceFeatures = () => M._ops_features();
export const PRECISION = { fp32: 0, fp16: 1, fp16SubgroupMatrix: 2 };

// params: array of ['u', v] / ['f', v]; inputs: typed arrays; returns Float32Array of outFloats (the output's
// bytes: an f16 output of n values is ceil(n / 2) floats, see runF16). precision: PRECISION.*.
export async function run(kernel, params, inputs, outFloats, grid, headDim = 64, precision = 0) {
  const pb = M._malloc(Math.max(4, params.length * 4));
  const dv = new DataView(M.HEAPU8.buffer);
  params.forEach(([t, v], i) => (t === 'f' ? dv.setFloat32(pb + 4 * i, v, true) : dv.setUint32(pb + 4 * i, v, true)));
  const ptrs = M._malloc(4 * inputs.length);
  const sizes = M._malloc(4 * inputs.length);
  const allocs = [pb, ptrs, sizes];
  inputs.forEach((arr, i) => {
    const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    const p = M._malloc(Math.max(4, bytes.length));
    allocs.push(p);
    M.HEAPU8.set(bytes, p);
    M.HEAPU32[(ptrs >> 2) + i] = p;
    M.HEAPU32[(sizes >> 2) + i] = bytes.length;
  });
  const rc = M._ops_run(kernel, pb, params.length, ptrs, sizes, inputs.length, outFloats * 4, grid[0], grid[1], grid[2], headDim,
                        precision);
  assert.equal(rc, 0, M.UTF8ToString(M._ops_message()));
  while (M._ops_poll() === 1) await M.gpuembedWait();
  const out = M._malloc(Math.max(4, outFloats * 4));
  allocs.push(out);
  assert.equal(M._ops_read(out), 0, `kernel ${kernel} failed: ${M.UTF8ToString(M._ops_message())}`);
  const res = M.HEAPF32.slice(out >> 2, (out >> 2) + outFloats);
  allocs.forEach((p) => M._free(p));
  return res;
}

export function check(name, got, want, tol, { rel = 0, mask = null } = {}) {
  let max = 0, at = -1;
  for (let i = 0; i < want.length; ++i) {
    if (mask && !mask(i)) continue;
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= tol + rel * Math.abs(want[i]))) assert.fail(`${name}: element ${i} got ${got[i]} want ${want[i]} (|err| ${e})`);
    if (e > max) { max = e; at = i; }
  }
  console.log(`#   ${name}: max |err| ${max.toExponential(2)}${at >= 0 ? ` at ${at}` : ''}`);
  return max;
}

export const grid1 = (n) => [Math.min(n, 65535), Math.ceil(n / Math.min(n, 65535)), 1];

// run() for a kernel whose output is f16 (`act` of the fp16 path): n output values; returns them as numbers.
export async function runF16(kernel, params, inputs, n, grid, headDim = 64, precision = PRECISION.fp16) {
  const raw = await run(kernel, params, inputs, Math.ceil(n / 2), grid, headDim, precision);
  return Array.from(new Uint16Array(raw.buffer, raw.byteOffset, n), fromF16);
}

// The attention kernel of later runs (kernels.h AttentionChoice): mode 0 the engine's choice, 1 attention.wgsl,
// 2 attention_tiled.wgsl; lanes: the tiled kernel's invocations per query (0: its default).
export const ATTENTION = { auto: 0, simple: 1, tiled: 2 };
export function setAttention(mode, lanes = 0) { M._ops_set_attention(mode, lanes); }
// { kernel: the WGSL file, queries: per workgroup } that the harness runs for head dimension D.
export function attentionKernel(D, precision = 0) {
  const queries = M._ops_attention_queries(D, precision);
  assert.ok(queries > 0, M.UTF8ToString(M._ops_message()));
  return { kernel: M.UTF8ToString(M._ops_message()), queries };
}
export const attentionGrid = (S, NH, B, D, precision = 0) =>
  [Math.ceil(S / attentionKernel(D, precision).queries), NH, B];

// Shared set-up of the JS API tests (tests/js): paths and WebGPU-in-Node come from tests/wasm/env.mjs (the WASM
// engineer's), plus the public API with the module of $GPUEMBED_WASM_BUILD, golden comparisons, a local HTTP
// server and a GPU wrapper that counts live GPU buffers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildDir, requireBuild, requireModels, readGolden, nodeGpu, requireGpu, adapterHasF16, exitWhenDone, root, sharedDir,
  slow } from '../wasm/env.mjs';
import { gpuWithDeviceHook } from '../wasm/gpu_wrappers.mjs';
import { GpuEmbedder, GpuEmbedderError } from '../../js/gpuembed.mjs';

export { buildDir, requireModels, readGolden, nodeGpu, requireGpu, adapterHasF16, exitWhenDone, root, sharedDir, slow,
  GpuEmbedder, GpuEmbedderError };

// Debian's chromium for the browser tests (playwright-core drives it); flags from ../shared/notes/toolchain.md.
export const CHROMIUM = process.env.GPUEMBED_CHROMIUM || ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((p) => fs.existsSync(p));
export const CHROMIUM_ARGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export const moduleUrl = () => pathToFileURL(requireBuild('gpuembed.mjs'));
export const modelDir = (name) => path.join(requireModels(), name);

export function create(options = {}) {
  return GpuEmbedder.create({ moduleUrl: moduleUrl(), ...options });
}

// create() through a factory wrapper that keeps the Emscripten module instance, for heap probes.
export async function createWithModule(options = {}) {
  const factory = (await import(moduleUrl().href)).default;
  let M;
  const e = await GpuEmbedder.create({ ...options, factory: (o) => factory(o).then((m) => (M = m)) });
  return { e, M: () => M };
}

// The end of the highest block in use on the WASM heap (dlmalloc): a block larger than any free block inside the
// heap is placed at the top. Stable across load/dispose cycles <=> nothing accumulates (the heap's size alone can
// grow once from fragmentation). Grows the heap: call it only where the heap size no longer matters.
export function heapTop(M) {
  const p = M._malloc(M.HEAPU8.length);
  assert.ok(p, 'probe allocation failed');
  M._free(p);
  return p;
}

// Rows (Float32Array[]) against golden sentences: prints and returns the max abs error and max relative L2 error.
export function compareRows(label, rows, sentences, tol = 1e-4) {
  assert.equal(rows.length, sentences.length, `${label}: ${rows.length} rows for ${sentences.length} sentences`);
  let maxAbs = 0, maxRel = 0, worst = -1;
  rows.forEach((r, i) => {
    const ref = sentences[i].embedding;
    assert.ok(r instanceof Float32Array, `${label}: row ${i} is not a Float32Array`);
    assert.equal(r.length, ref.length, `${label}: row ${i} has ${r.length} values, golden ${ref.length}`);
    let d2 = 0, n2 = 0;
    for (let j = 0; j < ref.length; ++j) {
      assert.ok(Number.isFinite(r[j]), `${label}: row ${i} has a non-finite value`);
      const e = Math.abs(r[j] - ref[j]);
      if (e > maxAbs) { maxAbs = e; worst = i; }
      d2 += e * e;
      n2 += ref[j] * ref[j];
    }
    maxRel = Math.max(maxRel, Math.sqrt(d2 / Math.max(n2, 1e-30)));
  });
  console.log(`# ${label}: ${rows.length} sentences, max |err| ${maxAbs.toExponential(3)}` +
              `${worst >= 0 ? ` (sentence ${worst})` : ''}, max rel L2 ${maxRel.toExponential(3)}`);
  assert.ok(maxAbs <= tol, `${label}: max abs error ${maxAbs} > ${tol} (sentence ${worst})`);
  assert.ok(maxRel <= 1e-4, `${label}: relative L2 error ${maxRel} > 1e-4`);
  return { maxAbs, maxRel };
}

export function maxDiff(a, b) {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; ++i) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export async function timed(label, f) {
  const t0 = performance.now();
  const r = await f();
  console.log(`# ${label}: ${(performance.now() - t0).toFixed(0)} ms`);
  return r;
}

// A GPU object (npm webgpu's) whose devices count their live buffers (created and not destroyed). Only adds
// bookkeeping around the real objects; every call goes to Dawn.
export function countingGpu(gpu) {
  // live: buffers created and neither destroyed nor on a destroyed device (destroying a device frees its buffers)
  // lost: every device's `lost` promise (a test can wait until the losses are reported before it measures memory)
  const stats = { created: 0, destroyed: 0, devices: 0, devicesDestroyed: 0, live: new Set(), lost: [] };
  const wrapped = gpuWithDeviceHook(gpu, (device) => {
    stats.devices++;
    stats.lost.push(device.lost);
    const mine = new Set();
    const createBuffer = device.createBuffer.bind(device);
    device.createBuffer = (d) => {
      const b = createBuffer(d);
      stats.created++;
      stats.live.add(b);
      mine.add(b);
      const destroy = b.destroy.bind(b);
      b.destroy = () => { if (stats.live.delete(b)) stats.destroyed++; destroy(); };
      return b;
    };
    const destroyDevice = device.destroy.bind(device);
    device.destroy = () => {
      stats.devicesDestroyed++;
      for (const b of mine) stats.live.delete(b);
      destroyDevice();
    };
  });
  return { gpu: wrapped, stats };
}

// Resolves once every device made through countingGpu() has reported its loss (destroy() in dispose() reports it
// asynchronously) and the event loop has run the handlers: then no per-device state should remain. Rejects after
// `ms` milliseconds rather than hang.
export async function devicesSettled(stats, ms = 20000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`device.lost not reported within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([Promise.all(stats.lost), timeout]);
  } finally {
    clearTimeout(timer);
  }
  await new Promise((r) => setImmediate(r));
}

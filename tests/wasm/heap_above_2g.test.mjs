// Heap addresses at and above 2 GiB. Both modules are linked with -sMAXIMUM_MEMORY=4294967296 (cmake/wasm.cmake's
// GPUEMBED_WASM_LINK_FLAGS, which cmake/wasm_threads.cmake reuses for gpuembed-mt), and a model of Qwen3-0.6B's size
// (2.4 GB of weights) puts its buffers there. Pointers reach JS as signed i32, so an address >= 2^31 is negative in
// JS unless every place that takes one unsigns it: src/wasm/core.mjs, the WebGPU glue and its overrides
// (src/wasm/webgpu_compat.js, threads/webgpu_threads.js).
// Here one instance of each module first holds blocks up to 2 GiB + 64 MiB (never touched: the pages stay unbacked,
// so the process's resident memory barely grows) and fills the free holes below 2 GiB, so that every later
// allocation lands above 2 GiB; then the same calls as on a fresh instance of the same module must give the same
// results: token ids, embeddings and token embeddings on the WASM CPU path (bit-identical), the CPU vector index
// (add, rows, search, normalize, save + load), and on WebGPU (skipped without an adapter, as the other WebGPU tests):
// embeddings, hidden states, gpuStats(), the GPU vector index.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { nodeGpu, loadModuleFactory, readModelFiles, requireModels, maxAbsDiff } from './env.mjs';
import { GpuEmbedCore, CoreIndex, CoreGpuIndex } from '../../src/wasm/core.mjs';

const TWO_GIB = 2 ** 31;
const MODEL = 'tiny-bert-cls';
const TEXTS = ['A man is eating food.', 'The quick brown fox jumps over the lazy dog.', 'Paris is the capital of France.',
               'naïve café — ünïcödé 日本語 text', ''];

let gpu = null, why = '', files;
before(async () => {
  requireModels();
  files = readModelFiles(path.join(requireModels(), MODEL));
  const g = await nodeGpu();
  gpu = g.gpu;
  why = g.why || '';
});

// Makes every allocation after it land at or above 2 GiB: blocks of 512 MiB until one ends past 2 GiB + 64 MiB (the
// heap grows to hold them), then the free holes below 2 GiB taken, largest first. Returns the blocks held (release()
// frees them).
function pushHeapAbove2G(M, label) {
  const heap0 = M.HEAPU8.length;
  const held = [];
  // (not in one block: dlmalloc refuses a single request of 2 GiB or more)
  for (let end = 0; end < TWO_GIB + (64 << 20);) {
    const p = M._malloc(512 << 20) >>> 0;
    assert.ok(p, `${label}: malloc of 512 MiB failed with a heap of ${M.HEAPU8.length} bytes (${heap0} at the ` +
                 'start): the module cannot grow past 2 GiB (its -sMAXIMUM_MEMORY, cmake/wasm.cmake, must be 4294967296)');
    held.push(p);
    end = Math.max(end, p + (512 << 20));
  }
  for (let size = 1 << 24; size >= 8; size >>= 2) {
    for (;;) {
      const p = M._malloc(size) >>> 0;
      assert.ok(p, `${label}: malloc(${size}) failed`);
      if (p >= TWO_GIB) { M._free(p); break; }
      held.push(p);
    }
  }
  const probe = M._malloc(4) >>> 0;
  M._free(probe);
  assert.ok(probe >= TWO_GIB, `${label}: a small block still lands at ${probe}`);
  assert.ok(M.HEAPU8.length > TWO_GIB, `${label}: heap ${M.HEAPU8.length} bytes`);
  console.log(`# ${label}: heap ${heap0} -> ${M.HEAPU8.length} bytes, ${held.length} blocks held, next block at ` +
              `0x${probe.toString(16)}`);
  return held;
}
function release(M, held) { for (const p of held) M._free(p); }

// Every CPU-side result the test compares, of one core.
function cpuResults(core) {
  const m = core.loadModel(files);
  try {
    const ids = TEXTS.map((t) => m.tokenize(t));
    const rows = m.embedCpu(TEXTS);
    const hidden = m.hiddenCpu(TEXTS[1]);
    const index = CoreIndex.create(core, m.dimension);
    index.add(rows.subarray(0, 4 * m.dimension));
    const stored = index.rows(0, 4);
    const hits = index.search(rows.subarray(m.dimension, 3 * m.dimension), 2, 3);
    const norm = index.normalized(rows.subarray(0, 2 * m.dimension), 2);
    const saved = index.save('f32');
    const reloaded = CoreIndex.load(core, saved);
    const again = reloaded.search(rows.subarray(0, m.dimension), 1, 4);
    const reloadedRows = reloaded.rows(0, 4);
    return { ids, rows, hidden, stored, hits, norm, saved, again, reloadedRows, dim: m.dimension };
  } finally {
    m.free();
  }
}

// The WebGPU results of one core.
async function gpuResults(core, dim) {
  const m = core.loadModel(files);
  try {
    await m.initGpu();
    const rows = await m.embedGpu(TEXTS);
    const hidden = await m.hiddenGpu(TEXTS[1]);
    const stats = m.gpuStats();
    const g = await CoreGpuIndex.create(core, dim);
    try {
      const idx = CoreIndex.create(core, dim);
      idx.add(rows.subarray(0, 4 * dim));
      const normRows = idx.rows(0, 4);
      g.add(normRows);
      const queries = idx.normalized(rows.subarray(dim, 3 * dim), 2);
      const hits = await g.search(queries, 2, 3);
      return { rows, hidden, stats, hits, size: g.size };
    } finally {
      g.free();
    }
  } finally {
    m.free();
  }
}

function sameCpu(label, got, ref) {
  assert.equal(got.ids.length, ref.ids.length);
  got.ids.forEach((ids, i) => assert.deepEqual(Array.from(ids), Array.from(ref.ids[i]), `${label}: token ids of text ${i}`));
  for (const k of ['rows', 'hidden', 'stored', 'norm', 'saved', 'reloadedRows']) {
    assert.deepEqual(got[k], ref[k], `${label}: ${k} differ from the fresh module's`);
  }
  for (const k of ['hits', 'again']) {
    assert.equal(got[k].kk, ref[k].kk);
    assert.deepEqual(got[k].scores, ref[k].scores, `${label}: ${k} scores`);
    assert.deepEqual(got[k].ids, ref[k].ids, `${label}: ${k} ids`);
  }
  let finite = true;
  for (const v of got.rows) finite &&= Number.isFinite(v);
  assert.ok(finite, `${label}: non-finite embedding values`);
}

function sameGpu(label, got, ref, cpu) {
  const dRows = maxAbsDiff(got.rows, ref.rows), dHidden = maxAbsDiff(got.hidden, ref.hidden);
  const dCpu = maxAbsDiff(got.rows, cpu.rows);
  console.log(`# ${label}: WebGPU above 2 GiB vs fresh module: embeddings max |diff| ${dRows}, hidden ${dHidden}; ` +
              `vs the CPU path ${dCpu.toExponential(3)}`);
  assert.equal(got.rows.length, ref.rows.length);
  assert.equal(got.hidden.length, ref.hidden.length);
  // the same kernels on the same adapter: the tolerance of the WebGPU golden tests, against the fresh module and
  // the CPU path
  assert.ok(dRows <= 1e-4 && dHidden <= 1e-4, `${label}: WebGPU rows differ from the fresh module's by ${dRows} / ${dHidden}`);
  assert.ok(dCpu <= 1e-4, `${label}: WebGPU rows differ from the CPU path's by ${dCpu}`);
  assert.equal(got.stats.weight_bytes, ref.stats.weight_bytes);
  assert.equal(got.stats.live_buffers, ref.stats.live_buffers, `${label}: live WebGPU buffers`);
  assert.equal(got.stats.live_buffer_bytes, ref.stats.live_buffer_bytes, `${label}: live WebGPU buffer bytes`);
  assert.equal(got.stats.last_job_passes.length, ref.stats.last_job_passes.length);
  for (const p of got.stats.last_job_passes) {
    assert.equal(p.texts, 1, `${label}: pass log ${JSON.stringify(p)}`);
    assert.ok(Number.isFinite(p.seq) && p.seq > 0, `${label}: pass log ${JSON.stringify(p)}`);
  }
  assert.equal(got.size, 4);
  assert.deepEqual(got.hits.ids, ref.hits.ids, `${label}: GPU index ids`);
  assert.ok(maxAbsDiff(got.hits.scores, ref.hits.scores) <= 1e-6, `${label}: GPU index scores`);
}

// Per module: a fresh instance (the reference) and one with the heap pushed above 2 GiB, made by the first test
// that needs them; freed (and the threaded module's workers ended) after the file.
const instances = new Map();
function pair(name, threads) {
  if (!instances.has(name)) {
    instances.set(name, (async () => {
      const factory = await loadModuleFactory(name);
      const ref = await GpuEmbedCore.create(factory, { threads, gpu });
      const high = await GpuEmbedCore.create(factory, { threads, gpu });
      const held = pushHeapAbove2G(high.M, name);
      return { ref, high, held, refCpu: null };
    })());
  }
  return instances.get(name);
}
after(async () => {
  for (const p of instances.values()) {
    const { ref, high, held } = await p;
    release(high.M, held);
    for (const c of [ref, high]) c.M.gpuembedTerminate?.();
  }
  setImmediate(() => process.exit(process.exitCode ?? 0));  // Dawn keeps Node's event loop alive
});

for (const [name, threads] of [['gpuembed.mjs', 1], ['gpuembed-mt.mjs', 2]]) {
  test(`${name}: WASM CPU path with every allocation above 2 GiB = a fresh instance (bit-identical)`, async () => {
    const p = await pair(name, threads);
    p.refCpu = cpuResults(p.ref);
    sameCpu(name, cpuResults(p.high), p.refCpu);
  });

  test(`${name}: WebGPU with every allocation above 2 GiB = a fresh instance`, async (t) => {
    if (!gpu) return t.skip(why);
    const p = await pair(name, threads);
    p.refCpu ??= cpuResults(p.ref);
    const ref = await gpuResults(p.ref, p.refCpu.dim);
    sameGpu(name, await gpuResults(p.high, p.refCpu.dim), ref, p.refCpu);
  });
}

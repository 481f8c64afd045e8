// Sustained load on the public JS API (reliability issue 7): many `embed` calls, 64 in flight at any time, mixed
// texts (short, long and truncated, unicode, empty, whitespace, a lone surrogate), on the WASM CPU path and on WebGPU.
// Every result must be bit for bit the text's single-call value on the same backend (computed first, one call at a
// time, which also warms up the buffers), and after that warm-up the memory must be flat: the WASM heap's size, the
// memory in use on it (top of the used heap, tests/js/helpers.mjs heapTop), the WebGPU buffers the module holds
// (count and bytes, memoryInfo().gpuBuffers: counted in the module's WebGPU glue), the live buffers counted on the
// real Dawn device, and the activation buffer bytes.
//
// Default run: 10,000 calls on the CPU path; 96 on WebGPU, because the software adapter of the test machine
// (lavapipe) takes 0.2–0.4 s per call for tiny-bert-cls; GPUEMBED_SLOW=1 runs the full 10,000 on WebGPU too.
// Also a script for other machines (prints the figures; GPUEMBED_VK=system picks the machine's Vulkan driver):
//   GPUEMBED_VK=system GPUEMBED_LOAD_CALLS=10000 node tests/js/load.test.mjs
// Environment: GPUEMBED_LOAD_CALLS (calls per backend), GPUEMBED_LOAD_BACKENDS (cpu,webgpu), GPUEMBED_LOAD_MODEL
// (tiny-bert-cls; e.g. minilm-l6-random), GPUEMBED_LOAD_CONCURRENCY (64), GPUEMBED_LOAD_JSON (write the figures to
// this file), GPUEMBED_WASM_BUILD (the build folder).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createWithModule, heapTop, modelDir, nodeGpu, countingGpu, slow, exitWhenDone } from './helpers.mjs';

const env = process.env;
const MODEL = env.GPUEMBED_LOAD_MODEL || 'tiny-bert-cls';
const CONCURRENCY = Number(env.GPUEMBED_LOAD_CONCURRENCY || 64);
const BACKENDS = (env.GPUEMBED_LOAD_BACKENDS || 'cpu,webgpu').split(',').map((s) => s.trim()).filter(Boolean);
const CALLS = {
  cpu: Number(env.GPUEMBED_LOAD_CALLS || 10000),
  webgpu: Number(env.GPUEMBED_LOAD_CALLS || (slow ? 10000 : 96)),
};
const SAMPLES = 10;  // memory samples during the run
const figures = {};

let gpu, driver;
before(async () => {
  const g = await nodeGpu();
  gpu = g.gpu;
  driver = g.driver || g.why;
});
after(() => {
  if (env.GPUEMBED_LOAD_JSON) fs.writeFileSync(env.GPUEMBED_LOAD_JSON, JSON.stringify(figures, null, 2) + '\n');
});
exitWhenDone(after);

// Deterministic text pool: `n` distinct texts of every kind.
function textPool(n) {
  const words = ('the a river stone morning quiet market engine paper silver garden window thunder candle harbor ' +
                 'running jumped quickly over under between because although tomorrow yesterday').split(' ');
  const unicode = ['東京は今日も晴れています', 'Ünïcödé façade naïve café', '🙂🚀 emoji and text 👍🏽', 'Привет, мир',
                   'مرحبا بالعالم', 'e\u0301 combining accents a\u0308', 'ﬁ ligature ＦＵＬＬＷＩＤＴＨ', 'ελληνικά κείμενα'];
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const sentence = (len) => Array.from({ length: len }, () => words[Math.floor(rnd() * words.length)]).join(' ');
  const fixed = ['', ' ', '\n\t  ', 'a', 'x '.repeat(400), '\ud800 lone surrogate', unicode.join(' ').repeat(20)];
  const out = [...fixed];
  for (let i = 0; out.length < n; ++i) {
    const kind = i % 4;
    if (kind === 0) out.push(`${sentence(3 + (i % 9))} ${i}`);                        // short
    else if (kind === 1) out.push(`${sentence(40 + (i * 13) % 300)} ${i}`);           // long, some truncated
    else if (kind === 2) out.push(`${unicode[i % unicode.length]} ${sentence(2 + i % 5)} ${i}`);
    else out.push(`${sentence(10 + i % 20)}. ${unicode[(i * 3) % unicode.length]}!? ${i}`);
  }
  return out.slice(0, n);
}

const bytesOf = (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

async function loadRun(t, backend) {
  const calls = CALLS[backend];
  if (!(calls > 0)) return t.skip(`0 calls on ${backend}`);
  if (backend === 'webgpu' && !gpu) return t.skip(`no WebGPU in Node here: ${driver}`);
  const counted = backend === 'webgpu' ? countingGpu(gpu) : null;
  const { e, M } = await createWithModule({ backend, ...(counted ? { gpu: counted.gpu } : {}) });
  await e.loadModel(modelDir(MODEL));
  assert.equal(e.backend, backend);
  const dawnLive = () => (counted ? counted.stats.live.size : 0);

  // single-call values, one call at a time (the warm-up: the longest texts size every buffer)
  const pool = textPool(backend === 'cpu' ? 200 : 24);
  const t0 = performance.now();
  const ref = [];
  for (const s of pool) ref.push(bytesOf(await e.embed(s)));
  const refMs = performance.now() - t0;
  const warm = e.memoryInfo();
  const warmDawn = dawnLive();
  const top0 = heapTop(M());
  const heap0 = M().HEAPU8.length;  // after the probe grew it

  const samples = [];
  const sample = (done, ms) => {
    const m = e.memoryInfo();
    samples.push({ calls: done, s: +(ms / 1000).toFixed(1), heap: m.wasmHeapBytes, gpuBuffers: m.gpuBuffers,
                   gpuBufferBytes: m.gpuBufferBytes, dawnLive: dawnLive(), activation: m.gpuActivationBytes });
  };
  // calls in flight: CONCURRENCY workers, each awaiting its call before issuing the next one
  let next = 0, done = 0, mismatches = 0, firstMismatch = null;
  const pick = (i) => (i * 2654435761) % pool.length;  // every text many times, in a scrambled order
  const t1 = performance.now();
  sample(0, 0);
  const worker = async () => {
    while (next < calls) {
      const i = next++;
      const k = pick(i);
      const v = await e.embed(pool[k]);
      if (!bytesOf(v).equals(ref[k])) {
        mismatches++;
        firstMismatch ??= `call ${i} (text ${k}: ${JSON.stringify(pool[k].slice(0, 40))})`;
      }
      if (++done % Math.ceil(calls / SAMPLES) === 0 || done === calls) sample(done, performance.now() - t1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, calls) }, worker));
  const ms = performance.now() - t1;
  const end = e.memoryInfo();
  const heapEnd = M().HEAPU8.length;
  const top1 = heapTop(M());

  const f = {
    model: MODEL, backend, adapter: e.modelInfo.adapter, driver: backend === 'webgpu' ? driver : undefined,
    calls, concurrency: CONCURRENCY, distinctTexts: pool.length, wallSeconds: +(ms / 1000).toFixed(2),
    callsPerSecond: +(calls / (ms / 1000)).toFixed(1), singleCallWarmupSeconds: +(refMs / 1000).toFixed(2), mismatches,
    wasmHeapBytes: { afterWarmup: warm.wasmHeapBytes, afterProbe: heap0, end: heapEnd },
    heapTopBytes: { afterWarmup: top0, end: top1 },
    gpuBuffers: { afterWarmup: warm.gpuBuffers, end: end.gpuBuffers },
    gpuBufferBytes: { afterWarmup: warm.gpuBufferBytes, end: end.gpuBufferBytes },
    dawnLiveBuffers: { afterWarmup: warmDawn, end: dawnLive() },
    gpuActivationBytes: { afterWarmup: warm.gpuActivationBytes, end: end.gpuActivationBytes },
    samples,
  };
  figures[backend] = f;
  console.log(`# load ${backend} (${MODEL}${f.adapter ? `, ${f.adapter}` : ''}): ${calls} embed calls, ${CONCURRENCY} in flight, ` +
              `${pool.length} distinct texts: ${f.wallSeconds} s (${f.callsPerSecond} calls/s); single-call values first: ${f.singleCallWarmupSeconds} s`);
  console.log(`# load ${backend}: mismatches ${mismatches}; WASM heap ${warm.wasmHeapBytes} B after warm-up, ${heapEnd} B at the end ` +
              `(${heap0} B after the probe); top of used heap ${top0} -> ${top1} B; GPU buffers held by the module ` +
              `${warm.gpuBuffers} -> ${end.gpuBuffers} (${warm.gpuBufferBytes} -> ${end.gpuBufferBytes} B); live on the Dawn device ` +
              `${warmDawn} -> ${dawnLive()}; activation bytes ${warm.gpuActivationBytes} -> ${end.gpuActivationBytes}`);
  for (const s of samples) {
    console.log(`#   after ${String(s.calls).padStart(6)} calls, ${String(s.s).padStart(6)} s: heap ${s.heap} B, GPU buffers ` +
                `${s.gpuBuffers} (${s.gpuBufferBytes} B), Dawn live ${s.dawnLive}, activation ${s.activation} B`);
  }

  assert.equal(done, calls);
  assert.equal(mismatches, 0, `${mismatches} results differ from their single-call value, first: ${firstMismatch}`);
  assert.equal(e.backend, backend, 'the backend changed during the run');
  // flat after the warm-up: every sample equals the state after the warm-up (the heap size as grown by the probe)
  for (const s of samples) {
    assert.equal(s.heap, heap0, `WASM heap grew to ${s.heap} B after ${s.calls} calls`);
    assert.equal(s.gpuBuffers, warm.gpuBuffers, `GPU buffers ${s.gpuBuffers} after ${s.calls} calls`);
    assert.equal(s.gpuBufferBytes, warm.gpuBufferBytes, `GPU buffer bytes ${s.gpuBufferBytes} after ${s.calls} calls`);
    assert.equal(s.dawnLive, warmDawn, `live Dawn buffers ${s.dawnLive} after ${s.calls} calls`);
    assert.equal(s.activation, warm.gpuActivationBytes, `activation bytes ${s.activation} after ${s.calls} calls`);
  }
  // Memory in use on the heap: nothing may accumulate. The top of the used heap is the end of the highest block in
  // use; a per-call leak of even 1 byte would move it by >= 10 KB over 10,000 calls. Bound: 0 bytes.
  assert.equal(top1, top0, `memory in use on the WASM heap grew by ${top1 - top0} B over ${calls} calls`);
  if (backend === 'webgpu') assert.ok(warm.gpuBuffers > 0 && warmDawn > 0);
  await e.dispose();
  if (counted) assert.equal(counted.stats.live.size, 0, 'GPU buffers left after dispose()');
}

test(`sustained load on the WASM CPU path: ${CALLS.cpu} embed calls, ${CONCURRENCY} in flight`, { skip: !BACKENDS.includes('cpu') },
     (t) => loadRun(t, 'cpu'));
test(`sustained load on WebGPU: ${CALLS.webgpu} embed calls, ${CONCURRENCY} in flight`, { skip: !BACKENDS.includes('webgpu') },
     (t) => loadRun(t, 'webgpu'));

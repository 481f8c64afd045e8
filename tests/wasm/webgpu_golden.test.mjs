// The WebGPU path (every layer in WGSL) against tests/golden, in Node with Dawn on a software Vulkan driver:
// the whole tiny-bert-cls set, and a MiniLM subset with a truncated 256-token text (the whole set with
// GPUEMBED_SLOW=1). Also: batch independence, buffer reuse, device loss -> DEVICE_LOST with the CPU path still
// answering, release + re-init.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { nodeGpu, requireGpu, exitWhenDone, loadModuleFactory, readModelFiles, readGolden, requireModels, slow, maxAbsDiff } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { compareEmbeddings, compareMatrix } from './golden_util.mjs';

let core, driver;
const models = {};
before(async () => {
  requireModels();
  const g = await requireGpu();
  driver = g.driver;
  core = await GpuEmbedCore.create(await loadModuleFactory(), { gpu: g.gpu });
});
after(() => { for (const m of Object.values(models)) m.free(); });
exitWhenDone(after);

async function gpuModel(name) {
  if (!models[name]) {
    const m = core.loadModel(readModelFiles(path.join(requireModels(), name)));
    const adapter = await m.initGpu();
    console.log(`# ${name}: WebGPU on ${driver}: ${adapter}`);
    models[name] = m;
  }
  return models[name];
}

async function timed(label, f) {
  const t0 = performance.now();
  const r = await f();
  console.log(`# ${label}: ${(performance.now() - t0).toFixed(0)} ms`);
  return r;
}

test('WebGPU: tiny-bert-cls golden (all sentences)', async () => {
  const g = readGolden('tiny-bert-cls');
  const m = await gpuModel('tiny-bert-cls');
  const got = await timed(`tiny-bert-cls WebGPU ${g.sentences.length} sentences`, () => m.embedGpu(g.sentences.map((s) => s.text)));
  compareEmbeddings('tiny-bert-cls WebGPU', got, g.sentences, g.dim);
});

test(`WebGPU: minilm-l6-random golden (${slow ? 'all sentences' : 'subset with a truncated 256-token text'})`, async () => {
  const g = readGolden('minilm-l6-random');
  const m = await gpuModel('minilm-l6-random');
  const long = g.sentences.findIndex((s) => s.input_ids.length === g.max_seq_length);
  assert.ok(long >= 0);
  const pick = slow ? g.sentences.map((_, i) => i) : [long, 0, 18, 24, 33, 42, 79];
  const sents = pick.map((i) => g.sentences[i]);
  // the long text alone (so the short ones are not padded to 256 on a slow software adapter), then the rest batched
  const parts = slow ? [sents] : [sents.slice(0, 1), sents.slice(1)];
  const got = new Float32Array(sents.length * g.dim);
  let at = 0;
  for (const part of parts) {
    const r = await timed(`minilm WebGPU ${part.length} sentences (longest ${Math.max(...part.map((s) => s.input_ids.length))} tokens)`,
                          () => m.embedGpu(part.map((s) => s.text)));
    got.set(r, at);
    at += r.length;
  }
  compareEmbeddings('minilm-l6-random WebGPU', got, sents, g.dim);
});

test('WebGPU: hidden states of sentence 0 vs golden (every token, last layer)', async () => {
  const g = readGolden('minilm-l6-random');
  const m = await gpuModel('minilm-l6-random');
  const hs = g.hidden_states_first_sentence;
  const got = await m.hiddenGpu(hs.text);
  compareMatrix('minilm WebGPU last hidden state, sentence 0', got, hs.hidden_states[hs.hidden_states.length - 1]);
});

test('WebGPU: batch independence, input order, buffer reuse', async () => {
  const g = readGolden('tiny-bert-cls');
  const m = await gpuModel('tiny-bert-cls');
  const texts = g.sentences.slice(0, 12).map((s) => s.text);
  const batched = await m.embedGpu(texts);
  const before = m.gpuStats().activation_bytes;
  for (const i of [0, 5, 11]) {
    const one = await m.embedGpu([texts[i]]);
    const d = maxAbsDiff(one, batched.subarray(i * g.dim, (i + 1) * g.dim));
    assert.ok(d < 1e-5, `sentence ${i} alone vs in a batch differs by ${d}`);
  }
  const reversed = await m.embedGpu([...texts].reverse());
  for (let i = 0; i < texts.length; ++i) {
    const d = maxAbsDiff(reversed.subarray((texts.length - 1 - i) * g.dim, (texts.length - i) * g.dim),
                         batched.subarray(i * g.dim, (i + 1) * g.dim));
    assert.ok(d < 1e-5, `order: sentence ${i} differs by ${d}`);
  }
  assert.equal(m.gpuStats().activation_bytes, before, 'activation buffers grew for smaller batches');
  // Kernel parameters are uploaded only where they differ from the previous pass's: a repeated request uploads none,
  // a request of another shape in between uploads some and must not leave stale parameters for the next one.
  const uploaded = () => m.gpuStats().counters.uniform_bytes_uploaded;
  const bySize = [...texts].sort((x, y) => x.length - y.length);
  const [a, b] = [bySize[0], bySize[bySize.length - 1]];
  const a1 = await m.embedGpu([a]);
  const u0 = uploaded();
  const a2 = await m.embedGpu([a]);
  assert.equal(uploaded(), u0, 'a repeated request uploaded parameters again');
  assert.deepEqual(a2, a1);
  const b1 = await m.embedGpu([b]);
  assert.ok(uploaded() > u0, 'a request of another length uploaded no parameters');
  assert.ok(maxAbsDiff(b1, batched.subarray(texts.indexOf(b) * g.dim, (texts.indexOf(b) + 1) * g.dim)) < 1e-5);
  assert.deepEqual(await m.embedGpu([a]), a1);
  assert.equal((await m.embedGpu([])).length, 0);
});

test('WebGPU: device loss is reported as DEVICE_LOST; the CPU path still answers; re-init works', async () => {
  const g = readGolden('tiny-bert-cls');
  const m = core.loadModel(readModelFiles(path.join(requireModels(), 'tiny-bert-cls')));
  try {
    await m.initGpu();
    const texts = g.sentences.slice(0, 3).map((s) => s.text);
    const first = await m.embedGpu(texts);
    // destroyed while a request is in flight
    const pending = m.embedGpu(texts);
    m.destroyGpuDevice();
    await assert.rejects(pending, (e) => e.code === 'DEVICE_LOST' || (console.log('# in-flight:', e.code, e.message), false));
    await assert.rejects(m.embedGpu(texts), { code: 'DEVICE_LOST' });
    assert.equal(m.gpuState(), -5);
    const cpu = m.embedCpu(texts);  // the fallback answers the same request
    assert.ok(maxAbsDiff(cpu, first) < 1e-5);
    await m.initGpu();  // a new device
    const again = await m.embedGpu(texts);
    assert.ok(maxAbsDiff(again, first) < 1e-6);
    m.releaseGpu();
    assert.equal(m.gpuState(), 0);
  } finally {
    m.free();
  }
});

test('WebGPU: a device that is already destroyed -> initGpu rejects with DEVICE_LOST (never "ready")', async () => {
  const { gpu } = await nodeGpu();
  const device = await (await gpu.requestAdapter()).requestDevice();
  device.destroy();
  const core2 = await GpuEmbedCore.create(await loadModuleFactory(), { device });
  const m = core2.loadModel(readModelFiles(path.join(requireModels(), 'tiny-bert-cls')));
  try {
    await assert.rejects(m.initGpu(), (e) => e.code === 'DEVICE_LOST' && /destroyed/.test(e.message));
    assert.equal(m.embedCpu(['still answers']).length, m.dimension);
  } finally {
    m.free();
  }
});

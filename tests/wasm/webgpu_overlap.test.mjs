// The WebGPU job's overlap (api/job.h: the next pass recorded while the device runs the previous one, full buckets
// cut into a few passes) against the same module with the overlap off (one pass at a time, none cut), bit for
// bit, on the software adapter: many pass counts and texts of mixed lengths, an out-of-memory failure in the second
// pass, and a device lost while a pass is in flight. The cut's minimum is lowered to MIN_PASS_TOKENS (still far
// above the few tokens at which the kernels choose another matmul) so that the software adapter gets several
// pieces from small requests; the job driver's own constants are tested natively (tests/job_overlap_test.cpp).
// Late tokenizing (the first chunk of texts tokenized before the first pass, the rest in the steps while passes run):
// the same bits, texts below 32 tokens kept in their passes' size class, and a text the tokenizer fails on in a later
// chunk failing the request with the error of tokenizing first.
// Also: the pass log's FLOP count, and GPU timestamps where the adapter offers them (absent where not asked for).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { requireGpu, exitWhenDone, loadModuleFactory, readModelFiles, requireModels } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { gpuWithDeviceHook, oomRefuser } from './gpu_wrappers.mjs';

const MODEL = 'tiny-bert-cls';
const MIN_PASS_TOKENS = 256;
let gpu, factory;
before(async () => {
  requireModels();
  const g = await requireGpu();
  gpu = g.gpu;
  factory = await loadModuleFactory();
});
exitWhenDone(after);

const WORDS = 'river stone morning quiet market engine paper silver garden window thunder candle harbor'.split(' ');
// n texts of about `min` to `min + spread` words, in an order unlike the sorted one.
function texts(n, min, spread) {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: min + (i * 37 + 11) % spread }, (_, k) => WORDS[(i * 5 + k * 3) % WORDS.length]).join(' '));
}

async function gpuModel(options = {}, gpuObject = gpu) {
  const core = await GpuEmbedCore.create(factory, { gpu: gpuObject });
  const m = core.loadModel(readModelFiles(path.join(requireModels(), MODEL)), { maxBatch: options.maxBatch ?? 64 });
  await m.initGpu({ timestamps: !!options.timestamps });
  m.setGpuOverlap(true, { minPassTokens: MIN_PASS_TOKENS });
  return { core, m };
}

function assertSameBits(got, want, label) {
  assert.equal(got.length, want.length, `${label}: length`);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < a.length; ++i) {
    if (a[i] !== b[i]) assert.fail(`${label}: float ${i} (text ${Math.floor(i / 128)}) differs: ${got[i]} vs ${want[i]}`);
  }
}

// A pass was submitted before the one ahead of it was mapped: the two were in flight together.
function overlapped(passes) {
  return passes.some((p, i) => i > 0 && p.submitted < passes[i - 1].mapped);
}

test('overlap on and off give the same bits, at many pass counts and mixed lengths', async () => {
  const { m } = await gpuModel();
  const cases = [['64 texts of 20-40 words', texts(64, 20, 20)], ['150 mixed texts', texts(150, 1, 60)],
                 ['20 mixed texts', texts(20, 1, 40)], ['3 texts', texts(3, 5, 10)], ['1 text', texts(1, 100, 1)]];
  let cutCases = 0;
  for (const [label, list] of cases) {
    m.setGpuOverlap(false);
    const plain = await m.embedGpu(list);
    const plainPasses = m.gpuStats().last_job_passes;
    m.setGpuOverlap(true, { minPassTokens: MIN_PASS_TOKENS });
    const got = await m.embedGpu(list);
    const passes = m.gpuStats().last_job_passes;
    console.log(`# ${label}: ${plainPasses.length} passes one at a time, ${passes.length} with overlap` +
                ` (texts per pass ${passes.map((p) => p.texts).join(' ')})`);
    assertSameBits(got, plain, label);
    assert.ok(!overlapped(plainPasses), `${label}: passes overlapped with the overlap off`);
    if (passes.length > 1) assert.ok(overlapped(passes), `${label}: ${passes.length} passes, none in flight together`);
    if (passes.length > plainPasses.length) ++cutCases;
  }
  assert.ok(cutCases >= 2, 'the big buckets were not cut');
  m.free();
});

test('late tokenizing: the first chunk before the first pass, the rest behind the GPU, the bits of tokenizing first', async () => {
  const { m } = await gpuModel();
  const cases = [['120 texts of 32-52 tokens', texts(120, 30, 20)], ['200 texts below 32 tokens', texts(200, 1, 12)],
                 ['150 mixed texts', texts(150, 1, 60)], ['40 texts around 32 tokens', texts(40, 26, 8)]];
  for (const [label, list] of cases) {
    m.setGpuOverlap(false);
    const plain = await m.embedGpu(list);
    m.setGpuOverlap(true, { minPassTokens: MIN_PASS_TOKENS });
    const c0 = m.gpuStats().counters;
    const got = await m.embedGpu(list);
    const c1 = m.gpuStats().counters;
    const hidden = c1.tokenize_overlap_ms - c0.tokenize_overlap_ms;
    console.log(`# ${label}: tokenizing ${(c1.begin_ms - c0.begin_ms).toFixed(2)} ms before passes, ` +
                `${hidden.toFixed(2)} ms behind them`);
    assertSameBits(got, plain, label);
    // texts below 32 tokens wait until all are tokenized: nothing on the GPU to hide behind
    if (label.startsWith('200')) assert.equal(hidden, 0, label);
    if (label.startsWith('120')) assert.ok(hidden > 0, `${label}: no tokenizing behind the passes`);
  }
  m.free();
});

test('a text the tokenizer fails on in a later chunk: the error of tokenizing first, after the passes before it', async () => {
  // xlmr-random without its unk: a character outside the vocabulary is an error (INVALID_INPUT)
  const files = readModelFiles(path.join(requireModels(), 'xlmr-random'));
  const tok = JSON.parse(files.tokenizer);
  tok.model.unk_id = null;
  files.tokenizer = JSON.stringify(tok);
  const core = await GpuEmbedCore.create(factory, { gpu });
  // xlmr-random is slow on the software adapter (its texts here have 40-78 tokens): few texts, and a small maxBatch so
  // that chunks of 4 texts put the failing one in the third, after two passes
  const m = core.loadModel(files, { maxBatch: 8 });
  await m.initGpu();
  const list = texts(12, 6, 6);
  list[7] = 'snow \u2603 man';  // the fewest bytes: the last chunk
  const failure = async () => {
    try {
      await m.embedGpu(list);
    } catch (e) {
      return e;
    }
    return assert.fail('no error');
  };
  m.setGpuOverlap(false);
  const first = await failure();
  const firstPasses = m.gpuStats().last_job_passes.length;
  m.setGpuOverlap(true, { minPassTokens: MIN_PASS_TOKENS });
  const late = await failure();
  const latePasses = m.gpuStats().last_job_passes.length;
  console.log(`# ${late.code}: "${late.message}" after ${latePasses} passes (tokenizing first: ${firstPasses})`);
  assert.equal(first.code, 'INVALID_INPUT');
  assert.equal(late.code, first.code);
  assert.equal(late.message, first.message);
  assert.equal(firstPasses, 0);
  assert.ok(latePasses > 0, 'the late chunk failed before any pass');
  assert.throws(() => m.embedCpu(list), (e) => e.code === first.code && e.message === first.message);
  // the model goes on
  list[7] = 'snow man';
  m.setGpuOverlap(false);
  const want = await m.embedGpu(list);
  m.setGpuOverlap(true, { minPassTokens: MIN_PASS_TOKENS });
  assertSameBits(await m.embedGpu(list), want, 'after the failure');
  m.free();
});

// Fails the second "readback" buffer the device is asked for (the second pass in flight needs its own) with an
// out-of-memory error, as a device does: an invalid buffer and the error in the innermost out-of-memory scope.
function gpuFailingSecondReadback(realGpu) {
  const ctl = { readbacks: 0, injected: 0 };
  const gpu = gpuWithDeviceHook(realGpu, (device) => {
    const refuse = oomRefuser(device);
    const createBuffer = device.createBuffer.bind(device);
    device.createBuffer = (d) => {
      if (d.label !== 'readback' || ++ctl.readbacks !== 2) return createBuffer(d);
      ctl.injected++;
      return refuse(d, `could not allocate ${d.size} bytes for "readback" (test)`);
    };
  });
  return { ctl, gpu };
}

test('out of memory in the second pass: redone in smaller passes, the same bits as without overlap', async () => {
  const list = texts(64, 20, 20);
  const { m: ref } = await gpuModel();
  ref.setGpuOverlap(false);
  const want = await ref.embedGpu(list);
  ref.free();

  const { gpu: failing, ctl } = gpuFailingSecondReadback(gpu);
  const { m } = await gpuModel({}, failing);
  const got = await m.embedGpu(list);
  const stats = m.gpuStats();
  console.log(`# ${ctl.injected} readback refused; ${stats.counters.oom_splits} out-of-memory split, passes of ` +
              `${stats.last_job_passes.map((p) => p.texts).join(' ')} texts; token limit ${stats.oom_token_limit}`);
  assert.equal(ctl.injected, 1, 'the second pass did not allocate a readback buffer');
  assert.equal(stats.counters.oom_splits, 1);
  assert.ok(stats.oom_token_limit > 0);
  assertSameBits(got, want, 'after the out-of-memory split');
  // the job goes on, and the next one keeps to the smaller passes
  assertSameBits(await m.embedGpu(list), want, 'the next request');
  assert.equal(m.gpuStats().counters.oom_splits, 1);
  m.free();
});

test('device lost with a pass in flight: DEVICE_LOST, the CPU path answers the request whole', async () => {
  const list = texts(64, 20, 20);
  const { core, m } = await gpuModel();
  const want = m.embedCpu(list);
  // destroys the device right after the third pass is submitted (a pass may go to the queue in parts; its readback
  // is mapped once, right after its last part): the first was read, the second and third are on the device (no map
  // callback comes before the destroy: they come from the event loop)
  const mapAsync = GPUBuffer.prototype.mapAsync;
  let maps = 0, inFlightAtLoss = -1;
  GPUBuffer.prototype.mapAsync = function (...args) {
    const r = mapAsync.apply(this, args);
    if (++maps === 3) {
      const passes = m.gpuStats().last_job_passes;
      inFlightAtLoss = passes.filter((p) => !(p.read_end > 0)).length + 1;  // + the one being submitted
      queueMicrotask(() => m.destroyGpuDevice());  // once the module has returned, before any callback
    }
    return r;
  };
  let err;
  try {
    await m.embedGpu(list);
  } catch (e) {
    err = e;
  } finally {
    GPUBuffer.prototype.mapAsync = mapAsync;
  }
  assert.ok(err, 'no error after the device was destroyed');
  assert.equal(err.code, 'DEVICE_LOST', err.message);
  assert.equal(inFlightAtLoss, 2, 'two passes were in flight when the device was lost');
  // the caller's fallback (js/gpuembed.mjs) redoes the texts on the CPU path: every row, once, in input order
  assertSameBits(m.embedCpu(list), want, 'the request on the CPU path after the loss');
  assert.equal(m.gpuState(), -5);
  m.free();
  void core;
});

test('pass log: FLOPs of the texts\' tokens; GPU timestamps where offered, absent where not asked for', async () => {
  const cfg = JSON.parse(readModelFiles(path.join(requireModels(), MODEL)).config);
  const { hidden_size: H, intermediate_size: I, num_hidden_layers: L } = cfg;
  // per layer: Q, K, V and the attention output (4 H x H), the two FFN matrices (2 H x I), and Q.K^T and the
  // attention-weighted V (2 n^2 H)
  const flops = (n) => L * (2 * n * (4 * H * H + 2 * H * I) + 4 * n * n * H);
  const one = texts(1, 30, 1);
  const { core, m } = await gpuModel();
  await m.embedGpu(one);
  const plain = m.gpuStats();
  const [p] = plain.last_job_passes;
  assert.equal(p.texts, 1);
  assert.equal(p.flops, flops(p.seq), `FLOPs of one text of ${p.seq} tokens`);  // one text: no padding
  assert.equal(plain.counters.gpu_exec_ms, undefined, 'timestamps reported without being asked for');
  assert.equal(p.gpu_exec, undefined);
  m.free();

  const { m: timed } = await gpuModel({ timestamps: true });
  const list = texts(64, 20, 20);
  const got = await timed.embedGpu(list);
  const s = timed.gpuStats();
  const adapterHas = await (async () => { const a = await gpu.requestAdapter(); return a.features.has('timestamp-query'); })();
  console.log(`# timestamp-query ${adapterHas ? 'offered' : 'not offered'}; passes ` +
              s.last_job_passes.map((q) => `${q.texts}x${q.seq}: gpu_exec ${q.gpu_exec} ms of ` +
                                    `${(q.mapped - q.record_start).toFixed(2)} ms submit->mapped`).join(', '));
  if (adapterHas) {
    assert.ok(s.counters.gpu_exec_ms > 0);
    assert.equal(s.counters.timed_passes, s.counters.passes);
    for (const q of s.last_job_passes) {
      assert.ok(q.gpu_exec > 0 && q.gpu_exec <= q.mapped - q.record_start, `device time ${q.gpu_exec} ms outside its pass`);
    }
  } else {
    assert.equal(s.counters.gpu_exec_ms, undefined);
  }
  // the timestamps change nothing in the results
  const { m: ref } = await gpuModel();
  ref.setGpuOverlap(false);
  assertSameBits(got, await ref.embedGpu(list), 'with timestamps');
  timed.free();
  ref.free();
  void core;
});

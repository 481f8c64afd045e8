// Kernel profiling of the WebGPU backend (CoreModel.setGpuProfile, gpuStats().kernel_profile; bench/gpu/kernel_profile.mjs)
// on the software adapter, which offers 'timestamp-query': with it on, the same bits as with it off; every dispatch
// counted under the kernel (pipeline) that ran it, as the WebGPU calls show; each matmul under its layer role (QKV,
// attention out, FFN in, FFN out: N x K) once per layer and pass; the FLOPs those of graph_flops (the pass log's); the
// sums since the last setGpuProfile(true); off: no profile and no extra compute pass; no timestamps: refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { requireGpu, exitWhenDone, loadModuleFactory, readFamilyFiles, requireModels } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { matmulRole, profileRows } from '../../bench/gpu/kernel_profile.mjs';

let gpu, factory, hasTimestamps;
before(async () => {
  requireModels();
  const g = await requireGpu();
  gpu = g.gpu;
  factory = await loadModuleFactory();
  hasTimestamps = (await gpu.requestAdapter()).features.has('timestamp-query');
  wrapWebGpu();
});
exitWhenDone(after);

// Counts, while `on`, the compute passes begun (and those with timestampWrites) and the dispatches per pipeline label
// (kernels.cpp labels each pipeline with its kernel's name).
const calls = { on: false, passes: 0, timedPasses: 0, dispatches: new Map() };
const labels = new WeakMap(), current = new WeakMap();
function wrap(cls, name, f) {
  const P = globalThis[cls].prototype, orig = P[name];
  P[name] = function (...args) { return f.call(this, orig.apply(this, args), ...args); };
}
function wrapWebGpu() {
  wrap('GPUDevice', 'createComputePipeline', (p, desc) => { labels.set(p, desc.label); return p; });
  wrap('GPUCommandEncoder', 'beginComputePass', (pass, desc) => {
    if (calls.on) { ++calls.passes; if (desc?.timestampWrites) ++calls.timedPasses; }
    return pass;
  });
  wrap('GPUComputePassEncoder', 'setPipeline', function (r, p) { current.set(this, labels.get(p)); return r; });
  wrap('GPUComputePassEncoder', 'dispatchWorkgroups', function (r) {
    if (calls.on) { const k = current.get(this); calls.dispatches.set(k, (calls.dispatches.get(k) || 0) + 1); }
    return r;
  });
}

// Runs the requests; `out`: their embeddings one after the other, `jobs`: their pass logs, `flops`: their passes'
// FLOPs, `wall`: their passes' ms from submit to mapped.
async function counted(m, requests) {
  Object.assign(calls, { on: true, passes: 0, timedPasses: 0, dispatches: new Map() });
  const c0 = m.gpuStats().counters;
  const outs = [], jobs = [];
  let flops = 0, wall = 0;
  for (const texts of requests) {
    outs.push(await m.embedGpu(texts));
    const passes = m.gpuStats().last_job_passes;
    jobs.push(passes);
    flops += sum(passes.map((p) => p.flops));
    wall += sum(passes.map((p) => p.mapped - p.record_start));
  }
  calls.on = false;
  const s = m.gpuStats();
  const out = new Float32Array(sum(outs.map((o) => o.length)));
  outs.reduce((at, o) => (out.set(o, at), at + o.length), 0);
  return { out, stats: s, jobs, flops, wall, passes: s.counters.passes - c0.passes, dispatches: s.counters.dispatches - c0.dispatches,
           seen: { passes: calls.passes, timedPasses: calls.timedPasses, dispatches: new Map(calls.dispatches) } };
}

function assertSameBits(got, want, label) {
  assert.equal(got.length, want.length, `${label}: length`);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < a.length; ++i) if (a[i] !== b[i]) assert.fail(`${label}: float ${i} differs: ${got[i]} vs ${want[i]}`);
}

const WORDS = 'river stone morning quiet market engine paper silver garden window thunder candle harbor'.split(' ');
// n texts of about `min` to `min + spread` words, in an order unlike the sorted one.
const texts = (n, min, spread) => Array.from({ length: n }, (_, i) =>
  Array.from({ length: min + (i * 37 + 11) % spread }, (_, k) => WORDS[(i * 5 + k * 3) % WORDS.length]).join(' '));
const sum = (xs) => xs.reduce((s, x) => s + x, 0);
const byKernel = (profile) => {
  const m = new Map();
  for (const [k, , , n] of profile) m.set(k, (m.get(k) || 0) + n);
  return m;
};

// tiny-bert-cls: BERT (and matmul_small for the passes of few tokens); modernbert and qwen3: rotary, gated, residual
// add, RMSNorm, a different attention width than the hidden one. `words`: the lengths of the texts, in words of the
// model's tokenizer, so that every model gets passes of about as many tokens (the random models' small vocabularies
// give about 4 tokens a word, BERT's 1; the software adapter's time goes with the tokens).
for (const [name, words] of [['tiny-bert-cls', [12, 30]], ['modernbert-random', [4, 8]], ['qwen3-random', [4, 8]]]) {
  test(`${name}: the profile counts every dispatch under its kernel, the same bits as without it`, async (t) => {
    if (!hasTimestamps) return t.skip("the adapter offers no 'timestamp-query'");
    const files = readFamilyFiles(path.join(requireModels(), name));
    const cfg = JSON.parse(files.config);
    const core = await GpuEmbedCore.create(factory, { gpu });
    const m = core.loadModel(files, { maxBatch: 8 });
    await m.initGpu({ timestamps: true });
    // several lengths in several passes, and a pass of a few tokens (matmul_small)
    const list = [[...texts(8, words[0], words[0] / 2 + 2), ...texts(2, words[1], 3)], ['window']];
    m.setGpuOverlap(false);
    const off = await counted(m, list);
    assert.equal(off.stats.kernel_profile, undefined, 'a profile before profiling was asked for');
    assert.equal(off.seen.passes, off.passes, 'profiling off: one compute pass per submitted pass');
    assert.equal(sum([...off.seen.dispatches.values()]), off.dispatches);
    m.setGpuOverlap(true, { minPassTokens: 64 });  // passes are cut and overlap where profiling lets them
    m.setGpuProfile(true);
    const on = await counted(m, list);
    assertSameBits(on.out, off.out, 'profiled');
    const profile = on.stats.kernel_profile, passes = on.jobs[0];
    console.log(`# ${name}: ${on.passes} passes, ${on.dispatches} dispatches, ${profile.length} kernel x shape ` +
                `classes; ${profile.map(([k, a, b, n, ms, , o]) => `${k} ${a}x${b} -> ${o}: ${n} in ${ms.toFixed(2)} ms`).join(', ')}`);
    assert.equal(on.passes, off.passes, 'profiling: the passes of one pass at a time, none cut');
    assert.ok(passes.length > 1 && !passes.some((p, i) => i > 0 && p.submitted < passes[i - 1].mapped), 'profiled passes overlapped');
    // every dispatch: in a timed compute pass of its own, under the kernel that ran it
    assert.equal(sum(profile.map((p) => p[3])), on.dispatches, 'profiled dispatches != the dispatch counter');
    assert.equal(on.seen.passes, on.dispatches, 'not one compute pass per dispatch');
    assert.equal(on.seen.timedPasses, on.dispatches, 'a profiled compute pass without timestamps');
    assert.deepEqual(Object.fromEntries([...byKernel(profile)].sort()), Object.fromEntries([...on.seen.dispatches].sort()),
                     'dispatches per kernel: profile vs the WebGPU calls');
    assert.deepEqual(Object.fromEntries([...byKernel(profile)].sort()), Object.fromEntries([...off.seen.dispatches].sort()),
                     'dispatches per kernel: profile vs the unprofiled request');
    // each matmul under its role, once per layer and pass; FLOPs on matmuls and attention only, adding up to graph_flops
    const roles = new Map();
    for (const [k, a, b, n, ms, flops, tensor] of profile) {
      assert.ok(ms >= 0 && Number.isFinite(ms), `${k}: ${ms} ms`);
      if (k.startsWith('matmul')) {
        const role = matmulRole(cfg, a, b, tensor);
        assert.ok(role, `${k} ${a}x${b} -> ${tensor}: no layer role`);
        roles.set(role, (roles.get(role) || 0) + n);
      }
      assert.equal(flops > 0, k.startsWith('matmul') || k.startsWith('attention'), `${k}: ${flops} FLOPs`);
    }
    assert.equal(roles.size, 4, `roles ${[...roles.keys()]}`);
    for (const [role, n] of roles) assert.equal(n, cfg.num_hidden_layers * on.passes, `${role}: dispatches`);
    assert.equal(sum(profile.map((p) => p[5])), on.flops, 'FLOPs != graph_flops of the passes');
    const ms = sum(profile.map((p) => p[4]));
    assert.ok(ms > 0 && ms <= on.wall, `${ms} ms of kernels in ${on.wall} ms from submit to mapped`);
    const rows = profileRows(profile, 1, cfg);
    assert.ok(rows.every((r, i) => i === 0 || rows[i - 1].ms >= r.ms), 'table not sorted by GPU time');

    // the sums run on until setGpuProfile(true) clears them
    await counted(m, list);
    assert.deepEqual(m.gpuStats().kernel_profile.map((p) => [p[0], p[1], p[2], p[6], p[3]]),
                     profile.map((p) => [p[0], p[1], p[2], p[6], 2 * p[3]]));
    m.setGpuProfile(true);
    assert.deepEqual(m.gpuStats().kernel_profile, []);
    // off: no profile, no extra passes, the passes overlap again
    m.setGpuProfile(false);
    const again = await counted(m, list);
    assert.equal(again.stats.kernel_profile, undefined);
    assert.equal(again.seen.passes, again.passes, 'profiling off: extra compute passes');
    assert.equal(again.seen.timedPasses, again.passes);  // the pass timestamps of initGpu({ timestamps: true })
    assert.ok(again.passes > off.passes, 'the overlap did not cut the big passes');
    assertSameBits(again.out, off.out, 'after profiling');
    m.free();
  });
}

test('without timestamps kernel profiling is refused', async () => {
  const core = await GpuEmbedCore.create(factory, { gpu });
  const m = core.loadModel(readFamilyFiles(path.join(requireModels(), 'tiny-bert-cls')));
  assert.throws(() => m.setGpuProfile(true), { code: 'BACKEND_UNAVAILABLE' }, 'before initGpu');
  await m.initGpu();
  assert.throws(() => m.setGpuProfile(true), { code: 'BACKEND_UNAVAILABLE' });
  await m.embedGpu(['a text']);
  assert.equal(m.gpuStats().kernel_profile, undefined);
  m.free();
});

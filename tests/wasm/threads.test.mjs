// The threaded module (build-wasm/gpuembed-mt.mjs: Emscripten pthreads, the CPU path's parallel loops on a worker
// pool): golden embeddings and token embeddings within 1e-4 of tests/golden and of the single-threaded module,
// the same rows on 1 and 2 threads, errors reported and cleared as on the single-threaded module, and the JS API's
// `threads` option (Node runs the threaded module).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { loadModuleFactory, readModelFiles, readGolden, requireModels, maxAbsDiff, buildDir, root } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { compareEmbeddings, compareMatrix } from './golden_util.mjs';
import { GpuEmbedder } from '../../js/gpuembed.mjs';

let single, one, two;
before(async () => {
  requireModels();
  single = await GpuEmbedCore.create(await loadModuleFactory());
  const threaded = await loadModuleFactory('gpuembed-mt.mjs');
  one = await GpuEmbedCore.create(threaded, { threads: 1 });
  two = await GpuEmbedCore.create(threaded, { threads: 2 });
});

test('thread counts: what was asked for runs; the single-threaded module says 1', () => {
  assert.equal(single.threads, 1);
  assert.equal(single.threaded, false);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.equal(two.threaded, true);
  // never more than the pool started with (threads - 1 workers + the caller)
  assert.equal(two.M._ge_set_threads(64), 2);
});

for (const name of ['tiny-bert-cls', 'minilm-l6-random']) {
  test(`threaded WASM CPU: ${name} golden, equal to the single-threaded module, 1 thread = 2 threads`, () => {
    const g = readGolden(name);
    const files = readModelFiles(path.join(requireModels(), name));
    const models = [single, one, two].map((c) => c.loadModel(files));
    try {
      const texts = g.sentences.map((s) => s.text);
      const [ref, r1, r2] = models.map((m) => m.embedCpu(texts));
      compareEmbeddings(`${name} threaded WASM CPU, 2 threads`, r2, g.sentences, g.dim);
      compareEmbeddings(`${name} threaded WASM CPU, 1 thread`, r1, g.sentences, g.dim);
      const vsSingle = maxAbsDiff(r2, ref);
      console.log(`# ${name}: 2 threads vs the single-threaded module: max |diff| ${vsSingle.toExponential(3)}`);
      assert.ok(vsSingle <= 1e-4, `${name}: threaded vs single-threaded max abs diff ${vsSingle} > 1e-4`);
      // Each output value is summed in the same order whatever the split across threads.
      assert.deepEqual(r2, r1, `${name}: 2 threads gave other rows than 1 thread`);
      for (const te of g.token_embeddings.slice(0, 2)) {
        compareMatrix(`${name} threaded token_embeddings ${JSON.stringify(te.text.slice(0, 20))}`,
                      models[2].hiddenCpu(te.text), te.token_embeddings);
      }
    } finally {
      models.forEach((m) => m.free());
    }
  });
}

test('threaded module: errors are reported with their codes and cleared by the next good call', () => {
  const files = readModelFiles(path.join(requireModels(), 'tiny-bert-cls'));
  assert.throws(() => two.loadModel({ ...files, safetensors: files.safetensors.slice(0, 1000) }),
                (e) => e.code === 'MODEL_INVALID' && /safetensors/.test(e.message));
  assert.throws(() => two.loadModel({ ...files, config: '' }), { code: 'MODEL_NOT_FOUND' });
  const m = two.loadModel(files);
  try {
    assert.equal(two.M._ge_last_error_code(), 0, 'a good load leaves no error behind');
    assert.throws(() => m.embedCpu(['x'], { name: 'no-such-prompt' }), { code: 'INVALID_INPUT' });
    const v = m.embedCpu(['hello world', 'a second, longer sentence to embed']);
    assert.equal(two.M._ge_last_error_code(), 0, 'a good call clears the error');
    assert.equal(v.length, 2 * m.dimension);
  } finally {
    m.free();
  }
});

test('JS API: threads option picks the module; e.threads and modelInfo.threads say what runs', async () => {
  const dir = path.join(requireModels(), 'minilm-l6-random');
  const texts = ['The quick brown fox jumps over the lazy dog.', 'short', 'x'.repeat(300)];
  const rows = {};
  for (const threads of [1, 2]) {
    const e = await GpuEmbedder.create({ backend: 'cpu', threads, moduleUrl: path.join(buildDir, 'gpuembed.mjs'),
                                         threadedModuleUrl: path.join(buildDir, 'gpuembed-mt.mjs') });
    try {
      assert.equal(e.threads, threads);
      assert.equal(e.threadsFallbackReason, null);
      const info = await e.loadModel(dir);
      assert.equal(info.threads, threads);
      rows[threads] = await e.embedBatchFlat(texts);
    } finally {
      await e.dispose();
    }
  }
  assert.deepEqual(rows[2], rows[1], 'the threaded and the single-threaded module gave other rows');
  for (const bad of [0, -1, 1.5, '2']) {
    await assert.rejects(GpuEmbedder.create({ backend: 'cpu', threads: bad }), { code: 'INVALID_INPUT' });
  }
});

test('JS API: the workers of an embedder that became garbage end (they would keep its memory alive)', () => {
  // In a child process with --expose-gc; the thread count of the process is read from /proc.
  const script = `
    import fs from 'node:fs';
    const { GpuEmbedder } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'js', 'gpuembed.mjs')).href)});
    const tasks = () => fs.readdirSync('/proc/self/task').length;
    let e = await GpuEmbedder.create({ backend: 'cpu', threads: 3,
      moduleUrl: ${JSON.stringify(path.join(buildDir, 'gpuembed.mjs'))},
      threadedModuleUrl: ${JSON.stringify(path.join(buildDir, 'gpuembed-mt.mjs'))} });
    await e.loadModel(${JSON.stringify(path.join(requireModels(), 'tiny-bert-cls'))});
    await e.embed('hello world');
    const during = tasks();
    e = null;
    let after = during;
    for (let i = 0; i < 50 && after > during - 2; ++i) { globalThis.gc(); await new Promise((r) => setTimeout(r, 100)); after = tasks(); }
    console.log(JSON.stringify({ during, after }));`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const { during, after } = JSON.parse(out.trim().split('\n').pop());
  console.log(`# process threads with the embedder's 2 pool workers: ${during}; after it became garbage: ${after}`);
  assert.ok(after <= during - 2, `the pool's 2 workers did not end (${during} threads before, ${after} after)`);
});

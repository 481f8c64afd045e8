// The relaxed-SIMD modules on an engine that has relaxed SIMD. Not a test file of its own: relaxed_simd.test.mjs
// runs it in a child Node (with --experimental-wasm-relaxed-simd where the Node needs it, as Node 20 does).
// FMA rounds once where mul + add rounds twice, so these modules are held to the fp32 golden tolerance, not to
// bit-identity with the SIMD128 modules; within a module the rows stay the same on 1 and 2 threads.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadModuleFactory, readModelFiles, readGolden, requireModels, maxAbsDiff, buildDir } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { checkCpuGolden, compareEmbeddings } from './golden_util.mjs';
import { GpuEmbedder, relaxedSimdSupported } from '../../js/gpuembed.mjs';

let plain, relaxed, one, two;
before(async () => {
  requireModels();
  plain = await GpuEmbedCore.create(await loadModuleFactory());
  relaxed = await GpuEmbedCore.create(await loadModuleFactory('gpuembed-relaxed.mjs'));
  const threaded = await loadModuleFactory('gpuembed-mt-relaxed.mjs');
  one = await GpuEmbedCore.create(threaded, { threads: 1 });
  two = await GpuEmbedCore.create(threaded, { threads: 2 });
});

test('the engine validates relaxed SIMD; the relaxed modules say so, the SIMD128 module too', () => {
  assert.equal(relaxedSimdSupported(), true);
  assert.equal(plain.simd, 'simd128');
  for (const c of [relaxed, one, two]) assert.equal(c.simd, 'relaxed-simd');
  assert.equal(two.threads, 2);
});

for (const name of ['tiny-bert-cls', 'minilm-l6-random']) {
  test(`relaxed-SIMD WASM CPU: ${name} golden (single-threaded module; threaded on 1 and 2 threads)`, () => {
    const g = readGolden(name);
    const files = readModelFiles(path.join(requireModels(), name));
    const models = [plain, relaxed, one, two].map((c) => c.loadModel(files));
    try {
      checkCpuGolden(`${name} relaxed SIMD`, models[1], g);
      const texts = g.sentences.map((s) => s.text);
      const [ref, r, r1, r2] = models.map((m) => m.embedCpu(texts));
      compareEmbeddings(`${name} threaded relaxed SIMD, 2 threads`, r2, g.sentences, g.dim);
      console.log(`# ${name}: relaxed SIMD vs SIMD128 module: max |diff| ${maxAbsDiff(r, ref).toExponential(3)}`);
      assert.deepEqual(r2, r1, `${name}: the threaded relaxed module gave other rows on 2 threads than on 1`);
      assert.deepEqual(r1, r, `${name}: the threaded and single-threaded relaxed modules differ`);
    } finally {
      models.forEach((m) => m.free());
    }
  });
}

test('JS API: create() starts the relaxed-SIMD modules (1 and 2 threads); relaxedSimd: false and module URLs without theirs do not', async () => {
  const dir = path.join(requireModels(), 'tiny-bert-cls');
  const g = readGolden('tiny-bert-cls');
  const texts = g.sentences.map((s) => s.text);
  const at = (f) => path.join(buildDir, f);
  const plainUrls = { moduleUrl: at('gpuembed.mjs'), threadedModuleUrl: at('gpuembed-mt.mjs') };
  const urls = { ...plainUrls, relaxedModuleUrl: at('gpuembed-relaxed.mjs'),
                 threadedRelaxedModuleUrl: at('gpuembed-mt-relaxed.mjs') };
  const cases = [[{ threads: 1, ...urls }, 'relaxed-simd'], [{ threads: 2, ...urls }, 'relaxed-simd'],
                 [{ threads: 1, ...urls, relaxedSimd: false }, 'simd128'],
                 [{ threads: 2, ...urls, relaxedSimd: false }, 'simd128'],
                 [{ threads: 1, ...plainUrls }, 'simd128'], [{ threads: 2, ...plainUrls }, 'simd128']];
  for (const [options, simd] of cases) {
    const e = await GpuEmbedder.create({ backend: 'cpu', ...options });
    try {
      assert.equal(e.simd, simd, `${simd} expected with ${JSON.stringify(options)}`);
      assert.equal(e.threads, options.threads);
      const info = await e.loadModel(dir);
      assert.equal(info.simd, simd);
      compareEmbeddings(`JS API, ${options.threads} thread(s), ${simd}`, await e.embedBatchFlat(texts), g.sentences, g.dim);
    } finally {
      await e.dispose();
    }
  }
});

// The model families beyond BERT (tools/gen_family_models.py, goldens of tools/golden_families.py) in the WASM
// build: the CPU path against sentence-transformers (token ids identical, embeddings within 1e-4, token embeddings,
// batch = single). WebGPU runs them in tests/wasm/families_webgpu.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { requireGpu, exitWhenDone, loadModuleFactory, readFamilyFiles, readGolden, requireModels, maxAbsDiff } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { compareEmbeddings, compareIds, compareMatrix } from './golden_util.mjs';

const FAMILIES = ['xlmr-random', 'xlmr-old-random', 'mpnet-random', 'nomic-random', 'modernbert-random', 'qwen3-random',
                  'gemma3-random'];
let core;
before(async () => {
  requireModels();
  const g = await requireGpu();
  core = await GpuEmbedCore.create(await loadModuleFactory(), { gpu: g.gpu });
});
exitWhenDone(after);

const load = (name) => core.loadModel(readFamilyFiles(path.join(requireModels(), name)));

for (const name of FAMILIES) {
  test(`WASM CPU: ${name} golden`, () => {
    const g = readGolden(name);
    const m = load(name);
    try {
      assert.equal(m.dimension, g.dim);
      compareIds(`${name} ids`, m, g.sentences);
      const texts = g.sentences.map((s) => s.text);
      const got = m.embedCpu(texts);
      compareEmbeddings(`${name} WASM CPU`, got, g.sentences, g.dim);
      for (const i of [0, 7, texts.length - 1]) {
        const one = m.embedCpu([texts[i]]);
        assert.ok(maxAbsDiff(one, got.subarray(i * g.dim, (i + 1) * g.dim)) <= 1e-6, `${name}: sentence ${i} alone differs`);
      }
      for (const te of g.token_embeddings.slice(0, 2)) {
        compareMatrix(`${name} WASM CPU token_embeddings`, m.hiddenCpu(te.text), te.token_embeddings);
      }
    } finally {
      m.free();
    }
  });
}

// The WASM CPU path (the C++ CPU backend, portable SIMD128 matmul) against tests/golden: token ids identical,
// embeddings within 1e-4 absolute (max error printed), for both generated models, every golden sentence.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadModuleFactory, readModelFiles, readGolden, requireModels } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { compareEmbeddings, compareIds, compareMatrix } from './golden_util.mjs';

let core;
before(async () => {
  requireModels();
  core = await GpuEmbedCore.create(await loadModuleFactory());
});

for (const name of ['tiny-bert-cls', 'minilm-l6-random']) {
  test(`WASM CPU: ${name} golden`, () => {
    const g = readGolden(name);
    const model = core.loadModel(readModelFiles(path.join(requireModels(), name)));
    try {
      assert.equal(model.dimension, g.dim);
      compareIds(`${name} ids`, model, g.sentences);
      const t0 = performance.now();
      const got = model.embedCpu(g.sentences.map((s) => s.text));
      console.log(`# ${name}: WASM CPU embedded ${g.sentences.length} sentences in ${(performance.now() - t0).toFixed(0)} ms`);
      compareEmbeddings(`${name} WASM CPU`, got, g.sentences, g.dim);
      // token embeddings (last hidden state) of the first golden texts
      for (const te of g.token_embeddings.slice(0, 2)) {
        compareMatrix(`${name} WASM CPU token_embeddings ${JSON.stringify(te.text.slice(0, 20))}`,
                      model.hiddenCpu(te.text), te.token_embeddings);
      }
    } finally {
      model.free();
    }
  });
}

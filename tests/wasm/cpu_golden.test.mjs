// The WASM CPU path (the C++ CPU backend, portable SIMD128 matmul) against tests/golden: token ids identical,
// embeddings within 1e-4 absolute (max error printed), for both generated models, every golden sentence.
import { test, before } from 'node:test';
import path from 'node:path';
import { loadModuleFactory, readModelFiles, readGolden, requireModels } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { checkCpuGolden } from './golden_util.mjs';

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
      checkCpuGolden(name, model, g);
    } finally {
      model.free();
    }
  });
}

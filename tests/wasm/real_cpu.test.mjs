// The real all-MiniLM-L6-v2 (scripts/get_models.sh) on the WASM CPU path: token ids identical and embeddings within
// 1e-4 of sentence-transformers (tests/golden/all-MiniLM-L6-v2.shared.json, every sentence), and the evaluation set
// of tests/eval (scores, order, paraphrases above unrelated pairs, each query's passage in the top 3).
import { test, before, after } from 'node:test';
import { loadModuleFactory, readModelFiles, readGolden, requireRealModel } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { checkCpuGolden } from './golden_util.mjs';
import { evalSet, checkEval } from './eval_util.mjs';

const name = 'all-MiniLM-L6-v2';
let model;
before(async () => {
  const core = await GpuEmbedCore.create(await loadModuleFactory());
  model = core.loadModel(readModelFiles(requireRealModel(name)));
});
after(() => model?.free());

test(`WASM CPU: ${name} (real weights) golden`, () => checkCpuGolden(name, model, readGolden(name)));

test(`WASM CPU: ${name} evaluation set against sentence-transformers`, async () => {
  await checkEval(`${name} WASM CPU eval`, evalSet(name), (texts) => model.embedCpu(texts), model.dimension);
});

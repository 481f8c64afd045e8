// The real all-MiniLM-L6-v2 (scripts/get_models.sh) on WebGPU (every layer in WGSL), in Node with Dawn on a software
// Vulkan driver. The software adapter embeds about two short texts a second on the CI machine, so by default: 13 golden
// sentences and a part of the evaluation set (12 pairs of every grade; 6 queries over their passages and the passages
// sentence-transformers ranks next); with GPUEMBED_SLOW=1 all 80 golden sentences and the whole evaluation set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { nodeGpu, loadModuleFactory, readModelFiles, readGolden, requireRealModel, slow } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { compareEmbeddings } from './golden_util.mjs';
import { evalSet, evalSubset, checkEval } from './eval_util.mjs';

const name = 'all-MiniLM-L6-v2';
let model, driver;
before(async () => {
  const g = await nodeGpu();
  assert.ok(g.gpu, g.why);
  driver = g.driver;
  const core = await GpuEmbedCore.create(await loadModuleFactory(), { gpu: g.gpu });
  model = core.loadModel(readModelFiles(requireRealModel(name)));
  console.log(`# ${name}: WebGPU on ${driver}: ${await model.initGpu()}`);
});
after(() => {
  model?.free();
  setImmediate(() => process.exit(process.exitCode ?? 0));  // Dawn keeps Node's event loop alive
});

test(`WebGPU: ${name} (real weights) golden (${slow ? 'all sentences' : 'every 6th short sentence'})`, async () => {
  const g = readGolden(name);
  const sents = slow ? g.sentences : g.sentences.filter((s) => s.input_ids.length <= 24).filter((_, i) => i % 6 === 0);
  assert.ok(sents.length >= 12, `only ${sents.length} golden sentences picked`);
  const t0 = performance.now();
  const got = await model.embedGpu(sents.map((s) => s.text));
  console.log(`# ${name}: WebGPU embedded ${sents.length} sentences in ${(performance.now() - t0).toFixed(0)} ms`);
  compareEmbeddings(`${name} WebGPU`, got, sents, g.dim);
});

test(`WebGPU: ${name} evaluation set (${slow ? 'whole' : 'part'}) against sentence-transformers`, async () => {
  const t0 = performance.now();
  const ev = evalSet(name);
  const every = (n, k) => Array.from({ length: n }, (_, i) => i).filter((i) => i % k === 0);
  const part = slow ? ev : evalSubset(ev, { pairIdx: every(ev.pairs.length, 5), queryIdx: every(ev.queries.length, 4).concat([1]) });
  console.log(`# ${name} WebGPU eval: ${part.pairs.length} pairs, ${part.queries.length} queries over ${part.passages.length} passages`);
  await checkEval(`${name} WebGPU eval`, part, (texts) => model.embedGpu(texts), model.dimension);
  console.log(`# ${name}: WebGPU evaluation set in ${(performance.now() - t0).toFixed(0)} ms`);
});

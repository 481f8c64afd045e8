// The real all-MiniLM-L6-v2 (scripts/get_models.sh) on WebGPU (every layer in WGSL), in Node with Dawn on a software
// Vulkan driver. The software adapter embeds about two short texts a second on the CI machine, so by default: 13 golden
// sentences and a part of the evaluation set (12 pairs of every grade; 6 queries over their passages and the passages
// sentence-transformers ranks next); with GPUEMBED_SLOW=1 all 80 golden sentences and the whole evaluation set.
// fp16 (where the adapter has 'shader-f16', as lavapipe does): cosine >= 0.9999 to every golden embedding (the bar of
// webgpu_fp16.test.mjs) and the meaning checks, on a smaller part by default (every 12th short golden sentence; 6 pairs,
// 2 queries).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requireGpu, exitWhenDone, loadModuleFactory, readModelFiles, readGolden, requireRealModel, slow } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { compareEmbeddings } from './golden_util.mjs';
import { evalSet, evalSubset, checkEval, cosine } from './eval_util.mjs';

const name = 'all-MiniLM-L6-v2';
let model, driver, core, hasF16;
before(async () => {
  const g = await requireGpu();
  driver = g.driver;
  hasF16 = (await g.gpu.requestAdapter()).features.has('shader-f16');
  core = await GpuEmbedCore.create(await loadModuleFactory(), { gpu: g.gpu });
  model = core.loadModel(readModelFiles(requireRealModel(name)));
  console.log(`# ${name}: WebGPU on ${driver}: ${await model.initGpu()}`);
});
after(() => model?.free());
exitWhenDone(after);

test(`WebGPU: ${name} (real weights) golden (${slow ? 'all sentences' : 'every 6th short sentence'})`, async () => {
  const g = readGolden(name);
  const sents = slow ? g.sentences : g.sentences.filter((s) => s.input_ids.length <= 24).filter((_, i) => i % 6 === 0);
  assert.ok(sents.length >= 12, `only ${sents.length} golden sentences picked`);
  const t0 = performance.now();
  const got = await model.embedGpu(sents.map((s) => s.text));
  console.log(`# ${name}: WebGPU embedded ${sents.length} sentences in ${(performance.now() - t0).toFixed(0)} ms`);
  compareEmbeddings(`${name} WebGPU`, got, sents, g.dim);
});

const every = (n, k) => Array.from({ length: n }, (_, i) => i).filter((i) => i % k === 0);
// fp32: 12 pairs (4 per grade), 6 queries; fp16 (a second model on the slow adapter): 6 pairs, 2 queries
function evalPart(small = false) {
  const ev = evalSet(name);
  if (slow) return ev;
  return small ? evalSubset(ev, { pairIdx: every(ev.pairs.length, 10), queryIdx: [0, 9] })
               : evalSubset(ev, { pairIdx: every(ev.pairs.length, 5), queryIdx: every(ev.queries.length, 4).concat([1]) });
}

test(`WebGPU: ${name} evaluation set (${slow ? 'whole' : 'part'}) against sentence-transformers`, async () => {
  const t0 = performance.now();
  const part = evalPart();
  console.log(`# ${name} WebGPU eval: ${part.pairs.length} pairs, ${part.queries.length} queries over ${part.passages.length} passages`);
  await checkEval(`${name} WebGPU eval`, part, (texts) => model.embedGpu(texts), model.dimension);
  console.log(`# ${name}: WebGPU evaluation set in ${(performance.now() - t0).toFixed(0)} ms`);
});

test(`WebGPU fp16: ${name} golden cosine >= 0.9999 and the evaluation set's meaning checks`, async () => {
  // lavapipe offers 'shader-f16'; another software driver may not, and then fp16 cannot be tested here
  if (!hasF16) return assert.ok(!/lavapipe/.test(driver), `${driver} no longer reports 'shader-f16'`);
  const m = core.loadModel(readModelFiles(requireRealModel(name)));
  try {
    await m.initGpu({ precision: 'fp16' });
    assert.equal(m.precision, 'fp16');
    const g = readGolden(name);
    const sents = slow ? g.sentences : g.sentences.filter((s) => s.input_ids.length <= 24).filter((_, i) => i % 12 === 0);
    const got = await m.embedGpu(sents.map((s) => s.text));
    let minCos = 1;
    sents.forEach((s, i) => { minCos = Math.min(minCos, cosine(got.subarray(i * g.dim, (i + 1) * g.dim), s.embedding)); });
    console.log(`# ${name} WebGPU fp16: ${sents.length} golden sentences, min cosine ${minCos.toFixed(7)}`);
    assert.ok(minCos >= 0.9999, `fp16 min cosine ${minCos} < 0.9999`);
    // f16 activations move cosines by ~1e-3: scores are not compared to 1e-4, orders only where the reference gap > 1e-2
    await checkEval(`${name} WebGPU fp16 eval`, evalPart(true), (texts) => m.embedGpu(texts), m.dimension, { scoreTol: null, tie: 1e-2 });
  } finally {
    m.free();
  }
});

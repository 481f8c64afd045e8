// Every model family beyond BERT (tools/gen_family_models.py) on WebGPU, in Node with Dawn on a software Vulkan
// adapter, against the sentence-transformers goldens of tools/golden_families.py: fp32 within 1e-4 (the longest
// text, which crosses ModernBERT's and Gemma3's sliding windows, one of middling length and short ones batched;
// every sentence with GPUEMBED_SLOW=1), a text alone = in a batch, the last hidden state, a prompt, and fp16 with
// cosine >= 0.9999 where the adapter has 'shader-f16'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { requireGpu, exitWhenDone, loadModuleFactory, readFamilyFiles, readGolden, requireModels, slow, maxAbsDiff } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { compareCosine, compareEmbeddings, compareMatrix } from './golden_util.mjs';

const FAMILIES = ['xlmr-random', 'mpnet-random', 'nomic-random', 'modernbert-random', 'qwen3-random', 'gemma3-random'];
let core, driver, hasF16;
before(async () => {
  requireModels();
  const g = await requireGpu();
  driver = g.driver;
  hasF16 = (await g.gpu.requestAdapter()).features.has('shader-f16');
  core = await GpuEmbedCore.create(await loadModuleFactory(), { gpu: g.gpu });
});
exitWhenDone(after);

async function gpuModel(name, options = {}) {
  const m = core.loadModel(readFamilyFiles(path.join(requireModels(), name)));
  const adapter = await m.initGpu(options);
  // from head dimension 64 on attention runs attention_tiled.wgsl (kernels.cpp kTiledFromHeadDim)
  const cfg = JSON.parse(readFamilyFiles(path.join(requireModels(), name)).config);
  const headDim = cfg.head_dim || (cfg.hidden_size ?? cfg.n_embd) / (cfg.num_attention_heads ?? cfg.n_head);
  const attention = m.gpuStats().attention_kernel;
  assert.equal(attention, headDim >= 64 ? 'attention_tiled' : 'attention', `${name}: head dim ${headDim}`);
  console.log(`# ${name}: WebGPU ${m.precision} on ${driver}: ${adapter}; ${attention}`);
  return m;
}

// The golden sentences a run checks, in the batches it sends: the longest alone, a middling one alone (so the short
// ones are not padded to hundreds of tokens on a slow software adapter), the short ones together.
function batches(g) {
  if (slow) return [g.sentences];
  const byLength = g.sentences.map((s, i) => [s.input_ids.length, i]).sort((a, b) => b[0] - a[0]);
  const long = byLength[0][1], mid = byLength.find(([n]) => n < 200)[1];
  const short = [0, 7, 18, 24, 33, 42].filter((i) => i !== long && i !== mid);
  return [[long], [mid], short].map((part) => part.map((i) => g.sentences[i]));
}

async function embedBatches(m, parts, dim) {
  const got = new Float32Array(parts.flat().length * dim);
  let at = 0;
  for (const part of parts) {
    const r = await m.embedGpu(part.map((s) => s.text));
    got.set(r, at);
    at += r.length;
  }
  return got;
}

for (const name of FAMILIES) {
  test(`WebGPU fp32: ${name} golden, alone = in a batch, last hidden state, prompt`, async () => {
    const g = readGolden(name);
    const m = await gpuModel(name);
    try {
      assert.equal(m.precision, 'fp32');
      const parts = batches(g);
      const sents = parts.flat();
      const got = await embedBatches(m, parts, g.dim);
      compareEmbeddings(`${name} WebGPU fp32`, got, sents, g.dim);
      const short = parts[parts.length - 1];
      const batched = await m.embedGpu(short.map((s) => s.text));
      for (const i of [0, short.length - 1]) {
        const one = await m.embedGpu([short[i].text]);
        const d = maxAbsDiff(one, batched.subarray(i * g.dim, (i + 1) * g.dim));
        assert.ok(d < 1e-5, `${name}: sentence ${i} alone vs in a batch differs by ${d}`);
      }
      const te = g.token_embeddings[0];
      compareMatrix(`${name} WebGPU last hidden state`, await m.hiddenGpu(te.text), te.token_embeddings);
      const [prompt, want] = Object.entries(g.prompted_first_12 || {})[0] || [];
      if (prompt) {
        const texts = g.sentences.slice(0, 4).map((s) => s.text);
        const rows = want.embeddings.slice(0, 4).map((embedding, i) => ({ embedding, text: texts[i] }));
        compareEmbeddings(`${name} WebGPU fp32 with the ${prompt} prompt`, await m.embedGpu(texts, { name: prompt }),
                          rows, g.dim);
      }
    } finally {
      m.free();
    }
  });
}

for (const name of FAMILIES) {
  test(`WebGPU fp16: ${name} cosine to the golden`, async (t) => {
    if (!hasF16) return t.skip(`the adapter of ${driver} has no 'shader-f16'`);
    const g = readGolden(name);
    const m = await gpuModel(name, { precision: 'fp16', strict: true });
    try {
      assert.equal(m.precision, 'fp16');
      const parts = batches(g);
      compareCosine(`${name} WebGPU fp16`, await embedBatches(m, parts, g.dim), parts.flat(), g.dim);
    } finally {
      m.free();
    }
  });
}

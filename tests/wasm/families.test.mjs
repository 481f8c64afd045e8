// The model families beyond BERT (tools/gen_family_models.py, goldens of tools/golden_families.py) in the WASM
// build: the CPU path against sentence-transformers (token ids identical, embeddings within 1e-4, token embeddings,
// batch = single), and WebGPU: XLM-R runs on the GPU against the same golden; a family the WGSL kernels do not
// cover is refused at initGpu (WEBGPU_UNAVAILABLE, as initGpu reports any backend it cannot build, with the C++
// kModelInvalid message naming the family) while the CPU path keeps answering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { nodeGpu, loadModuleFactory, readModelFiles, readGolden, requireModels, maxAbsDiff } from './env.mjs';
import { GpuEmbedCore } from '../../src/wasm/core.mjs';
import { compareEmbeddings, compareIds, compareMatrix } from './golden_util.mjs';

const FAMILIES = ['xlmr-random', 'xlmr-old-random', 'mpnet-random', 'nomic-random', 'modernbert-random', 'qwen3-random',
                  'gemma3-random'];
let core;
before(async () => {
  requireModels();
  const g = await nodeGpu();
  assert.ok(g.gpu, g.why);
  core = await GpuEmbedCore.create(await loadModuleFactory(), { gpu: g.gpu });
});
after(() => setImmediate(() => process.exit(process.exitCode ?? 0)));  // Dawn keeps Node's event loop alive

// The folder's files plus what loadModel takes as `extra`: the prompts and the Dense modules (EmbeddingGemma's).
function familyFiles(dir) {
  const files = readModelFiles(dir);
  files.extra = {};
  for (const rel of ['config_sentence_transformers.json', ...['2_Dense', '3_Dense'].flatMap((m) =>
    [`${m}/config.json`, `${m}/model.safetensors`])]) {
    if (fs.existsSync(path.join(dir, rel))) files.extra[rel] = new Uint8Array(fs.readFileSync(path.join(dir, rel)));
  }
  return files;
}
const load = (name) => core.loadModel(familyFiles(path.join(requireModels(), name)));

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

test('WebGPU: xlmr-random golden (positions from pad_token_id + 1)', async () => {
  const g = readGolden('xlmr-random');
  const m = load('xlmr-random');
  try {
    await m.initGpu();
    const sents = g.sentences.filter((s) => s.input_ids.length <= 64);
    const got = await m.embedGpu(sents.map((s) => s.text));
    compareEmbeddings('xlmr-random WebGPU', got, sents, g.dim);
    const one = await m.embedGpu([sents[3].text]);
    assert.ok(maxAbsDiff(one, got.subarray(3 * g.dim, 4 * g.dim)) < 1e-5, 'batch vs single on WebGPU');
  } finally {
    m.free();
  }
});

for (const [name, family] of [['mpnet-random', 'mpnet'], ['nomic-random', 'nomic_bert'], ['modernbert-random', 'modernbert'],
                                   ['qwen3-random', 'qwen3'], ['gemma3-random', 'gemma3_text']]) {
  test(`WebGPU: ${name} is refused naming ${family}; the CPU path answers`, async () => {
    const g = readGolden(name);
    const m = load(name);
    try {
      await assert.rejects(m.initGpu(), (e) => (e.code === 'WEBGPU_UNAVAILABLE' &&
                                                e.message.includes(`the ${family} model family`)) ||
                                               (console.log('# got:', e.code, e.message), false));
      const got = m.embedCpu([g.sentences[0].text]);
      compareEmbeddings(`${name} WASM CPU after the WebGPU refusal`, got, g.sentences.slice(0, 1), g.dim);
    } finally {
      m.free();
    }
  });
}

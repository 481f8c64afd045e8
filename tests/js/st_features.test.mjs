// The sentence-transformers features through the public JS API, on the WASM CPU path and on WebGPU (the software
// adapter), against tests/golden/st-features.json (sentence-transformers 6.0.1, CPU float32): prompts per call and
// include_prompt, weightedmean / lasttoken pooling, Dense modules, truncateDim, sharded checkpoints, from a folder
// and from in-memory files. WebGPU pools the new modes and prompt-excluding calls on the CPU from the GPU's hidden
// states; the Dense head runs on the CPU after the readback.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { create, modelDir, compareRows, requireGpu, root, exitWhenDone, requireModels } from './helpers.mjs';
import { serve } from '../../demo/serve.mjs';

const golden = JSON.parse(fs.readFileSync(path.join(root, 'tests', 'golden', 'st-features.json'), 'utf8'));
const embedders = [];
after(async () => { for (const e of embedders) await e.dispose(); });
exitWhenDone(after);

// The load options and per-call options of a golden case (absent: encode's defaults).
const loadOptions = (c) => ({ maxBatch: 3, truncateDim: c.truncate_dim ?? 0, normalize: c.normalize_embeddings ? 1 : -1 });
const callOptions = (c) => (c.prompt !== undefined ? { promptText: c.prompt } : c.prompt_name !== undefined ? { prompt: c.prompt_name } : {});
const label = (c) => JSON.stringify(Object.fromEntries(Object.entries(c).filter(([k]) => !['embeddings', 'max_abs_diff_batched_vs_single'].includes(k))));

function inMemoryFiles(dir) {
  const files = {};
  const walk = (rel) => {
    for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) walk(r);
      else files[r] = /\.(safetensors|bin)$/.test(r) ? fs.readFileSync(path.join(dir, r)) : fs.readFileSync(path.join(dir, r), 'utf8');
    }
  };
  walk('');
  return files;
}

// source: 'folder', 'object' (in-memory files) or a base URL.
async function checkModel(name, backendOptions, source) {
  const m = golden.models[name];
  const e = await create(backendOptions);
  embedders.push(e);
  for (const c of m.cases) {
    const from = source === 'object' ? inMemoryFiles(modelDir(name)) : source === 'folder' ? modelDir(name) : source;
    const info = await e.loadModel(from, loadOptions(c));
    assert.equal(e.dimension, c.embeddings[0].length);
    assert.deepEqual(info.prompts, m.prompts);
    assert.equal(info.defaultPromptName, m.default_prompt_name);
    if (backendOptions.backend === 'webgpu') assert.equal(e.backend, 'webgpu');
    const rows = await e.embedBatch(golden.sentences, callOptions(c));
    compareRows(`${name} ${e.backend} ${label(c)}`, rows, c.embeddings.map((embedding) => ({ embedding })));
    const single = await e.embed(golden.sentences[3], callOptions(c));
    assert.ok(single.every((v, k) => Math.abs(v - rows[3][k]) <= 1e-6), 'one text alone equals its row in a batch');
  }
  await e.dispose();
}

for (const name of Object.keys(golden.models)) {
  test(`WASM CPU: ${name} matches sentence-transformers in every case (folder)`, () => checkModel(name, { backend: 'cpu' }, 'folder'));
}
test('WASM CPU: st-sharded-cls and st-lasttoken-dense from in-memory files', async () => {
  await checkModel('st-sharded-cls', { backend: 'cpu' }, 'object');
  await checkModel('st-lasttoken-dense', { backend: 'cpu' }, 'object');
  await checkModel('st-dense-bin', { backend: 'cpu' }, 'object');
});

test('WASM CPU: a sharded checkpoint and Dense modules (safetensors, pytorch_model.bin) over HTTP; a missing shard is FETCH_FAILED naming it', async () => {
  const faults = new Set();
  const server = await serve({
    mounts: { '/models': requireModels() },
    hook(req, res, p) {
      if (!faults.has(p)) return false;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no\n');
      return true;
    },
  });
  try {
    await checkModel('st-sharded-cls', { backend: 'cpu' }, `${server.url}/models/st-sharded-cls/`);
    await checkModel('st-dense-bin', { backend: 'cpu' }, `${server.url}/models/st-dense-bin/`);  // pytorch_model.bin
    faults.add('/models/st-sharded-cls/model-00002-of-00002.safetensors');
    const e = await create({ backend: 'cpu' });
    embedders.push(e);
    await assert.rejects(e.loadModel(`${server.url}/models/st-sharded-cls/`),
      (err) => err.code === 'FETCH_FAILED' && /model-00002-of-00002\.safetensors/.test(err.message) && err.status === 404);
  } finally {
    server.close();
  }
});

test('unknown prompt name: INVALID_INPUT naming the prompts; bad option types rejected', async () => {
  const e = await create({ backend: 'cpu' });
  embedders.push(e);
  await e.loadModel(modelDir('st-prompts-wmean'));
  await assert.rejects(e.embed('x', { prompt: 'qeury' }), (err) => err.code === 'INVALID_INPUT' &&
    /'qeury'/.test(err.message) && /'passage'/.test(err.message) && /'document'/.test(err.message));
  await assert.rejects(e.embed('x', { prompt: 3 }), (err) => err.code === 'INVALID_INPUT');
  await assert.rejects(e.embed('x', { prompt: 'query', promptText: 'q: ' }), (err) => err.code === 'INVALID_INPUT');
  // the model still answers, with its default prompt
  const a = await e.embed('x'), b = await e.embed('x', { promptText: 'query: ' });
  assert.deepEqual(Array.from(a), Array.from(b));
  await assert.rejects(e.loadModel(modelDir('st-lasttoken-dense'), { truncateDim: 65 }),
                       (err) => err.code === 'INVALID_INPUT' && /truncate_dim 65/.test(err.message));
});

for (const name of Object.keys(golden.models)) {
  test(`WebGPU: ${name} matches sentence-transformers in every case`, async () => {
    const g = await requireGpu();
    await checkModel(name, { backend: 'webgpu', gpu: g.gpu }, name === 'st-sharded-cls' ? 'object' : 'folder');
  });
}

// Error paths of the public API: no WebGPU (auto falls back to 'cpu', explicit 'webgpu' throws
// WEBGPU_UNAVAILABLE), files missing over HTTP (FETCH_FAILED naming the URL and status), broken safetensors
// (MODEL_INVALID), a missing folder (MODEL_NOT_FOUND). Models over HTTP come from a node:http server on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { create, modelDir, readGolden, compareRows, requireModels } from './helpers.mjs';
import { serve } from '../../demo/serve.mjs';

let server;
const faults = new Map();  // url path -> status code or Uint8Array body
before(async () => {
  server = await serve({
    mounts: { '/models': requireModels() },
    hook(req, res, p) {
      if (!faults.has(p)) return false;
      const f = faults.get(p);
      if (typeof f === 'number') res.writeHead(f, { 'content-type': 'text/plain' }).end(`status ${f}\n`);
      else res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': f.length }).end(f);
      return true;
    },
  });
});
after(() => server.close());

test('no WebGPU (Node without navigator.gpu): auto falls back to the WASM CPU path and says so', async () => {
  assert.equal(globalThis.navigator?.gpu, undefined, 'this test needs a runtime without navigator.gpu');
  const g = readGolden('tiny-bert-cls');
  const e = await create({ backend: 'auto' });
  const info = await e.loadModel(modelDir('tiny-bert-cls'));
  assert.equal(e.backend, 'cpu');
  assert.equal(info.backend, 'cpu');
  assert.match(e.fallbackReason, /WebGPU is not available/);
  compareRows('auto -> cpu fallback', await e.embedBatch(g.sentences.slice(0, 4).map((s) => s.text)), g.sentences.slice(0, 4));
  assert.equal(e.backend, 'cpu');
  await e.dispose();
});

test("explicit 'webgpu' without WebGPU throws WEBGPU_UNAVAILABLE", async () => {
  await assert.rejects(create({ backend: 'webgpu' }), (err) => {
    assert.equal(err.name, 'GpuEmbedderError');
    assert.equal(err.code, 'WEBGPU_UNAVAILABLE');
    assert.match(err.message, /navigator\.gpu is undefined/);
    return true;
  });
});

test("no adapter (requestAdapter() gives null): 'webgpu' throws WEBGPU_UNAVAILABLE, 'auto' falls back", async () => {
  const noAdapter = { requestAdapter: async () => null };  // what a browser without a usable GPU answers
  await assert.rejects(create({ backend: 'webgpu', gpu: noAdapter }),
                       (err) => err.code === 'WEBGPU_UNAVAILABLE' && /no adapter/.test(err.message));
  const e = await create({ backend: 'auto', gpu: noAdapter });
  await e.loadModel(modelDir('tiny-bert-cls'));
  assert.equal(e.backend, 'cpu');
  assert.match(e.fallbackReason, /requestAdapter\(\) returned null/);
  assert.equal((await e.embed('still works')).length, 128);
  await e.dispose();
});

test('model over HTTP: the same embeddings as golden; onProgress reports every file', async () => {
  const g = readGolden('tiny-bert-cls');
  const e = await create({ backend: 'cpu' });
  const events = [];
  const info = await e.loadModel(`${server.url}/models/tiny-bert-cls`, { onProgress: (p) => events.push(p) });
  assert.equal(info.source, `${server.url}/models/tiny-bert-cls/`);
  const size = fs.statSync(path.join(modelDir('tiny-bert-cls'), 'model.safetensors')).size;
  const st = events.filter((p) => p.file === 'model.safetensors');
  assert.ok(st.length >= 3, 'several progress events for the 17 MB safetensors file');
  assert.deepEqual(st[st.length - 1], { file: 'model.safetensors', loaded: size, total: size });
  st.forEach((p, i) => assert.ok(i === 0 || p.loaded >= st[i - 1].loaded, 'progress is monotonic'));
  for (const f of ['config.json', 'tokenizer.json', 'modules.json', '1_Pooling/config.json', 'sentence_bert_config.json']) {
    assert.ok(events.some((p) => p.file === f && p.loaded === p.total && p.total > 0), `progress for ${f}`);
  }
  compareRows('tiny over HTTP (CPU)', await e.embedBatch(g.sentences.slice(0, 6).map((s) => s.text)), g.sentences.slice(0, 6));
  await e.dispose();
});

test('a missing file over HTTP -> FETCH_FAILED naming the URL and the HTTP status', async () => {
  const e = await create({ backend: 'cpu' });
  await assert.rejects(e.loadModel(`${server.url}/models/no-such-model/`), (err) => {
    assert.equal(err.code, 'FETCH_FAILED');
    assert.equal(err.url, `${server.url}/models/no-such-model/config.json`);
    assert.equal(err.status, 404);
    assert.ok(err.message.includes(`${server.url}/models/no-such-model/config.json`) && /HTTP 404/.test(err.message), err.message);
    return true;
  });
  faults.set('/models/tiny-bert-cls/model.safetensors', 404);
  try {
    await assert.rejects(e.loadModel(`${server.url}/models/tiny-bert-cls/`),
      (err) => err.code === 'FETCH_FAILED' && err.message.includes(`${server.url}/models/tiny-bert-cls/model.safetensors`) && /404/.test(err.message));
  } finally { faults.clear(); }
  faults.set('/models/tiny-bert-cls/sentence_bert_config.json', 500);  // optional file, but a server error is not "absent"
  try {
    await assert.rejects(e.loadModel(`${server.url}/models/tiny-bert-cls/`),
      (err) => err.code === 'FETCH_FAILED' && err.status === 500 && /sentence_bert_config\.json failed: HTTP 500/.test(err.message));
  } finally { faults.clear(); }
  assert.equal(e.loaded, false);
  await assert.rejects(e.embed('x'), { code: 'MODEL_NOT_LOADED' });
  // an optional file that is absent (404) is fine
  faults.set('/models/tiny-bert-cls/sentence_bert_config.json', 404);
  try {
    await e.loadModel(`${server.url}/models/tiny-bert-cls/`);
    assert.equal(e.dimension, 128);
  } finally { faults.clear(); }
  await e.dispose();
});

test('a server that does not answer -> FETCH_FAILED naming the URL', async () => {
  const s2 = await serve({ mounts: {} });
  const dead = s2.url;
  await s2.close();
  const e = await create({ backend: 'cpu' });
  await assert.rejects(e.loadModel(`${dead}/m/`), (err) => err.code === 'FETCH_FAILED' && err.message.includes(`${dead}/m/`));
});

test('broken safetensors -> MODEL_INVALID naming the file (over HTTP, in memory)', async () => {
  const dir = modelDir('tiny-bert-cls');
  const good = new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors')));
  const e = await create({ backend: 'cpu' });
  faults.set('/models/tiny-bert-cls/model.safetensors', good.slice(0, 100000));  // truncated
  try {
    await assert.rejects(e.loadModel(`${server.url}/models/tiny-bert-cls/`),
      (err) => err.code === 'MODEL_INVALID' && /model\.safetensors/.test(err.message) && err.message.includes(server.url));
  } finally { faults.clear(); }
  const garbledHeader = good.slice();
  garbledHeader.fill(0x7b, 8, 40);  // '{{{{...' in the JSON header
  const files = { 'config.json': fs.readFileSync(path.join(dir, 'config.json'), 'utf8'),
                  'tokenizer.json': fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'),
                  'model.safetensors': garbledHeader };
  await assert.rejects(e.loadModel(files), (err) => err.code === 'MODEL_INVALID' && /safetensors/.test(err.message));
  await assert.rejects(e.loadModel({ ...files, 'model.safetensors': new Uint8Array(64).fill(0xff) }), { code: 'MODEL_INVALID' });
  await assert.rejects(e.loadModel({ ...files, 'config.json': '{"hidden_size": ' }), { code: 'MODEL_INVALID' });
  assert.equal(e.loaded, false);
  // the embedder is still usable
  await e.loadModel({ ...files, 'model.safetensors': good });
  assert.equal(e.dimension, 128);
  await e.dispose();
});

test('a missing folder or file on disk -> MODEL_NOT_FOUND naming the path', async () => {
  const e = await create({ backend: 'cpu' });
  await assert.rejects(e.loadModel('/nonexistent/model/dir'),
                       (err) => err.code === 'MODEL_NOT_FOUND' && err.message.includes('/nonexistent/model/dir'));
  const tmp = fs.mkdtempSync(path.join(requireModels(), '..', 'jsapi-test-'));
  try {
    fs.copyFileSync(path.join(modelDir('tiny-bert-cls'), 'config.json'), path.join(tmp, 'config.json'));
    fs.copyFileSync(path.join(modelDir('tiny-bert-cls'), 'tokenizer.json'), path.join(tmp, 'tokenizer.json'));
    await assert.rejects(e.loadModel(tmp), (err) => err.code === 'MODEL_NOT_FOUND' && err.message.includes(path.join(tmp, 'model.safetensors')));
    await assert.rejects(e.loadModel({ 'config.json': '{}' }), { code: 'MODEL_NOT_FOUND' });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

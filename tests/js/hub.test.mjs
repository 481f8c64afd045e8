// loadModel() with a Hugging Face model id ('org/name'): resolved to <hubHost>/<id>/resolve/<revision>/, against a
// local node:http server standing in for the hub (no network here): the files, the revision, the cache (keyed by
// file URL, so by id and revision), a wrong id (FETCH_FAILED naming the URL) and a repository without safetensors
// (an error listing the files looked for). CPU backend: the transport is what is tested here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from '../../demo/serve.mjs';
import { create, modelDir, readGolden, compareRows, root } from './helpers.mjs';
import { hubModelUrl } from '../../js/gpuembed.mjs';

let server, noWeights;
const requests = [];  // "METHOD path" when a request arrives (serve()'s own log is written when a response ends)
before(async () => {
  const tiny = modelDir('tiny-bert-cls');
  noWeights = fs.mkdtempSync(path.join(os.tmpdir(), 'gpuembed-hub-'));
  for (const f of ['config.json', 'modules.json', 'tokenizer.json', 'sentence_bert_config.json']) {
    fs.copyFileSync(path.join(tiny, f), path.join(noWeights, f));
  }
  server = await serve({ hook: (req, res, p) => { requests.push(`${req.method} ${p}`); return false; }, mounts: {
    '/test-org/tiny-bert-cls/resolve/main': tiny,
    '/test-org/tiny-bert-cls/resolve/v2': tiny,
    '/test-org/no-weights/resolve/main': noWeights,
  } });
});
after(async () => {
  await server.close();
  fs.rmSync(noWeights, { recursive: true, force: true });
});

// The Cache API is browser-only; loadModel() takes any object with its methods, so a Map stands in for it.
function memoryCache() {
  const m = new Map();
  return {
    m,
    async match(url) { const r = m.get(String(url)); return r ? r.clone() : undefined; },
    async put(url, res) { m.set(String(url), new Response(await res.arrayBuffer(), { headers: res.headers })); },
    async delete(url) { return m.delete(String(url)); },
    async keys() { return [...m.keys()].map((url) => ({ url })); },
  };
}

test('hubModelUrl: <host>/<id>/resolve/<revision>/, defaults to the Hugging Face hub and main', () => {
  assert.equal(hubModelUrl('sentence-transformers/all-MiniLM-L6-v2'),
               'https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/');
  assert.equal(hubModelUrl('a/b', { hubHost: 'http://127.0.0.1:9/', revision: 'v1.0' }), 'http://127.0.0.1:9/a/b/resolve/v1.0/');
  assert.equal(hubModelUrl('a/b', { revision: 'refs/pr/1' }), 'https://huggingface.co/a/b/resolve/refs%2Fpr%2F1/');
  for (const bad of ['a', 'a/b/c', '../a', 'a/..', '/a/b', 'a/b/']) assert.throws(() => hubModelUrl(bad), { code: 'INVALID_INPUT' });
});

test('a model id loads from the hub stand-in; embeddings match the golden file; revision picks the folder', async () => {
  const e = await create({ backend: 'cpu' });
  try {
    const info = await e.loadModel('test-org/tiny-bert-cls', { hubHost: server.url });
    assert.equal(info.source, `${server.url}/test-org/tiny-bert-cls/resolve/main/`);
    const g = readGolden('tiny-bert-cls');
    compareRows('tiny-bert-cls by model id', await e.embedBatch(g.sentences.slice(0, 4).map((s) => s.text)), g.sentences.slice(0, 4));
    const before = requests.length;
    const v2 = await e.loadModel('test-org/tiny-bert-cls', { hubHost: server.url, revision: 'v2' });
    assert.equal(v2.source, `${server.url}/test-org/tiny-bert-cls/resolve/v2/`);
    assert.ok(requests.slice(before).includes('GET /test-org/tiny-bert-cls/resolve/v2/model.safetensors'), requests.join('\n'));
  } finally {
    await e.dispose();
  }
});

test('the cache is keyed by id and revision: each revision cached on its own, a second load comes from the cache', async () => {
  const cache = memoryCache();
  const e = await create({ backend: 'cpu' });
  try {
    await e.loadModel('test-org/tiny-bert-cls', { hubHost: server.url, cache });
    await e.loadModel('test-org/tiny-bert-cls', { hubHost: server.url, revision: 'v2', cache });
    const keys = [...cache.m.keys()];
    for (const rev of ['main', 'v2']) {
      assert.ok(keys.includes(`${server.url}/test-org/tiny-bert-cls/resolve/${rev}/model.safetensors`), keys.join('\n'));
    }
    const before = requests.length;
    const again = await e.loadModel('test-org/tiny-bert-cls', { hubHost: server.url, cache });
    assert.ok(again.cache.cached.includes('model.safetensors'), JSON.stringify(again.cache));
    assert.ok(!requests.slice(before).some((l) => l.startsWith('GET ')), `downloaded again: ${requests.slice(before)}`);
  } finally {
    await e.dispose();
  }
});

test('a wrong model id -> FETCH_FAILED naming the URL and the id', async () => {
  const e = await create({ backend: 'cpu' });
  try {
    const url = `${server.url}/test-org/no-such-model/resolve/main/config.json`;
    await assert.rejects(e.loadModel('test-org/no-such-model', { hubHost: server.url }), (err) => {
      assert.equal(err.code, 'FETCH_FAILED');
      assert.equal(err.url, url);
      assert.ok(err.message.includes(url) && /HTTP 404/.test(err.message) && err.message.includes('test-org/no-such-model'), err.message);
      return true;
    });
    assert.equal(e.loaded, false);
  } finally {
    await e.dispose();
  }
});

test('a repository without model.safetensors -> an error that lists the files looked for', async () => {
  const e = await create({ backend: 'cpu' });
  try {
    await assert.rejects(e.loadModel('test-org/no-weights', { hubHost: server.url }), (err) => {
      assert.equal(err.code, 'FETCH_FAILED');
      assert.equal(err.detail, 'no-safetensors');
      assert.equal(err.url, `${server.url}/test-org/no-weights/resolve/main/model.safetensors`);
      assert.ok(/looked for: model\.safetensors/.test(err.message) && err.message.includes('test-org/no-weights'), err.message);
      return true;
    });
  } finally {
    await e.dispose();
  }
});

test('in Node, a folder named like a model id wins over the hub', async () => {
  const e = await create({ backend: 'cpu' });
  const cwd = process.cwd();
  try {
    process.chdir(path.join(root, '.cache'));
    const info = await e.loadModel('models/tiny-bert-cls', { hubHost: 'http://127.0.0.1:9' });  // port 9: nothing listens
    assert.equal(info.source, 'models/tiny-bert-cls');
  } finally {
    process.chdir(cwd);
    await e.dispose();
  }
});

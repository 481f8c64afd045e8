// Faults from the outside (reliability issue 7), each through the real code path:
//   - a download that breaks off midway (the server sends the headers with Content-Length and half of
//     model.safetensors, then destroys the socket),
//   - a server that answers with an HTML page instead of model.safetensors / config.json,
//   - a corrupt model file in the cache (bytes flipped in the stored entry),
//   - the GPU running out of memory for a big batch's activation buffers.
// The loading faults use a node:http server on 127.0.0.1 (demo/serve.mjs with a hook) and, for the cache, an
// in-memory object with the Cache API's match/put/delete (Node has no Cache API; loadModel({cache}) takes any Cache).
// Every case must give a clear error (code, URL, what happened), leave nothing broken behind, and a retry must load a
// model whose embeddings are bit for bit those of a direct load from the folder.
//
// GPU out of memory is injected by a GPUDevice wrapper with a memory budget (oomGpu below): an allocation that
// would exceed it behaves as a real one that the device cannot make (WebGPU spec, createBuffer): the buffer is
// invalid and a GPUOutOfMemoryError goes to the innermost 'out-of-memory' error scope. Everything else is the real
// Dawn device, so the core sees exactly what a real out-of-memory looks like.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { create, modelDir, requireModels, nodeGpu, exitWhenDone, maxDiff } from './helpers.mjs';
import { serve } from '../../demo/serve.mjs';
import { gpuWithDeviceHook, oomRefuser } from '../wasm/gpu_wrappers.mjs';

let server, gpu;
const faults = new Map();  // url path -> (req, res) => void, for GET requests
before(async () => {
  server = await serve({
    mounts: { '/models': requireModels() },
    hook(req, res, p) {
      if (req.method !== 'GET' || !faults.has(p)) return false;
      faults.get(p)(req, res);
      return true;
    },
  });
  gpu = (await nodeGpu()).gpu;
});
after(() => server.close());
exitWhenDone(after);

const TINY = 'tiny-bert-cls';
const tinyUrl = () => `${server.url}/models/${TINY}/`;
const TEXTS = ['The quick brown fox jumps over the lazy dog.', '', 'Ünïcödé: 東京は晴れ 🙂', 'a'.repeat(300)];

// Embeddings of a direct load from the folder: what every retry must reproduce exactly.
let reference;
async function referenceRows() {
  if (!reference) {
    const e = await create({ backend: 'cpu' });
    await e.loadModel(modelDir(TINY));
    reference = await e.embedBatch(TEXTS);
    await e.dispose();
  }
  return reference;
}

async function assertEmbedsLikeDirectLoad(e, label) {
  const rows = await e.embedBatch(TEXTS);
  const ref = await referenceRows();
  rows.forEach((r, i) => assert.deepEqual(r, ref[i], `${label}: text ${i} differs from a direct load`));
}

// The Cache API's surface that js/loader.mjs uses, in memory: entries are kept as bytes + headers, so a test can
// change the stored bytes the way a broken disk or an interrupted write would.
class MemoryCache {
  constructor() { this.entries = new Map(); }
  async match(req) {
    const e = this.entries.get(String(req.url ?? req));
    return e ? new Response(e.bytes.slice(), { headers: e.headers }) : undefined;
  }
  async put(req, res) {
    this.entries.set(String(req.url ?? req), { bytes: new Uint8Array(await res.arrayBuffer()), headers: [...res.headers] });
  }
  async delete(req) { return this.entries.delete(String(req.url ?? req)); }
  async keys() { return [...this.entries.keys()].map((url) => ({ url })); }
}

const safetensorsPath = () => path.join(modelDir(TINY), 'model.safetensors');

// Headers with the full Content-Length, then `part` bytes, then the connection is destroyed.
function breakOffAfter(file, part) {
  const bytes = fs.readFileSync(file);
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    res.write(bytes.subarray(0, part), () => setTimeout(() => res.socket.destroy(), 50));
  };
}

const HTML = '<!DOCTYPE html>\n<html><head><title>Sign in – Example Hub</title></head>' +
             `<body><form action="/login">${'<p>please sign in</p>'.repeat(40)}</form></body></html>\n`;
const htmlPage = (type = 'text/html; charset=utf-8') => (req, res) => {
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(HTML) }).end(HTML);
};

test('a download that breaks off midway: clear FETCH_FAILED naming the URL, nothing cached, the retry works', async () => {
  const size = fs.statSync(safetensorsPath()).size;
  const half = Math.floor(size / 2);
  const url = `${tinyUrl()}model.safetensors`;
  const e = await create({ backend: 'cpu' });
  const cache = new MemoryCache();
  for (const withCache of [false, true]) {
    faults.set(`/models/${TINY}/model.safetensors`, breakOffAfter(safetensorsPath(), half));
    const progress = [];
    let err;
    try {
      await e.loadModel(tinyUrl(), { cache: withCache ? cache : false, onProgress: (p) => progress.push(p) });
    } catch (x) { err = x; } finally { faults.clear(); }
    assert.ok(err, 'the load did not fail');
    console.log(`# broken download (${withCache ? 'with' : 'without'} a cache): ${err.code}: ${err.message}`);
    assert.equal(err.name, 'GpuEmbedderError');
    assert.equal(err.code, 'FETCH_FAILED');
    assert.equal(err.url, url);
    assert.equal(err.detail, 'incomplete');
    assert.ok(err.message.includes(url), err.message);
    const m = /broke off after (\d+) of (\d+) bytes/.exec(err.message);
    assert.ok(m, err.message);
    assert.equal(Number(m[2]), size);
    assert.ok(Number(m[1]) > 0 && Number(m[1]) <= half, `received ${m[1]} of the ${half} bytes sent`);
    assert.ok(progress.some((p) => p.file === 'model.safetensors' && p.loaded > 0 && p.loaded < size), 'progress showed the partial download');
    assert.equal(e.loaded, false, 'a failed load leaves no model');
    await assert.rejects(e.embed('x'), { code: 'MODEL_NOT_LOADED' });
    if (withCache) {
      assert.equal(cache.entries.has(url), false, 'part of a broken download was cached');
      assert.ok(cache.entries.has(`${tinyUrl()}config.json`), 'the files that did arrive are cached');
    }
    // the server is healthy again: the retry loads and embeds exactly like a direct load
    const info = await e.loadModel(tinyUrl(), { cache: withCache ? cache : false });
    if (withCache) {
      assert.deepEqual(info.cache.fetched, ['model.safetensors'], 'the retry fetches only what was missing');
      assert.equal(info.cache.cached.length, 6);  // config, modules, pooling, sentence_bert, tokenizer, config_sentence_transformers
      assert.equal(cache.entries.get(url).bytes.length, size);
    }
    await assertEmbedsLikeDirectLoad(e, `retry after a broken download (${withCache ? 'cache' : 'no cache'})`);
    await e.dispose();
  }

  // a break before any byte of the body arrived, and a chunked body (no Content-Length) that breaks off
  faults.set(`/models/${TINY}/model.safetensors`, breakOffAfter(safetensorsPath(), 0));
  await assert.rejects(e.loadModel(tinyUrl()), (x) => x.code === 'FETCH_FAILED' && x.url === url && /broke off after 0 of/.test(x.message));
  const bytes = fs.readFileSync(safetensorsPath());
  faults.set(`/models/${TINY}/model.safetensors`, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });  // Transfer-Encoding: chunked
    res.write(bytes.subarray(0, 1 << 20), () => setTimeout(() => res.socket.destroy(), 50));
  });
  await assert.rejects(e.loadModel(tinyUrl()), (x) => {
    console.log(`# broken chunked download: ${x.message}`);
    return x.code === 'FETCH_FAILED' && x.url === url && /broke off after \d+ bytes/.test(x.message);
  });
  faults.clear();
  await e.loadModel(tinyUrl());
  await assertEmbedsLikeDirectLoad(e, 'retry after a broken chunked download');
  await e.dispose();
});

test('an HTML page instead of model.safetensors or config.json: FETCH_FAILED saying what came, the retry works', async () => {
  const e = await create({ backend: 'cpu' });
  const cache = new MemoryCache();
  const cases = [
    ['model.safetensors', htmlPage(), /got an HTML page \(text\/html; charset=utf-8, \d+ bytes, title "Sign in – Example Hub"\) instead of safetensors weights/],
    ['config.json', htmlPage(), /got an HTML page .* instead of JSON/],
    // the content type is not needed: the page itself gives it away
    ['model.safetensors', htmlPage('application/octet-stream'), /got an HTML page \(application\/octet-stream, .*instead of safetensors weights/],
    ['tokenizer.json', htmlPage(''), /got an HTML page .* instead of JSON/],
  ];
  for (const [file, fault, re] of cases) {
    const url = `${tinyUrl()}${file}`;
    faults.set(`/models/${TINY}/${file}`, fault);
    await assert.rejects(e.loadModel(tinyUrl(), { cache }), (err) => {
      console.log(`# HTML for ${file}: ${err.code}: ${err.message}`);
      assert.equal(err.code, 'FETCH_FAILED');
      assert.equal(err.url, url);
      assert.equal(err.status, 200);
      assert.equal(err.detail, 'html');
      assert.ok(err.message.startsWith(`fetching ${url}: got an HTML page`), err.message);
      assert.match(err.message, re);
      assert.match(err.message, /resolve\/main\//, 'the message says what a good URL looks like');
      return true;
    });
    faults.clear();
    assert.equal(cache.entries.has(url), false, `the HTML page was cached as ${file}`);
    assert.equal(e.loaded, false);
    await e.loadModel(tinyUrl(), { cache });
    await assertEmbedsLikeDirectLoad(e, `retry after HTML for ${file}`);
    await e.dispose();
    cache.entries.clear();
  }
  // no false alarm: real JSON files served with a wrong content type (text/html) load
  const dir = modelDir(TINY);
  for (const f of ['config.json', 'tokenizer.json']) {
    const body = fs.readFileSync(path.join(dir, f));
    faults.set(`/models/${TINY}/${f}`, (req, res) => res.writeHead(200, { 'content-type': 'text/html', 'content-length': body.length }).end(body));
  }
  try {
    await e.loadModel(tinyUrl());
  } finally { faults.clear(); }
  await assertEmbedsLikeDirectLoad(e, 'JSON files served as text/html');
  await e.dispose();
});

test('a corrupt file in the cache is detected (size, SHA-256) and fetched again; offline it is a clear error', async () => {
  const e = await create({ backend: 'cpu' });
  const cache = new MemoryCache();
  const first = await e.loadModel(tinyUrl(), { cache });
  assert.equal(first.cache.fetched.length, 7);  // with config_sentence_transformers.json (prompts)
  await e.dispose();
  const stUrl = `${tinyUrl()}model.safetensors`, cfgUrl = `${tinyUrl()}config.json`;
  const gets = () => server.log.filter((l) => l.startsWith(`GET /models/${TINY}/`)).length;

  const corruptions = [
    ['model.safetensors: bytes flipped in the weights (same length)', stUrl, (b) => { b[b.length - 1001] ^= 0x40; b[b.length - 7] ^= 0x55; return b; }],
    ['model.safetensors: bytes flipped in the header', stUrl, (b) => { b[20] ^= 0x01; return b; }],
    ['model.safetensors: truncated', stUrl, (b) => b.slice(0, b.length >> 1)],
    ['config.json: one character changed', cfgUrl, (b) => { b[b.indexOf(0x31)] = 0x39; return b; }],  // a '1' -> '9'
  ];
  for (const [label, url, corrupt] of corruptions) {
    const entry = cache.entries.get(url);
    entry.bytes = corrupt(entry.bytes.slice());
    const before = gets();
    const info = await e.loadModel(tinyUrl(), { cache });
    const file = url.slice(tinyUrl().length);
    assert.deepEqual(info.cache.corrupt, [file], label);
    assert.deepEqual(info.cache.fetched, [file], label);
    assert.equal(info.cache.cached.length, 6, label);
    assert.equal(gets(), before + 1, `${label}: exactly the corrupt file was downloaded again`);
    console.log(`# cache: ${label}: detected, fetched again`);
    await assertEmbedsLikeDirectLoad(e, label);
    await e.dispose();
    // the cache holds the good file again
    assert.deepEqual(cache.entries.get(url).bytes, new Uint8Array(fs.readFileSync(path.join(modelDir(TINY), file))));
  }

  // an HTML page stored with a matching size and SHA-256 (what a loader without the HTML check cached from a portal):
  // without revalidation (the server is not asked whether the file changed) only the HTML check catches it
  {
    const page = new TextEncoder().encode(HTML);
    const entry = cache.entries.get(stUrl);
    const sha = crypto.createHash('sha256').update(page).digest('hex');
    entry.bytes = page;
    entry.headers = entry.headers.map(([k, v]) => [k, k === 'x-gpuembed-size' ? String(page.length) : k === 'x-gpuembed-sha256' ? sha : v]);
    const info = await e.loadModel(tinyUrl(), { cache, revalidate: false });
    assert.deepEqual(info.cache.corrupt, ['model.safetensors'], 'a cached HTML page');
    assert.deepEqual(info.cache.fetched, ['model.safetensors']);
    await assertEmbedsLikeDirectLoad(e, 'cached HTML page');
    await e.dispose();
  }

  // offline with a corrupt cached file: the corrupt bytes never reach the core; the error names the URL
  cache.entries.get(stUrl).bytes[4096] ^= 0xff;
  const s2 = await serve({ mounts: {} });
  const dead = s2.url;
  await s2.close();
  const rebased = new MemoryCache();
  for (const [k, v] of cache.entries) rebased.entries.set(k.replace(server.url, dead), v);
  await assert.rejects(e.loadModel(`${dead}/models/${TINY}/`, { cache: rebased }), (err) => {
    console.log(`# offline + corrupt cached file: ${err.code}: ${err.message}`);
    return err.code === 'FETCH_FAILED' && err.url === `${dead}/models/${TINY}/model.safetensors` &&
           /ECONNREFUSED/.test(err.message) && /cached copy was corrupt/.test(err.message);
  });
  assert.equal(rebased.entries.has(`${dead}/models/${TINY}/model.safetensors`), false, 'the corrupt entry was dropped');
  assert.equal(e.loaded, false);
});

// ---------- GPU out of memory ----------

// A GPU whose devices have `budget` bytes of buffer memory (Infinity until set): see the header comment.
function oomGpu(realGpu) {
  const ctl = { budget: Infinity, live: 0, injected: 0, largestRefused: 0 };
  const gpu = gpuWithDeviceHook(realGpu, (device) => {
    const refuse = oomRefuser(device);
    const sizes = new Map();  // real buffers -> bytes
    const createBuffer = device.createBuffer.bind(device);
    device.createBuffer = (d) => {
      if (ctl.live + d.size <= ctl.budget) {
        const b = createBuffer(d);
        sizes.set(b, d.size);
        ctl.live += d.size;
        const destroy = b.destroy.bind(b);
        b.destroy = () => { if (sizes.has(b)) { ctl.live -= sizes.get(b); sizes.delete(b); } destroy(); };
        return b;
      }
      ctl.injected++;
      ctl.largestRefused = Math.max(ctl.largestRefused, d.size);
      return refuse(d, `could not allocate ${d.size} bytes for buffer "${d.label || ''}" (test budget)`);
    };
    const destroyDevice = device.destroy.bind(device);
    device.destroy = () => { for (const sz of sizes.values()) ctl.live -= sz; sizes.clear(); destroyDevice(); };
  });
  return { ctl, gpu };
}

// Texts of 90–126 tokens: every pass has over 32 rows, so it takes the same matmul kernel whatever the batch size,
// and a text's embedding is then bit for bit the same alone or in any batch (measured: max |diff| 0).
function longTexts(n) {
  const words = 'river stone morning quiet market engine paper silver garden window thunder candle harbor'.split(' ');
  return Array.from({ length: n }, (_, i) => Array.from({ length: 88 + (i * 7) % 37 }, (_, k) => words[(i * 5 + k * 3) % words.length]).join(' '));
}

test('GPU out of memory on a big batch: split into smaller passes (down to one text), same embeddings', async (t) => {
  if (!gpu) return t.skip('no WebGPU in Node here');
  const texts = longTexts(16);
  // reference: one text per call on an unconstrained device, and the CPU path
  const plain = await create({ backend: 'webgpu', gpu });
  await plain.loadModel(modelDir(TINY));
  const single = [];
  for (const s of texts) single.push(await plain.embed(s));
  await plain.dispose();
  const cpu = await create({ backend: 'cpu' });
  await cpu.loadModel(modelDir(TINY));
  const onCpu = await cpu.embedBatch(texts);
  await cpu.dispose();

  const { gpu: limited, ctl } = oomGpu(gpu);
  const e = await create({ backend: 'webgpu', gpu: limited });
  await e.loadModel(modelDir(TINY), { maxBatch: 16 });
  assert.equal(e.backend, 'webgpu');
  await e.embedBatch(texts.slice(0, 4));  // activation buffers for 4 long texts (and the uniform buffer)
  const four = e.memoryInfo();
  // room for the buffers of a pass of 4 of these texts and a little more, not for 8
  ctl.budget = ctl.live + Math.floor(four.gpuActivationBytes / 4);
  console.log(`# GPU budget ${ctl.budget} B: weights ${four.gpuWeightBytes} B + activations of 4 texts ${four.gpuActivationBytes} B + 25 %`);

  const t0 = performance.now();
  const rows = await e.embedBatch(texts);
  const ms = performance.now() - t0;
  const after = e.memoryInfo();
  console.log(`# batch of ${texts.length} under the budget: ${ctl.injected} allocations refused (largest ${ctl.largestRefused} B), ` +
              `${ms.toFixed(0)} ms; activation bytes ${after.gpuActivationBytes}; GPU buffers ${after.gpuBuffers} (was ${four.gpuBuffers})`);
  assert.ok(ctl.injected > 0, 'the budget refused nothing: the test did not exercise the out-of-memory path');
  assert.equal(e.backend, 'webgpu', 'still on WebGPU');
  rows.forEach((r, i) => assert.deepEqual(r, single[i], `text ${i}: differs from the same text alone`));
  const dCpu = Math.max(...rows.map((r, i) => maxDiff(r, onCpu[i])));
  console.log(`# split batch: identical to one text per call; vs the CPU path max |diff| ${dCpu.toExponential(2)}`);
  assert.ok(dCpu > 0, 'the rows came from the GPU, not the CPU fallback');
  assert.ok(after.gpuActivationBytes <= ctl.budget - four.gpuWeightBytes, 'activation buffers within the budget');
  // The split batch ran as several passes, two in flight at once (api/job.h's overlap), each with a readback buffer
  // of its own: one buffer more than after the one-pass warm-up, and no other.
  assert.equal(after.gpuBuffers, four.gpuBuffers + 1, 'the invalid buffers of the failed passes were all released');

  // the device keeps to the smaller passes: the same batch again needs no failed pass
  const injected = ctl.injected;
  const again = await e.embedBatch(texts);
  assert.equal(ctl.injected, injected, 'the second big batch ran out of memory again');
  again.forEach((r, i) => assert.deepEqual(r, single[i], `again: text ${i}`));
  await e.dispose();
  assert.equal(ctl.live, 0, 'every GPU buffer freed by dispose()');

  // a device that cannot hold the buffers of even one of these texts: the chunk is answered on the CPU path and
  // the embedder stays on WebGPU; once memory is back, the GPU answers again
  const { gpu: tight, ctl: ctl2 } = oomGpu(gpu);
  const e2 = await create({ backend: 'webgpu', gpu: tight });
  await e2.loadModel(modelDir(TINY));
  await e2.embed('short');
  ctl2.budget = ctl2.live + 64 * 1024;
  const cpuRows = await e2.embedBatch(texts.slice(0, 5));
  console.log(`# budget below one text's buffers: ${ctl2.injected} allocations refused; the 5 texts answered on the CPU path`);
  assert.ok(ctl2.injected > 0);
  cpuRows.forEach((r, i) => assert.deepEqual(r, onCpu[i], `one text does not fit: text ${i} is not the CPU path's`));
  assert.equal(e2.backend, 'webgpu');
  ctl2.budget = Infinity;
  const back = await e2.embedBatch(texts.slice(0, 3));
  back.forEach((r, i) => assert.deepEqual(r, single[i], `after memory came back: text ${i}`));
  await e2.dispose();
  assert.equal(ctl2.live, 0);

  // out of memory on the very first pass, when even the small uniform buffer cannot be allocated: answered on the
  // CPU path; once memory is back, the GPU answers again (the failed uniform buffer is not kept)
  const { gpu: bare, ctl: ctl3 } = oomGpu(gpu);
  const e3 = await create({ backend: 'webgpu', gpu: bare });
  await e3.loadModel(modelDir(TINY));
  ctl3.budget = ctl3.live + 1024;
  const first = await e3.embedBatch(texts.slice(0, 2));
  console.log(`# first pass with 1 KiB to spare: ${ctl3.injected} allocations refused; answered on the CPU path`);
  assert.ok(ctl3.injected > 0);
  first.forEach((r, i) => assert.deepEqual(r, onCpu[i], `first pass out of memory: text ${i}`));
  ctl3.budget = Infinity;
  const later = await e3.embedBatch(texts.slice(0, 3));
  later.forEach((r, i) => assert.deepEqual(r, single[i], `first pass out of memory, then memory back: text ${i}`));
  assert.equal(e3.backend, 'webgpu');
  await e3.dispose();
  assert.equal(ctl3.live, 0);
});

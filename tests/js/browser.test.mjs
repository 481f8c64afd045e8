// The public JS API in headless Chromium (Debian's chromium; WebGPU on its SwiftShader adapter with
// --enable-unsafe-webgpu), driven by playwright-core. tests/js/browser/page.html loads /js/gpuembed.mjs from a
// node:http server on 127.0.0.1 (demo/serve.mjs); the test drives it with page.evaluate():
//   - golden sentences on the WASM CPU path (backend 'cpu') and on WebGPU (backend 'auto' -> 'webgpu'), model
//     fetched from a base URL, checked against tests/golden (the GPU part small: SwiftShader is slow);
//   - the Cache API model store: second load served from the cache (no GET of model files), offline load, a corrupt
//     cached file and a file changed on the server are detected and fetched again.
// tests/wasm/browser.test.mjs covers the low-level binding in Chromium over the whole golden sets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readGolden, compareRows, requireModels, buildDir, slow, CHROMIUM, CHROMIUM_ARGS } from './helpers.mjs';
import { serve, defaultMounts } from '../../demo/serve.mjs';


let server, browser, context;
const changed = new Map();  // url path -> extra etag suffix (the file "changed on the server")
before(async () => {
  requireModels();
  assert.ok(fs.existsSync(path.join(buildDir, 'gpuembed.mjs')), 'run scripts/build_wasm.sh first');
  assert.ok(CHROMIUM, 'chromium not found: apt-get install chromium');
  server = await serve({
    mounts: { ...defaultMounts(), '/build-wasm': buildDir },
    hook(req, res, p) {
      if (!changed.has(p)) return false;
      const body = fs.readFileSync(path.join(requireModels(), p.replace(/^\/models\//, '')));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length, etag: `"changed-${changed.get(p)}"` });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },
  });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  context = await browser.newContext();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage() {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/favicon|ERR_INTERNET_DISCONNECTED/.test(m.text() + m.location().url)) console.log('# page console:', m.text()); });
  page.on('requestfailed', (r) => { if (r.method() !== 'HEAD' && !/ERR_INTERNET_DISCONNECTED/.test(r.failure()?.errorText)) console.log('# request failed:', r.url(), r.failure()?.errorText); });
  await page.goto(`${server.url}/tests/js/browser/page.html`);
  await page.waitForFunction(() => document.title !== 'loading', null, { timeout: 60_000 });
  assert.equal(await page.title(), 'ready', errors.join('\n'));
  return page;
}

// Runs in the page: loads `model` with `backend`, embeds the golden sentences `idx`, returns plain data.
async function embedInPage(page, { model, backend, idx, cache = false }) {
  const { sentences } = readGolden(model);
  const texts = idx.map((i) => sentences[i].text);
  return page.evaluate(async ({ model, backend, texts, cache }) => {
    const { GpuEmbedder } = window.gpuembed;
    const e = await GpuEmbedder.create({ backend });
    const progress = [];
    let t0 = performance.now();
    const info = await e.loadModel(`/models/${model}/`, { cache, onProgress: (p) => progress.push(p) });
    const loadMs = performance.now() - t0;
    const ids = texts.map((t) => Array.from(e.tokenize(t)));
    t0 = performance.now();
    const rows = await e.embedBatch(texts);
    const embedMs = performance.now() - t0;
    const out = { backend: e.backend, info, loadMs, embedMs, ids, rows: rows.map((r) => Array.from(r)),
                  isF32: rows.every((r) => r instanceof Float32Array), progress, fallbackReason: e.fallbackReason };
    await e.dispose();
    return out;
  }, { model, backend, texts, cache });
}

function check(label, r, g, idx) {
  const sents = idx.map((i) => g.sentences[i]);
  r.ids.forEach((ids, k) => assert.deepEqual(ids, sents[k].input_ids, `${label}: ids of sentence ${idx[k]}`));
  assert.ok(r.isF32, 'rows are Float32Arrays');
  console.log(`# ${label}: load ${r.loadMs.toFixed(0)} ms, ${idx.length} sentences in ${r.embedMs.toFixed(0)} ms`);
  compareRows(label, r.rows.map((x) => Float32Array.from(x)), sents);
}

test('Chromium: JS API on the WASM CPU path and on WebGPU against golden (tiny-bert-cls, minilm-l6-random)', async () => {
  const page = await openPage();
  const tiny = readGolden('tiny-bert-cls');
  const long = tiny.sentences.findIndex((s) => s.input_ids.length === tiny.max_seq_length);
  const cpuIdx = [0, 1, 2, 7, 15, 23, 31, 44, 58, 71, long];
  const cpu = await embedInPage(page, { model: 'tiny-bert-cls', backend: 'cpu', idx: cpuIdx });
  assert.equal(cpu.backend, 'cpu');
  check('Chromium tiny-bert-cls JS API WASM CPU', cpu, tiny, cpuIdx);
  const st = cpu.progress.filter((p) => p.file === 'model.safetensors');
  assert.ok(st.length > 2 && st[st.length - 1].loaded === st[st.length - 1].total && st[0].total > 17e6,
            'streamed progress for model.safetensors');

  const gpuIdx = slow ? tiny.sentences.map((_, i) => i) : [0, 3, 9];
  const gpu = await embedInPage(page, { model: 'tiny-bert-cls', backend: 'auto', idx: gpuIdx });
  assert.equal(gpu.backend, 'webgpu', `auto did not pick WebGPU in Chromium: ${gpu.fallbackReason}`);
  console.log(`# Chromium adapter: ${gpu.info.adapter}`);
  check('Chromium tiny-bert-cls JS API WebGPU', gpu, tiny, gpuIdx);

  const mini = readGolden('minilm-l6-random');
  const miniIdx = [0, 24, 42];
  const mcpu = await embedInPage(page, { model: 'minilm-l6-random', backend: 'cpu', idx: miniIdx });
  check('Chromium minilm-l6-random JS API WASM CPU', mcpu, mini, miniIdx);
  if (slow) {
    const mgpu = await embedInPage(page, { model: 'minilm-l6-random', backend: 'webgpu', idx: miniIdx });
    assert.equal(mgpu.backend, 'webgpu');
    check('Chromium minilm-l6-random JS API WebGPU', mgpu, mini, miniIdx);
  }
  await page.close();
});

test('Chromium: Cache API model store: cached second load, offline load, corrupt and changed files fetched again', async () => {
  const page = await openPage();
  const g = readGolden('tiny-bert-cls');
  const idx = [0, 5];
  const load = () => embedInPage(page, { model: 'tiny-bert-cls', backend: 'cpu', idx, cache: true });
  const gets = () => server.log.filter((l) => l.startsWith('GET /models/tiny-bert-cls/')).length;
  await page.evaluate(() => window.gpuembed.clearModelCache());

  const first = await load();
  assert.deepEqual([...first.info.cache.fetched].sort(),
                   ['1_Pooling/config.json', 'config.json', 'config_sentence_transformers.json', 'model.safetensors', 'modules.json',
                    'sentence_bert_config.json', 'tokenizer.json']);
  check('cache: first load (fetched)', first, g, idx);

  let before = gets();
  const second = await load();
  assert.equal(gets(), before, 'the second load fetched model files again');
  assert.deepEqual(second.info.cache.fetched, []);
  assert.equal(second.info.cache.cached.length, 7);
  assert.ok(second.progress.some((p) => p.file === 'model.safetensors' && p.cached));
  check('cache: second load (from the Cache API)', second, g, idx);

  await context.setOffline(true);
  try {
    const offline = await load();
    assert.equal(offline.info.cache.cached.length, 7);
    check('cache: offline load', offline, g, idx);
  } finally {
    await context.setOffline(false);
  }

  // corrupt the cached safetensors (same length, one byte changed): the hash check catches it, it is fetched again
  await page.evaluate(async () => {
    const c = await caches.open('gpuembed-models');
    const url = new URL('/models/tiny-bert-cls/model.safetensors', location.href).href;
    const hit = await c.match(url);
    const b = new Uint8Array(await hit.arrayBuffer());
    b[b.length - 7] ^= 0x55;
    await c.put(url, new Response(b, { headers: hit.headers }));
  });
  before = gets();
  const repaired = await load();
  assert.deepEqual(repaired.info.cache.corrupt, ['model.safetensors']);
  assert.deepEqual(repaired.info.cache.fetched, ['model.safetensors']);
  assert.equal(gets(), before + 1);
  check('cache: corrupt cached file fetched again', repaired, g, idx);

  // a file changed on the server (new ETag): fetched again
  changed.set('/models/tiny-bert-cls/tokenizer.json', 1);
  try {
    const c = await load();
    assert.deepEqual(c.info.cache.fetched, ['tokenizer.json']);
    check('cache: changed file fetched again', c, g, idx);
  } finally { changed.clear(); }
  await page.evaluate(() => window.gpuembed.clearModelCache());
  await page.close();
});

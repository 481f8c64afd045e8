// The browser demo (demo/) and the browser example (examples/browser/) in headless Chromium (WebGPU on its
// SwiftShader adapter), served by demo/serve.mjs: the demo loads the model (progress bar), embeds its corpus on
// WebGPU, searches; the hits must agree with a brute-force reference computed here in Node on the WASM CPU path.
// A screenshot goes to build-wasm-js-artifacts/demo.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { create, modelDir, root, buildDir, readGolden, compareRows, CHROMIUM, CHROMIUM_ARGS } from './helpers.mjs';
import { requireRealModel } from '../wasm/env.mjs';
import { serve, defaultMounts } from '../../demo/serve.mjs';

const ARTIFACTS = path.join(root, 'build-wasm-js-artifacts');
const CORPUS = 12;  // passages embedded in the page (SwiftShader is slow)
let server, browser;
before(async () => {
  assert.ok(CHROMIUM, 'chromium not found');
  server = await serve({ mounts: { ...defaultMounts(), '/build-wasm': buildDir } });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

function cosineTopK(rows, q, k) {
  const n = (v) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return rows.map((r, id) => ({ id, score: r.reduce((a, x, j) => a + x * q[j], 0) / (n(r) * n(q)) }))
    .sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
}

test('demo: loads the model with progress, embeds the corpus on WebGPU, search hits match a brute-force reference', async () => {
  const passages = fs.readFileSync(path.join(root, 'demo', 'corpus.txt'), 'utf8').split('\n').map((s) => s.trim()).filter(Boolean).slice(0, CORPUS);
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const t0 = performance.now();
  await page.goto(`${server.url}/demo/?model=/models/tiny-bert-cls/&corpus=${CORPUS}`);
  await page.waitForFunction(() => ['ready', 'error'].includes(window.demo?.state), null, { timeout: 400_000 });
  const st = await page.evaluate(() => ({ ...window.demo, search: undefined }));
  assert.equal(st.state, 'ready', `demo failed: ${st.error} ${errors.join(' ')}`);
  console.log(`# demo ready in ${((performance.now() - t0) / 1000).toFixed(1)} s: backend ${st.backend} (${st.adapter}); ` +
              `model ${st.timings.load.toFixed(0)} ms, ${CORPUS} passages ${st.timings.corpus.toFixed(0)} ms`);
  assert.equal(st.backend, 'webgpu', 'the demo should run on WebGPU in Chromium');
  assert.equal(await page.locator('#backend-badge').textContent(), 'webgpu');
  assert.equal(await page.locator('#progress').evaluate((p) => p.value), 1);
  assert.equal(await page.locator('#corpus li').count(), CORPUS);

  // reference: the same model on the WASM CPU path in Node
  const e = await create({ backend: 'cpu' });
  await e.loadModel(modelDir('tiny-bert-cls'));
  const rows = await e.embedBatch(passages);
  const query = 'How do bees tell each other where flowers are?';
  const qv = await e.embed(query);
  await e.dispose();

  await page.fill('#query', query);
  await page.fill('#k', '5');
  await page.click('#search');
  await page.waitForFunction((q) => window.demo.state === 'ready' && window.demo.results.length === 5 && document.querySelector('#query').value === q, query);
  const hits = await page.evaluate(() => window.demo.results);
  const want = cosineTopK(rows, qv, 5);
  console.log(`# demo hits: ${hits.map((h) => `#${h.id} ${h.score.toFixed(6)}`).join(', ')}`);
  console.log(`# reference: ${want.map((h) => `#${h.id} ${h.score.toFixed(6)}`).join(', ')}`);
  hits.forEach((h, i) => {
    assert.ok(Math.abs(h.score - want[i].score) < 1e-5, `hit ${i}: score ${h.score} vs reference ${want[i].score}`);
    const same = h.id === want[i].id || Math.abs(want.find((w) => w.id === h.id)?.score - want[i].score) < 1e-5;
    assert.ok(same, `hit ${i}: #${h.id}, reference #${want[i].id}`);
    assert.equal(h.text, passages[h.id]);
  });
  assert.equal(await page.locator('#results li').count(), 5);
  // a passage as the query finds itself first, with cosine 1
  const self = await page.evaluate((q) => window.demo.search(q), passages[7]);
  assert.equal(self[0].id, 7);
  assert.ok(Math.abs(self[0].score - 1) < 1e-5);
  await page.fill('#query', query);
  await page.click('#search');
  await page.waitForFunction(() => window.demo.state === 'ready');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const shot = path.join(ARTIFACTS, 'demo.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`# screenshot: ${shot}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('demo with its default model, the real all-MiniLM-L6-v2 (WASM CPU in the page): written queries find their passage', async () => {
  requireRealModel('all-MiniLM-L6-v2');
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}/demo/?backend=cpu&corpus=${CORPUS}`);
  await page.waitForFunction(() => ['ready', 'error'].includes(window.demo?.state), null, { timeout: 120_000 });
  const st = await page.evaluate(() => ({ state: window.demo.state, error: window.demo.error, backend: window.demo.backend }));
  assert.equal(st.state, 'ready', `demo failed: ${st.error} ${errors.join(' ')}`);
  assert.equal(await page.locator('#model-url').inputValue(), `${server.url}/models/all-MiniLM-L6-v2/`);
  // questions in other words than their passage (demo/corpus.txt, first 12 lines)
  const asked = [['How do bees tell each other where flowers are?', 6], ['what gives cells their energy', 7],
                 ['when was the Paris landmark built', 0], ['how do plants make food from light', 1]];
  for (const [q, want] of asked) {
    const hits = await page.evaluate((text) => window.demo.search(text), q);
    console.log(`# demo (all-MiniLM-L6-v2, ${st.backend}): ${JSON.stringify(q)} -> #${hits[0].id} ${hits[0].score.toFixed(3)}, ` +
                `next #${hits[1].id} ${hits[1].score.toFixed(3)}`);
    assert.equal(hits[0].id, want, `${q}: first hit #${hits[0].id} ${JSON.stringify(hits[0].text)}`);
    assert.ok(hits[0].score - hits[1].score > 0.1, `${q}: the passage is not clearly ahead (${hits[0].score} vs ${hits[1].score})`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('demo: picking the second family (the real all-mpnet-base-v2, MPNet) loads it and its search finds the passages', async () => {
  requireRealModel('all-mpnet-base-v2');
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}/demo/?backend=cpu&corpus=${CORPUS}&autoload=0`);
  await page.selectOption('#model-pick', 'all-mpnet-base-v2');
  assert.equal(await page.locator('#model-url').inputValue(), `${server.url}/models/all-mpnet-base-v2/`);
  await page.click('#load');
  await page.waitForFunction(() => ['ready', 'error'].includes(window.demo?.state) && window.demo.timings.corpus !== undefined,
    null, { timeout: 240_000 });
  const st = await page.evaluate(() => ({ state: window.demo.state, error: window.demo.error, info: document.getElementById('model-info').textContent }));
  assert.equal(st.state, 'ready', `demo failed: ${st.error} ${errors.join(' ')}`);
  assert.match(st.info, /768/, `model info should show MPNet's 768 dimensions: ${st.info}`);
  for (const [q, want] of [['How do bees tell each other where flowers are?', 6], ['when was the Paris landmark built', 0]]) {
    const hits = await page.evaluate((text) => window.demo.search(text), q);
    console.log(`# demo (all-mpnet-base-v2): ${JSON.stringify(q)} -> #${hits[0].id} ${hits[0].score.toFixed(3)}, next #${hits[1].id} ${hits[1].score.toFixed(3)}`);
    assert.equal(hits[0].id, want, `${q}: first hit #${hits[0].id} ${JSON.stringify(hits[0].text)}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('examples/browser: the example page embeds on its backend and prints golden-checked vectors', async () => {
  const g = readGolden('tiny-bert-cls');
  const page = await browser.newPage();
  await page.goto(`${server.url}/examples/browser/?model=/models/tiny-bert-cls/&backend=cpu`);
  await page.waitForFunction(() => document.body.dataset.state === 'done' || document.body.dataset.state === 'error', null, { timeout: 120_000 });
  const r = await page.evaluate(() => window.example);
  assert.ok(!r.error, r.error);
  assert.equal(r.backend, 'cpu');
  const idx = r.sentences.map((t) => g.sentences.findIndex((s) => s.text === t));
  assert.ok(idx.every((i) => i >= 0), 'the example embeds golden sentences');
  compareRows('examples/browser (CPU)', r.vectors.map((v) => Float32Array.from(v)), idx.map((i) => g.sentences[i]));
  assert.match(await page.locator('#out').textContent(), /cosine/);
  await page.close();
});

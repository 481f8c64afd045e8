// The threaded module in headless Chromium: a page served with COOP/COEP (demo/serve.mjs's `isolate`, as
// `node demo/serve.mjs` serves the demo) is cross-origin isolated, so GpuEmbedder.create({ threads: 2 }) runs the
// threaded module there (its .worker.js loaded by the browser, the .wasm compiled once and shared with the workers):
// e.threads is 2 and the golden sentences match tests/golden and the 1-thread rows. The same page without the
// headers runs 1 thread and says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readGolden, compareRows, requireModels, buildDir, CHROMIUM, CHROMIUM_ARGS } from './helpers.mjs';
import { serve, defaultMounts } from '../../demo/serve.mjs';

let isolated, plain, browser;
before(async () => {
  requireModels();
  assert.ok(fs.existsSync(path.join(buildDir, 'gpuembed-mt.mjs')), 'run scripts/build_wasm.sh first');
  assert.ok(CHROMIUM, 'chromium not found: apt-get install chromium');
  const mounts = { ...defaultMounts(), '/build-wasm': buildDir };
  isolated = await serve({ mounts, isolate: true });
  plain = await serve({ mounts });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  await isolated?.close();
  await plain?.close();
});

async function embedInPage(server, texts, threadCounts) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(`${server.url}/tests/js/browser/page.html`);
    await page.waitForFunction(() => document.title !== 'loading', null, { timeout: 60_000 });
    assert.equal(await page.title(), 'ready', errors.join('\n'));
    return await page.evaluate(async ({ texts, threadCounts }) => {
      const { GpuEmbedder } = window.gpuembed;
      const runs = [];
      for (const threads of threadCounts) {
        const e = await GpuEmbedder.create({ backend: 'cpu', threads });
        const info = await e.loadModel('/models/minilm-l6-random/');
        const rows = await e.embedBatch(texts);
        runs.push({ threads: e.threads, infoThreads: info.threads, reason: e.threadsFallbackReason, simd: e.simd,
                    rows: rows.map((r) => Array.from(r)) });
        await e.dispose();
      }
      return { isolated: globalThis.crossOriginIsolated === true, relaxed: window.gpuembed.relaxedSimdSupported(), runs };
    }, { texts, threadCounts });
  } finally {
    await page.close();
  }
}

test('cross-origin isolated page: 2 threads run the threaded module, golden rows equal to 1 thread', async () => {
  const g = readGolden('minilm-l6-random');
  const sentences = g.sentences.slice(0, 8);
  const r = await embedInPage(isolated, sentences.map((s) => s.text), [2, 1]);
  assert.equal(r.isolated, true, 'the COOP/COEP headers did not make the page cross-origin isolated');
  const [two, one] = r.runs;
  assert.equal(two.threads, 2);
  assert.equal(two.infoThreads, 2);
  assert.equal(two.reason, null);
  assert.equal(one.threads, 1);
  // Where Chromium has relaxed SIMD both runs are on the relaxed-SIMD twins, whose rows agree with each other as the
  // SIMD128 modules' do.
  console.log(`# Chromium: relaxed SIMD ${r.relaxed ? 'validates' : 'does not validate'}; simd ${two.simd} / ${one.simd}`);
  for (const run of r.runs) assert.equal(run.simd, r.relaxed ? 'relaxed-simd' : 'simd128');
  compareRows('Chromium, threaded module, 2 threads', two.rows.map((x) => new Float32Array(x)), sentences);
  assert.deepEqual(two.rows, one.rows, '2 threads gave other rows than the single-threaded module');
});

test('page without COOP/COEP: 1 thread runs, threadsFallbackReason says why', async () => {
  const g = readGolden('minilm-l6-random');
  const r = await embedInPage(plain, [g.sentences[0].text], [2]);
  assert.equal(r.isolated, false);
  assert.equal(r.runs[0].threads, 1);
  assert.match(r.runs[0].reason, /cross-origin isolated/);
  compareRows('Chromium, single-threaded module', r.runs[0].rows.map((x) => new Float32Array(x)), [g.sentences[0]]);
});

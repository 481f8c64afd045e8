// The module in headless Chromium (Debian's chromium, WebGPU on its SwiftShader adapter with
// --enable-unsafe-webgpu), driven by playwright-core: a page served from 127.0.0.1 loads gpuembed.mjs (ES module)
// and a model over HTTP, embeds golden sentences on the WASM CPU path and on WebGPU; checked against tests/golden.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { root, buildDir, sharedDir, requireBuild, requireModels, readGolden, slow } from './env.mjs';
import { compareEmbeddings } from './golden_util.mjs';

const CHROMIUM = process.env.GPUEMBED_CHROMIUM || ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((p) => fs.existsSync(p));
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm',
                '.json': 'application/json' };
let server, base, browser;

before(async () => {
  requireBuild();
  const models = requireModels();
  assert.ok(CHROMIUM, 'chromium not found: apt-get install chromium (scripts/setup_webgpu_node.sh does)');
  const mounts = [['/build-wasm/', buildDir], ['/src/wasm/', path.join(root, 'src/wasm')],
                  ['/page/', path.join(root, 'tests/wasm/browser')], ['/models/', models],
                  ['/golden/', path.join(sharedDir, 'golden')]];
  server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const m = mounts.find(([p]) => url.startsWith(p));
    const file = m && path.resolve(m[1], url.slice(m[0].length));
    if (!file || !file.startsWith(path.resolve(m[1])) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
                                    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-dev-shm-usage'] });
});
after(async () => {
  await browser?.close();
  server?.close();
});

async function runPage(query, timeout) {
  const page = await browser.newPage();
  page.on('console', (m) => { if (/\[page\]|error/i.test(m.text())) console.log('# page:', m.text()); });
  await page.goto(`${base}/page/index.html?${query}`);
  await page.waitForFunction(() => document.title === 'done', null, { timeout });
  const r = await page.evaluate(() => window.__result);
  await page.close();
  assert.ok(!r.error, r.error);
  return r;
}

function check(label, part, g) {
  const sents = part.idx.map((i) => g.sentences[i]);
  console.log(`# ${label}: ${sents.length} sentences in ${part.ms.toFixed(0)} ms`);
  compareEmbeddings(label, Float32Array.from(part.vec), sents, g.dim);
}

// SwiftShader in Chromium is slow (~0.2-0.4 GFLOP/s): the whole tiny set on WebGPU only with GPUEMBED_SLOW=1
// (tests/wasm/webgpu_golden.test.mjs runs it in Node); by default every 5th sentence plus the truncated ones.
test(`Chromium: tiny-bert-cls golden on WASM CPU (all) and WebGPU (${slow ? 'all' : 'subset'})`, async () => {
  const g = readGolden('tiny-bert-cls');
  const subset = g.sentences.map((s, i) => i).filter((i) => i % 5 === 0 || g.sentences[i].input_ids.length === g.max_seq_length);
  const r = await runPage(`model=tiny-bert-cls&cpu=all&gpu=${slow ? 'all' : JSON.stringify(subset)}`, 600_000);
  r.ids.forEach((ids, i) => assert.deepEqual(ids, g.sentences[i].input_ids, `ids of sentence ${i}`));
  check('Chromium tiny-bert-cls WASM CPU', r.cpu, g);
  assert.ok(r.gpu, `no WebGPU in Chromium: ${r.gpuError}`);
  console.log(`# Chromium adapter: ${r.adapter}`);
  check('Chromium tiny-bert-cls WebGPU', r.gpu, g);
});

test(`Chromium: minilm-l6-random golden on WASM CPU (all) and WebGPU (${slow ? 'all' : 'short subset'})`, async () => {
  const g = readGolden('minilm-l6-random');
  const gpu = slow ? 'all' : '[0,18]';  // 2 x 12 rows: the few-rows matmul (tiled is covered in Node)
  const r = await runPage(`model=minilm-l6-random&cpu=all&gpu=${gpu}`, 900_000);
  r.ids.forEach((ids, i) => assert.deepEqual(ids, g.sentences[i].input_ids, `ids of sentence ${i}`));
  check('Chromium minilm-l6-random WASM CPU', r.cpu, g);
  assert.ok(r.gpu, `no WebGPU in Chromium: ${r.gpuError}`);
  check('Chromium minilm-l6-random WebGPU', r.gpu, g);
});

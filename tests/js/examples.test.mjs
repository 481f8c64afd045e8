// Runs every Node example (examples/*.mjs) the way the README says (one command each) and checks its output;
// printed vectors are compared with tests/golden or with the JS API's own CPU embeddings.
// (examples/browser/ runs in tests/js/demo.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { root, create, modelDir, readGolden } from './helpers.mjs';
import { vulkanDriver } from '../wasm/env.mjs';

const run = async (args, env = {}) => {
  const t0 = performance.now();
  const r = await promisify(execFile)(process.execPath, args, { cwd: root, timeout: 300_000, maxBuffer: 64 << 20,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || '/tmp', ...env } });
  console.log(`# node ${args.join(' ')}: ${(performance.now() - t0).toFixed(0)} ms`);
  return r;
};

test('examples/node-basic.mjs (WebGPU through npm webgpu)', async () => {
  const driver = vulkanDriver();
  const { stdout } = await run(['examples/node-basic.mjs'], driver?.icd ? { VK_ICD_FILENAMES: driver.icd } : {});
  console.log(stdout.replace(/^/gm, '#   '));
  assert.match(stdout, /backend: webgpu on /);
  assert.match(stdout, /dimension 384, mean pooling/);
  const g = readGolden('minilm-l6-random');
  for (const [k, text] of [[0, 'A man is eating food.'], [1, 'A man is eating a piece of bread.']]) {
    const m = stdout.match(new RegExp(`\\[${k}\\] ${text.replace(/\./g, '\\.')}  ->  \\[([^\\]]+), \\.\\.\\.\\]`));
    assert.ok(m, `no vector line for ${text}`);
    const printed = m[1].split(', ').map(Number);
    const ref = g.sentences.find((s) => s.text === text).embedding;
    printed.forEach((v, j) => assert.ok(Math.abs(v - ref[j]) <= 5e-5 + 1e-4, `${text}[${j}] = ${v}, golden ${ref[j]}`));
  }
  assert.equal(stdout.match(/^cosine\(\d, \d\) = -?\d\.\d{4}$/gm).length, 3);
});

test('examples/cpu-threads.mjs: 1 and 2 threads run as asked and give the same vectors', async () => {
  const { stdout } = await run(['examples/cpu-threads.mjs']);
  console.log(stdout.replace(/^/gm, '#   '));
  assert.match(stdout, /^threads: asked 1, running 1: 16 texts in \d+ ms$/m);
  assert.match(stdout, /^threads: asked 2, running 2: 16 texts in \d+ ms$/m);
  assert.match(stdout, /^same vectors on 1 and 2 threads: true$/m);
});

test('examples/batch-file.mjs writes one JSON line per text, with progress', async () => {
  const outFile = path.join(os.tmpdir(), `gpuembed-batch-${process.pid}.jsonl`);
  try {
    const { stderr } = await run(['examples/batch-file.mjs', 'examples/data/passages.txt', outFile]);
    assert.match(stderr, /embedded 24 \/ 24 \(100%\)/);
    assert.match(stderr, /loading model\.safetensors: 90\.9 \/ 90\.9 MB/);
    const lines = fs.readFileSync(outFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const passages = fs.readFileSync(path.join(root, 'examples/data/passages.txt'), 'utf8').split('\n').filter(Boolean);
    assert.deepEqual(lines.map((l) => l.text), passages);
    const e = await create({ backend: 'cpu' });
    await e.loadModel(modelDir('minilm-l6-random'));
    const ref = await e.embedBatch(passages);
    await e.dispose();
    let m = 0;
    lines.forEach((l, i) => l.embedding.forEach((v, j) => { m = Math.max(m, Math.abs(v - ref[i][j])); }));
    console.log(`# batch-file output vs the JS API: max |err| ${m.toExponential(3)}`);
    assert.ok(m < 1e-5);
  } finally {
    fs.rmSync(outFile, { force: true });
  }
});

test('examples/cpu-fallback.mjs', async () => {
  const { stdout } = await run(['examples/cpu-fallback.mjs']);
  assert.match(stdout, /^1\. backend 'cpu': ran on cpu, 384 floats/m);
  assert.match(stdout, /^2\. backend 'auto' without WebGPU: ran on cpu \(WebGPU is not available.*\); same vector: true$/m);
  assert.match(stdout, /^3\. backend 'webgpu' without WebGPU: WEBGPU_UNAVAILABLE: /m);
});

test('examples/semantic-search.mjs', async () => {
  const { stdout } = await run(['examples/semantic-search.mjs'], { VK_ICD_FILENAMES: '/nonexistent.json' });
  assert.match(stdout, /indexed 24 passages \(dimension 384\) on cpu/);
  // the second default query is passage #5 itself: found first with cosine 1
  assert.match(stdout, /query: WebGPU lets web pages run compute shaders on the graphics card\.[^\n]*\n {2}1\.0000 {2}#5 /);
  assert.match(stdout, /saved .*gpuembed-passages\.gpeidx \(18464 B, float16\); reloaded top hit: #\d+/);
  assert.equal(stdout.match(/^ {2}\d\.\d{4} {2}#\d+ /gm).length, 6);
});

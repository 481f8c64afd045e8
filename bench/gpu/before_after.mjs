#!/usr/bin/env node
// Same-run WebGPU comparison of two builds of ours (issue 11: the engine refactor must not slow the GPU path):
// each round runs bench/wasm/ours.mjs of the tree BEFORE and of this tree (AFTER), one process per measurement,
// alternating, so drift of the machine hits both sides alike. Prints a table of medians per round and the best of
// the rounds, and writes JSON to --out.
//
//   node bench/gpu/before_after.mjs --before DIR --work W [--rounds 3] [--cases short,b32x128,b256x128] [--out DIR]
//        [--dawn null]
// DIR: a checkout of the older commit with its build-wasm/gpuembed.{mjs,wasm}; W: bench/run_gpu.sh's work folder
// (node, webgpu, the regenerated minilm-l6-random). --dawn null: Dawn's null backend, which runs no GPU work,
// so a request's time is host time alone (our JS and WASM, the WebGPU glue, Dawn's validation): where a launch-bound
// request's difference between two builds comes from.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, why, table, fmt, log } from '../wasm/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const AFTER = path.resolve(HERE, '..', '..');
const a = { before: '', work: process.env.GPUEMBED_GPU_WORK || '/tmp/gpuembed-gpu', rounds: 3,
  cases: 'short,b32x128,b256x128', out: process.env.OUT || '/tmp/gpuembed-out', timeoutS: 240, dawn: '' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, ''), v = process.argv[i + 1];
  if (!(k in a) || v === undefined) { log(`before_after: unknown or valueless option ${process.argv[i]}`); process.exit(2); }
  a[k] = typeof a[k] === 'number' ? Number(v) : v;
}
if (!a.before || !fs.existsSync(path.join(a.before, 'build-wasm', 'gpuembed.wasm'))) {
  log('before_after: --before DIR needs DIR/build-wasm/gpuembed.wasm'); process.exit(2);
}
const cases = a.cases.split(',');
const sides = { before: path.resolve(a.before), after: AFTER };
let webgpuDir = path.join(a.work, 'node_modules', 'webgpu');
if (a.dawn) {  // a package that forwards to npm webgpu with Dawn's backend chosen
  const shim = fs.mkdtempSync(path.join(os.tmpdir(), 'gpuembed-dawn-'));
  fs.copyFileSync(path.join(webgpuDir, 'package.json'), path.join(shim, 'package.json'));
  fs.writeFileSync(path.join(shim, 'index.js'), `import * as w from ${JSON.stringify(path.join(webgpuDir, 'index.js'))};
export const globals = w.globals;
export const create = (flags = []) => w.create([${JSON.stringify(`backend=${a.dawn}`)}, ...flags]);
`);
  webgpuDir = shim;
}
const cmd = (tree) => [process.execPath, path.join(tree, 'bench', 'wasm', 'ours.mjs'), '--backend', 'webgpu',
  '--model', path.join(a.work, 'models', 'minilm-l6-random'), '--webgpu-dir', webgpuDir,
  '--cases', a.cases, '--max-time-s', '30'];

const runs = { before: [], after: [] };
let failures = 0;
for (let r = 1; r <= a.rounds; r++) {
  for (const side of r % 2 ? ['before', 'after'] : ['after', 'before']) {
    let res = null;
    for (let t = 1; t <= 3 && !(res && res.ok); t++) {  // Dawn in Node dies at random there (gpu-device.md)
      res = await runProcess(cmd(sides[side]), { timeoutS: a.timeoutS, cwd: sides[side], echo: false });
      if (!res.ok) { failures++; log(`before_after: ${side} round ${r} try ${t} failed: ${why(res)}`); }
    }
    const med = Object.fromEntries(cases.map((c) => [c, res?.ok ? res.json.cases?.[c]?.median_ms ?? null : null]));
    runs[side].push(med);
    log(`before_after: round ${r} ${side}: ${cases.map((c) => `${c} ${fmt(med[c])} ms`).join(', ')}`);
  }
}
const best = (side, c) => Math.min(...runs[side].map((m) => m[c]).filter((x) => x != null));
const rows = cases.map((c) => [c, ...runs.before.flatMap((_, i) => [fmt(runs.before[i][c]), fmt(runs.after[i][c])]),
  fmt(best('before', c)), fmt(best('after', c)), `${(best('before', c) / best('after', c)).toFixed(3)}×`]);
const head = ['case', ...runs.before.flatMap((_, i) => [`before r${i + 1}`, `after r${i + 1}`]), 'best before', 'best after',
  'before/after'];
console.log(`WebGPU end-to-end medians (ms), before = ${a.before}, after = this tree; ${failures} failed process(es)`);
console.log(table(head, rows));
fs.mkdirSync(a.out, { recursive: true });
fs.writeFileSync(path.join(a.out, 'before_after.json'), JSON.stringify({ cases, runs, failures }, null, 1));

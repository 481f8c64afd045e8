#!/usr/bin/env node
// Summary of a V8 CPU profile (node --cpu-prof; bench/gpu/host_profile.sh writes them): self time per function and
// per layer (our WASM, the Emscripten WebGPU glue, core.mjs, Dawn's JS wrapper, the event loop, GC, idle), over the
// samples after the last one inside model loading / pipeline creation (the steady state of repeated requests).
//   node bench/gpu/cpuprof_top.mjs FILE.cpuprofile [--top N] [--all]
// --all: every sample (load included). WASM functions have names only in a module linked with --profiling-funcs.
import fs from 'node:fs';

const argv = process.argv.slice(2);
const file = argv.find((x) => !x.startsWith('--') && !/^\d+$/.test(x));
const top = +(argv[argv.indexOf('--top') + 1] || 30);
if (!file) { console.error('usage: cpuprof_top.mjs FILE.cpuprofile [--top N] [--all]'); process.exit(2); }
const p = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
const LOAD = new Set(['loadModel', '_wgpuDeviceCreateComputePipeline']);
const inLoad = (id) => { for (let x = id; x !== undefined; x = parent.get(x)) if (LOAD.has(byId.get(x).callFrame.functionName)) return true; return false; };
let first = 0;
if (!argv.includes('--all')) for (let i = 0; i < p.samples.length; i++) if (inLoad(p.samples[i])) first = i + 1;

const layer = (fn, url) => (/^wasm-function|^wasm-to-js|^js-to-wasm/.test(fn) || url.startsWith('wasm') ? 'wasm (ours)'
  : /^_wgpu|^_emscripten/.test(fn) ? 'emscripten webgpu glue' : url.includes('gpuembed') ? 'module js'
  : url.includes('core.mjs') ? 'core.mjs' : url.includes('webgpu/') ? 'dawn js wrapper'
  : fn.startsWith('(') ? fn : /Immediate|timers/.test(url + fn) ? 'event loop (polling)' : 'other js');
const self = new Map(), layers = new Map();
let total = 0;
for (let i = first; i < p.samples.length; i++) {
  const { functionName: fn, url, lineNumber, columnNumber } = byId.get(p.samples[i]).callFrame;
  const d = (p.timeDeltas[i] || 0) / 1000;
  const k = `${fn || '(anonymous)'}  ${url.split('/').slice(-2).join('/')}:${lineNumber}:${columnNumber}`;
  self.set(k, (self.get(k) || 0) + d);
  layers.set(layer(fn, url), (layers.get(layer(fn, url)) || 0) + d);
  total += d;
}
const pct = (v) => `${(100 * v / total).toFixed(1).padStart(5)}%`;
console.log(`${file}: samples ${first}..${p.samples.length}, ${total.toFixed(1)} ms`);
for (const [k, v] of [...layers].sort((a, b) => b[1] - a[1])) console.log(`${v.toFixed(1).padStart(9)} ms ${pct(v)}  [${k}]`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${v.toFixed(1).padStart(9)} ms ${pct(v)}  ${k}`);

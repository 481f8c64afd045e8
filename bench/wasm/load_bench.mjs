#!/usr/bin/env node
// Model load and dispose time of the WASM module (single-threaded gpuembed.mjs, CPU backend, through the public API
// js/gpuembed.mjs), per model folder: loadModel() from a files object already in memory, one embed, dispose(),
// repeated; medians. Compares two builds when --before names another checkout (its js/ and build-wasm/): one
// process per measurement, alternating, so the machine's drift hits both sides alike.
//
//   node bench/wasm/load_bench.mjs [--models a,b,...] [--models-dir DIR] [--cycles 10] [--rounds 3] [--before DIR]
//        [--out FILE]
// Models: folders under --models-dir (default .cache/models: scripts/gen_models.sh, scripts/get_models.sh). A large
// vocabulary: python3 bench/wasm/make_big_vocab.py, then --models-dir .cache/big-vocab --models xlmr-250k.
// Prints a table and JSON.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, r3 } from '../common.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const a = { models: 'tiny-bert-cls,xlmr-random,qwen3-random,all-MiniLM-L6-v2', modelsDir: '', cycles: 10, rounds: 3,
  before: '', out: '', child: '', tree: REPO };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase()), v = process.argv[i + 1];
  if (!(k in a) || v === undefined) { console.error(`load_bench: unknown or valueless option ${process.argv[i]}`); process.exit(2); }
  a[k] = typeof a[k] === 'number' ? Number(v) : v;
}
const modelsDir = path.resolve(a.modelsDir || path.join(REPO, '.cache', 'models'));

// The files a model folder gives loadModel() (what the API reads from a folder or URL), read once.
function filesOf(dir) {
  const files = {};
  const walk = (rel) => {
    for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) walk(r);
      // (other formats of the same weights are not read: ONNX, and pytorch_model.bin next to a model.safetensors)
      else if (!/\.onnx$/.test(r) && !(/\.bin$/.test(r) && fs.existsSync(path.join(dir, rel, 'model.safetensors')))) {
        files[r] = new Uint8Array(fs.readFileSync(path.join(dir, r)));
      }
    }
  };
  walk('');
  return files;
}

async function child() {
  const { GpuEmbedder } = await import(pathToFileURL(path.join(a.tree, 'js', 'gpuembed.mjs')).href);
  const e = await GpuEmbedder.create({ backend: 'cpu', threads: 1,
    moduleUrl: pathToFileURL(path.join(a.tree, 'build-wasm', 'gpuembed.mjs')) });
  const files = filesOf(path.join(modelsDir, a.child));
  const load = [], embed = [], dispose = [];
  for (let i = 0; i < a.cycles; ++i) {
    const t0 = performance.now();
    await e.loadModel(files);
    const t1 = performance.now();
    await e.embed('The quick brown fox jumps over the lazy dog.');
    const t2 = performance.now();
    await e.dispose();
    const t3 = performance.now();
    load.push(t1 - t0), embed.push(t2 - t1), dispose.push(t3 - t2);
  }
  const bytes = Object.values(files).reduce((s, b) => s + b.length, 0);
  console.log(JSON.stringify({ model: a.child, bytes, load_ms: r3(median(load)), embed_ms: r3(median(embed)),
    dispose_ms: r3(median(dispose)), load_min_ms: r3(Math.min(...load)) }));
  process.exit(0);
}

function measure(tree, model) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', model, '--tree', tree,
    '--cycles', String(a.cycles), '--models-dir', modelsDir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop());
}

async function main() {
  const sides = a.before ? { before: path.resolve(a.before), after: REPO } : { after: REPO };
  const rows = [];
  for (const model of a.models.split(',')) {
    if (!fs.existsSync(path.join(modelsDir, model))) { console.error(`load_bench: no ${model} in ${modelsDir}`); continue; }
    const res = Object.fromEntries(Object.keys(sides).map((s) => [s, []]));
    for (let r = 1; r <= a.rounds; ++r) {
      for (const s of r % 2 ? Object.keys(sides) : Object.keys(sides).reverse()) res[s].push(measure(sides[s], model));
    }
    for (const [s, list] of Object.entries(res)) {
      const row = { model, side: s, bytes: list[0].bytes, load_ms: list.map((x) => x.load_ms),
        dispose_ms: list.map((x) => x.dispose_ms), embed_ms: list.map((x) => x.embed_ms) };
      rows.push(row);
      console.log(`${model.padEnd(18)} ${s.padEnd(6)} ${(row.bytes / 1e6).toFixed(1).padStart(6)} MB  load ${row.load_ms.join(', ')} ms` +
        `  dispose ${row.dispose_ms.join(', ')} ms  first embed ${row.embed_ms.join(', ')} ms`);
    }
  }
  const json = { date: new Date().toISOString(), cycles: a.cycles, rounds: a.rounds, node: process.version, rows };
  if (a.out) fs.writeFileSync(a.out, JSON.stringify(json, null, 1));
}

if (a.child) await child(); else await main();

#!/usr/bin/env node
// The GPU benchmark (run by bench/run_gpu.sh on the lent GPU machine, or in a CPU-only dry run): our WebGPU path
// (Node + Dawn, npm webgpu) vs transformers.js device:'webgpu' (onnxruntime-node's own Dawn) vs PyTorch
// sentence-transformers on CUDA fp32, same inputs (bench/inputs.json), end to end. This orchestrating process never
// touches the GPU: every measurement is its own process with a timeout, and Dawn-based ones get retries (Node +
// dawn.node processes abort at random on that machine: ../shared/notes/gpu-device.md), failures are counted.
//
//   node bench/gpu/bench_gpu.mjs --work DIR [--cases short,b32x128,...] [--canary 5] [--tries 3] [--out DIR]
//        [--quick] [--no-peer] [--no-torch] [--no-golden] [--no-phases] [--timeout-s S] [--budget-s S] [--api core|js]
//        [--precision fp16] [--gpu-toggles LIST] [--no-ours]
// --precision fp16: also fp16 against fp32 on our path (bench/gpu/precision.mjs: both precisions in one process per
// case, timed in alternation; min cosine of fp16 vs fp32 on the case's texts; with the golden check, both against
// ../shared/golden). Its GPU object gets Dawn's toggle vulkan_enable_f16_on_nvidia (NVIDIA's Vulkan driver hides
// 'shader-f16' without it; --gpu-toggles replaces the list). --no-ours skips the per-case fp32 runs of ours.mjs.
// --budget-s (default 400): measurements that would start after this many seconds are skipped (and listed), so the
// whole device call ends inside its limit; --timeout-s (default 120): per process.
// DIR (made by bench/run_gpu.sh): node_modules/webgpu, models/minilm-l6-random (+ tiny-bert-cls),
//   peer/bench/peer/{run_peer.mjs,inputs.mjs,node_modules}, peer/bench/inputs.json, peer-model/ (ONNX + tokenizer),
//   shared/golden/minilm-l6-random.shared.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runProcess, why, median, r3, table, fmt, ratio, log } from '../wasm/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const ALL = ['short', 'b32x128', 'b256x128', 's512x1', 's512x2', 's512x4', 's512x8', 's512x16', 's512x32'];
const a = { work: '/tmp/gpuembed-gpu', cases: ALL.join(','), canary: 5, tries: 3, out: process.env.OUT || '', quick: false,
  peer: true, torch: true, timeoutS: 120, golden: true, budgetS: 400, api: 'core', phases: true, precision: 'fp32',
  toggles: null, ours: true };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i], v = () => argv[++i];
  if (k === '--work') a.work = path.resolve(v());
  else if (k === '--cases') a.cases = v();
  else if (k === '--canary') a.canary = +v();
  else if (k === '--tries') a.tries = +v();
  else if (k === '--out') a.out = v();
  else if (k === '--quick') a.quick = true;
  else if (k === '--no-peer') a.peer = false;
  else if (k === '--no-torch') a.torch = false;
  else if (k === '--no-golden') a.golden = false;
  else if (k === '--timeout-s') a.timeoutS = +v();
  else if (k === '--budget-s') a.budgetS = +v();
  else if (k === '--api') a.api = v();
  else if (k === '--no-phases') a.phases = false;
  else if (k === '--precision') a.precision = v();
  else if (k === '--gpu-toggles') a.toggles = v();
  else if (k === '--no-ours') a.ours = false;
  else { log(`bench_gpu: unknown argument ${k}`); process.exit(2); }
}
if (!['fp32', 'fp16'].includes(a.precision)) { log(`bench_gpu: --precision must be fp32 or fp16`); process.exit(2); }
const toggles = a.toggles ?? (a.precision === 'fp16' ? 'vulkan_enable_f16_on_nvidia' : '');
const W = a.work;
const cases = a.cases.split(',').filter(Boolean);
// [ours repeats, peer repeats, torch repeats]; --quick: a software adapter can afford one or two calls
const REPS = a.quick ? { short: [3, 3, 3] } : { short: [50, 30, 50], b32x128: [20, 10, 20], b256x128: [10, 5, 10],
  s512x1: [20, 10, 20], s512x2: [20, 10, 20], s512x4: [10, 5, 10], s512x8: [10, 5, 10], s512x16: [5, 3, 5], s512x32: [5, 3, 5] };
const reps = (c, i) => (REPS[c] || [2, 2, 2])[i];
const node = process.execPath;
const oursModel = path.join(W, 'models', 'minilm-l6-random');
const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || '/tmp', GPUEMBED_SHARED_DIR: path.join(W, 'shared') };

const t0 = Date.now();
const procs = [];
let failures = 0;
const left = () => a.budgetS - (Date.now() - t0) / 1000;
async function measure(label, kind, cmd, { tries = a.tries, timeoutS = a.timeoutS } = {}) {
  for (let t = 1; t <= tries; t++) {
    // --budget-s: the whole benchmark must end inside the device call; skip what no longer fits
    const limit = Math.min(timeoutS, left());
    if (limit < 15) {
      procs.push({ label, kind, try: t, ok: false, skipped: true, error: 'skipped: --budget-s used up' });
      log(`bench_gpu: ${label}: SKIPPED (budget used up)`);
      return null;
    }
    const res = await runProcess(cmd, { timeoutS: limit, env, cwd: REPO, echo: false });
    procs.push({ label, kind, try: t, ok: res.ok, ms: res.ms, code: res.code, signal: res.signal, timed_out: res.timedOut,
      error: res.ok ? undefined : why(res) });
    if (res.ok) {
      log(`bench_gpu: ${label}: ok (try ${t}, ${(res.ms / 1000).toFixed(1)} s)`);
      return res.json;
    }
    failures++;
    log(`bench_gpu: ${label}: FAILED try ${t}/${tries}: ${why(res)}`);
    // an engine error that is no crash (e.g. no adapter) will not go away on a retry
    if (res.json && res.json.ok === false && res.code === 0 && !res.timedOut && !/exited with code|signal/.test(res.json.error || '')) {
      return res.json;
    }
  }
  return null;
}
const oursCmd = (extra) => [node, path.join(REPO, 'bench', 'wasm', 'ours.mjs'), '--backend', 'webgpu', '--model', oursModel,
  '--webgpu-dir', path.join(W, 'node_modules', 'webgpu'), '--max-time-s', '20', '--api', a.api, ...extra];
const peerCmd = (extra) => [node, path.join(W, 'peer', 'bench', 'peer', 'run_peer.mjs'), '--engine', 'tjs-webgpu',
  '--model', path.join(W, 'peer-model'), '--timeout-s', String(a.timeoutS - 10), ...extra];

const doc = { generated_by: 'bench/gpu/bench_gpu.mjs', date: new Date().toISOString(), host: os.hostname(), cpus: os.cpus().length,
  cpu_model: os.cpus()[0]?.model, node: process.version, quick: a.quick, cases, api: a.api, precision: a.precision,
  gpu_toggles_precision_runs: toggles || null };
try { doc.gpu = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8' }).trim(); } catch { doc.gpu = null; }
try { doc.packed = fs.readFileSync(path.join(W, 'PACKED.txt'), 'utf8').trim(); } catch { /* */ }

// 1. canary: the exact configuration (Node + dawn.node + our module), short sentence, one process each, no retries
doc.canary = [];
for (let i = 1; i <= a.canary; i++) {
  const j = await measure(`canary ${i}/${a.canary}`, 'canary', oursCmd(['--cases', 'short:3', '--warmup', '1']), { tries: 1 });
  doc.canary.push(j ? { ok: j.ok, adapter: j.adapter, short_ms: j.cases?.short?.median_ms, cold_ms: j.cold?.total_ms, error: j.error } : { ok: false });
}
doc.canary_ok = doc.canary.filter((c) => c.ok).length;
log(`bench_gpu: canary ${doc.canary_ok}/${a.canary} processes ok`);

// 1b. where the time of a request goes (bench/gpu/phases.mjs: host phases + WebGPU calls per request), one process
if (a.phases) {
  doc.phases = await measure('phases (ours, webgpu)', 'phases', [node, path.join(HERE, 'phases.mjs'), '--model', oursModel,
    '--webgpu-dir', path.join(W, 'node_modules', 'webgpu'), '--cases', a.quick ? 'short:3' : 'short:50,b32x128:10,b256x128:5']);
}

// 2. golden check on the GPU (all 80 sentences: one batch, then one at a time)
if (a.golden) {
  const j = await measure('golden (ours, webgpu)', 'golden', oursCmd(['--cases', 'short:1', '--warmup', '0', '--golden', a.quick ? '4' : 'all']));
  doc.golden_ours = j?.golden ?? null;
}

// 2b. fp16 vs fp32 (ours only): the golden sentences, then each case, both precisions in one process
const precisionCmd = (extra) => [node, path.join(HERE, 'precision.mjs'), '--model', oursModel,
  '--webgpu-dir', path.join(W, 'node_modules', 'webgpu'), ...(toggles ? ['--gpu-toggles', toggles] : []), ...extra];
if (a.precision === 'fp16') {
  doc.precision_runs = { golden: null, cases: {} };
  if (a.golden) {
    doc.precision_runs.golden = await measure('precision fp16 vs fp32: golden', 'precision',
      precisionCmd(['--golden', a.quick ? '4' : 'all', '--warmup', '0']));
  }
  for (const c of cases) {
    doc.precision_runs.cases[c] = await measure(`precision fp16 vs fp32: ${c}`, 'precision',
      precisionCmd(['--cases', `${c}:${reps(c, 0)}`, '--warmup', a.quick ? '1' : '3']));
  }
}

// 3. the cases: ours, then the peer, then torch, case by case
// most important first, so that a --budget-s cut drops the least important ones
const PRIORITY = ['short', 'b256x128', 's512x32', 'b32x128', 's512x1', 's512x8', 's512x2', 's512x4', 's512x16'];
const runOrder = [...cases].sort((x, y) => (PRIORITY.indexOf(x) + 99) % 99 - (PRIORITY.indexOf(y) + 99) % 99);
doc.results = Object.fromEntries(cases.map((c) => [c, {}]));
for (const c of runOrder) {
  const r = doc.results[c];
  if (a.ours) r.ours = await measure(`ours webgpu ${c}`, 'ours', oursCmd(['--cases', `${c}:${reps(c, 0)}`]));
  if (a.peer) r.tjs = await measure(`transformers.js webgpu ${c}`, 'tjs', peerCmd(['--cases', `${c}:${reps(c, 1)}`, '--golden', c === 'short' ? '10' : '0']));
  if (a.torch && ['short', 'b32x128', 'b256x128', 's512x32'].includes(c)) {
    r.torch = await measure(`torch CUDA ${c}`, 'torch', ['python3', path.join(HERE, 'st_bench.py'), oursModel,
      path.join(REPO, 'bench', 'inputs.json'), c, String(reps(c, 2)), '3'], { tries: 1, timeoutS: 180 });
  }
}

// 4. table
const caseMs = (j, c) => (j && j.ok !== false ? j.cases?.[c]?.median_ms : null);
const rows = [];
for (const c of cases) {
  const r = doc.results[c];
  const o = caseMs(r.ours, c), p = caseMs(r.tjs, c);
  const te = r.torch?.ok ? r.torch.encode.median_ms : null, tf = r.torch?.ok ? r.torch.forward.median_ms : null;
  const toks = r.ours?.cases?.[c] ? r.ours.cases[c].batch * r.ours.cases[c].tokens_per_text : null;
  rows.push([c, fmt(o), toks && o ? Math.round(toks / (o / 1000)).toLocaleString('en') : '–', fmt(p), ratio(p, o),
    fmt(te), ratio(te, o), fmt(tf), fmt(caseMs(r.tjs, c) && r.tjs.cases[c].model_median_ms)]);
}
const coldOurs = doc.results.short?.ours?.cold, coldPeer = doc.results.short?.tjs?.cold;
rows.push(['cold (create+1st)', fmt(coldOurs?.total_ms), '', fmt(coldPeer?.total_ms), ratio(coldPeer?.total_ms, coldOurs?.total_ms), '', '', '', '']);
const head = ['case', 'ours ms', 'ours tok/s', 'tjs webgpu ms', 'tjs/ours', 'torch encode ms', 'torch/ours', 'torch fwd ms', 'tjs model ms'];
doc.table = { head, rows };
doc.cold_ours_all_processes_ms = r3(median(Object.values(doc.results).map((r) => r.ours?.cold?.total_ms)));
doc.processes = procs.length;
doc.failed = failures;
doc.skipped = procs.filter((p) => p.skipped).map((p) => p.label);
doc.process_log = procs;
doc.wall_s = r3((Date.now() - t0) / 1000);
doc.route = `Node ${process.version} + npm webgpu ${doc.results.short?.ours?.versions?.webgpu ?? '?'} dawn.node (ours); onnxruntime-node's built-in Dawn (transformers.js)`;

console.log(`\n== ${doc.gpu || 'no nvidia-smi'}; ${doc.route}`);
console.log(`adapter (ours): ${doc.results.short?.ours?.adapter ?? doc.canary.find((c) => c.adapter)?.adapter ?? '?'}`);
console.log(table(head, rows));
if (coldOurs) console.log(`cold ours: ${JSON.stringify({ gpu_instance_ms: doc.results.short.ours.gpu_instance_ms, read_ms: doc.results.short.ours.read_ms, ...coldOurs.parts_ms, first_embed_ms: coldOurs.first_embed_ms })}; median over all our processes ${doc.cold_ours_all_processes_ms} ms`);
if (coldPeer) console.log(`cold tjs: create ${coldPeer.create_ms} + first ${coldPeer.first_embed_ms} ms (import ${doc.results.short.tjs.import_ms} ms)`);
if (doc.phases?.cases) {
  console.log('phases (ms per call; other = JS glue + promise hops):');
  for (const [c, e] of Object.entries(doc.phases.cases)) {
    console.log(`  ${c}: wall ${e.wall_ms} (median ${e.median_ms}, cpu ${e.cpu_ms}) = begin ${e.begin_ms} + record ${e.record_ms} + gpu_wait ${e.gpu_wait_ms} + read ${e.read_ms} + other ${e.other_ms}; ` +
      `passes ${e.passes}, dispatches ${e.dispatches}, bind groups created ${e.bind_groups_created}, WebGPU calls ${Object.values(e.webgpu_calls).reduce((p, q) => p + q, 0)}`);
  }
}
if (doc.golden_ours) console.log(`golden ours (webgpu): ${JSON.stringify({ n: doc.golden_ours.sentences, ids_match: doc.golden_ours.ids_match, batched: doc.golden_ours.batched, one: doc.golden_ours.one_at_a_time, pass: doc.golden_ours.pass, error: doc.golden_ours.error })}`);
const pg = doc.results.short?.tjs?.golden;
if (pg) console.log(`golden tjs (webgpu, first 10): ids_match ${pg.ids_match}/${pg.sentences}, max abs ${pg.max_abs_diff_where_ids_match} where ids match`);
if (doc.precision_runs) {
  const pr = doc.precision_runs;
  const first = pr.golden ?? Object.values(pr.cases).find((j) => j?.ok);
  const f16 = first?.precisions?.fp16;
  console.log(`\nfp16 vs fp32, ours (bench/gpu/precision.mjs, both in one process, alternating; toggles ${toggles || 'none'}): ` +
    (first ? (first.fp16_ran ? `fp16 ran (weights ${f16.weight_bytes} B vs ${first.precisions.fp32.weight_bytes} B fp32; ` +
      `matmul ${f16.matmul_kernel})`
      : `fp16 did NOT run, fp32 instead: ${f16?.note}`) : 'no successful run'));
  const g = pr.golden?.golden;
  if (g) {
    console.log(`golden (${g.sentences} MiniLM sentences): fp32 min cosine ${g.fp32.min_cosine.toFixed(9)}, max abs ${g.fp32.max_abs_err.toExponential(2)}; ` +
      `fp16 min cosine ${g.fp16.min_cosine?.toFixed(9)}, max abs ${g.fp16.max_abs_err.toExponential(2)}; ` +
      `fp16 vs fp32 min cosine ${g.fp16_vs_fp32.min_cosine?.toFixed(9)}; pass ${g.pass}`);
  }
  const prow = cases.map((c) => {
    const e = pr.cases[c]?.cases?.[c];
    return [c, fmt(e?.fp32?.median_ms), fmt(e?.fp16?.median_ms), ratio(e?.fp32?.median_ms, e?.fp16?.median_ms),
      e?.fp16_vs_fp32?.min_cosine == null ? '–' : e.fp16_vs_fp32.min_cosine.toFixed(7),
      e?.fp16_vs_fp32 ? e.fp16_vs_fp32.max_abs.toExponential(2) : '–'];
  });
  doc.precision_table = { head: ['case', 'fp32 ms', 'fp16 ms', 'fp32/fp16', 'min cos fp16 vs fp32', 'max |fp16 - fp32|'], rows: prow };
  console.log(table(doc.precision_table.head, prow));
}
console.log(`canary ${doc.canary_ok}/${a.canary}; processes ${procs.length - doc.skipped.length}, failed ${failures}` +
  `${doc.skipped.length ? `, skipped (budget): ${doc.skipped.join(', ')}` : ''}; wall ${doc.wall_s} s`);
if (a.out) {
  fs.mkdirSync(a.out, { recursive: true });
  fs.writeFileSync(path.join(a.out, 'bench_gpu.json'), JSON.stringify(doc, null, 1) + '\n');
  fs.writeFileSync(path.join(a.out, 'bench_gpu_table.md'), `${doc.gpu}\n${doc.route}\n\n${table(head, rows)}\n` +
    (doc.precision_table ? `\nfp16 vs fp32 (ours; toggles ${toggles || 'none'})\n\n${table(doc.precision_table.head, doc.precision_table.rows)}\n` : ''));
  log(`bench_gpu: wrote ${a.out}/bench_gpu.json`);
}

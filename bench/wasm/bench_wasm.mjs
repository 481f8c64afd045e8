#!/usr/bin/env node
// Our WASM CPU path vs onnxruntime-web's wasm backend, in Node, on the shared inputs (bench/inputs.json), end to end
// (texts in, L2-normalized vectors out). Usually started by bench/run_wasm.sh (which checks the prerequisites).
//
//   node bench/wasm/bench_wasm.mjs [--cases short,b32x128] [--rounds 3] [--threads 1,2] [--peer-threads 1,2] [--nice -15]
//        [--repeats short:20,b32x128:3] [--wait-idle S] [--golden N] [--timeout-s S] [--out FILE]
//        [--wasm-build DIR] [--model DIR] [--peer-model DIR] [--api core|js] [--int8 1[,2]] [--relaxed 1[,2]]
// --api: how ours is driven: core = src/wasm/core.mjs (default), js = the public API js/gpuembed.mjs.
// --int8 T,...: also ours with precision int8 (gemm_int8_portable.cpp) and onnxruntime-web on the q8 model
// (onnx/model_quantized.onnx of --peer-model, bench/peer/quantize_q8.sh: what transformers.js runs for dtype 'q8') at
// these thread counts, in the same rounds; a second table compares them.
// --relaxed T,...: also ours on the relaxed-SIMD modules (gpuembed-relaxed / gpuembed-mt-relaxed: FMA in the fp32
// matmuls) at these thread counts, in the same rounds, in a Node started with --experimental-wasm-relaxed-simd where
// it needs that flag (Node 20; from 22 on relaxed SIMD is on as is); a table compares them with the peer and with
// our SIMD128 modules.
//
// Each round runs one fresh process per engine and thread count: ours (bench/wasm/ours.mjs --backend cpu --threads N,
// for each --threads value: 1 = the single-threaded module, N > 1 = the threaded one) and the peer
// (bench/peer/run_peer.mjs --engine ort-web-wasm) at each --peer-threads value. The order alternates between rounds (ours first, then last) so slow drifts of the shared machine hit both
// sides alike. Each process measures the cold start (create + first embed of the short sentence) and then each case
// (warm-up + repeats). Reported: per engine and case the median over all timed calls of all rounds, the per-round
// medians, and the CPU share other processes took meanwhile (cores; 2.0 = both cores of this machine busy with
// something else). Ratio = peer median / our median (> 1: we are faster); the same-thread-count ratio is the
// peer's at the same thread count.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runProcess, why, median, r3, table, fmt, ratio, log, cpuInfo } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');

const a = { cases: 'short,b32x128', rounds: 3, threads: '1,2', peerThreads: '1,2', nice: null, repeats: 'short:20,b32x128:3',
  waitIdle: 0, golden: 10, timeoutS: 900, out: '', wasmBuild: '', model: '', peerModel: path.join(REPO, '.cache', 'peer-model'),
  warmup: null, api: 'core', int8: '', relaxed: '' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i], v = () => argv[++i];
  if (k === '--cases') a.cases = v();
  else if (k === '--rounds') a.rounds = +v();
  else if (k === '--peer-threads') a.peerThreads = v();
  else if (k === '--threads') a.threads = v();
  else if (k === '--nice') a.nice = v();
  else if (k === '--repeats') a.repeats = v();
  else if (k === '--warmup') a.warmup = v();
  else if (k === '--wait-idle') a.waitIdle = +v();
  else if (k === '--golden') a.golden = +v();
  else if (k === '--timeout-s') a.timeoutS = +v();
  else if (k === '--out') a.out = v();
  else if (k === '--wasm-build') a.wasmBuild = path.resolve(v());
  else if (k === '--model') a.model = path.resolve(v());
  else if (k === '--peer-model') a.peerModel = path.resolve(v());
  else if (k === '--api') a.api = v();
  else if (k === '--int8') a.int8 = v();
  else if (k === '--relaxed') a.relaxed = v();
  else { log(`bench_wasm: unknown argument ${k}`); process.exit(2); }
}
const cases = a.cases.split(',').filter(Boolean);
const reps = Object.fromEntries(a.repeats.split(',').filter(Boolean).map((s) => s.split(':')));
const caseArg = cases.map((c) => (reps[c] ? `${c}:${reps[c]}` : c)).join(',');
const peerThreads = a.peerThreads.split(',').filter(Boolean).map(Number);
const ourThreads = a.threads.split(',').filter(Boolean).map(Number);
const int8Threads = a.int8.split(',').filter(Boolean).map(Number);
const relaxedThreads = a.relaxed.split(',').filter(Boolean).map(Number);

// The node flags under which relaxed SIMD validates (js/gpuembed.mjs's probe): none, or Node 20's experimental flag.
function relaxedNodeFlags() {
  const probe = `import('${new URL('../../js/gpuembed.mjs', import.meta.url).href}')` +
                '.then((m) => process.exit(m.relaxedSimdSupported() ? 0 : 1))';
  for (const flags of [[], ['--experimental-wasm-relaxed-simd']]) {
    if (spawnSync(process.execPath, [...flags, '-e', probe]).status === 0) return flags;
  }
  log('bench_wasm: this Node has no relaxed SIMD, not even with --experimental-wasm-relaxed-simd');
  process.exit(2);
}
const relaxedFlags = relaxedThreads.length ? relaxedNodeFlags() : [];

const ours = (t = 1, precision = 'fp32') => {
  const relaxed = precision === 'relaxed';
  const cmd = [process.execPath, ...(relaxed ? relaxedFlags : []), path.join(HERE, 'ours.mjs'), '--backend', 'cpu',
    '--api', a.api, '--cases', caseArg, '--threads', String(t)];
  if (relaxed) cmd.push('--simd', 'relaxed');
  if (a.wasmBuild) cmd.push('--wasm-build', a.wasmBuild);
  if (a.model) cmd.push('--model', a.model);
  if (a.waitIdle) cmd.push('--wait-idle', String(a.waitIdle));
  if (a.warmup !== null) cmd.push('--warmup', a.warmup);
  if (precision === 'int8') cmd.push('--precision', precision);
  return { engine: precision === 'fp32' ? 'gpuembed-wasm-cpu' : `gpuembed-wasm-cpu-${precision}`, threads: t, cmd };
};
const peer = (t, engine = 'ort-web-wasm') => {
  const cmd = [process.execPath, path.join(REPO, 'bench', 'peer', 'run_peer.mjs'), '--engine', engine, '--threads', String(t),
    '--model', a.peerModel, '--cases', caseArg, '--golden', '0', '--timeout-s', String(a.timeoutS)];
  if (a.waitIdle) cmd.push('--wait-idle', String(a.waitIdle));
  if (a.warmup !== null) cmd.push('--warmup', a.warmup);
  return { engine, threads: t, cmd };
};

const runs = [];
const t0 = Date.now();
for (let r = 1; r <= a.rounds; r++) {
  const order = [...ourThreads.map((t) => ours(t)), ...int8Threads.map((t) => ours(t, 'int8')),
                 ...relaxedThreads.map((t) => ours(t, 'relaxed')), ...peerThreads.map((t) => peer(t)),
                 ...int8Threads.map((t) => peer(t, 'ort-web-wasm-q8'))];
  if (r % 2 === 0) order.reverse();
  for (const job of order) {
    log(`bench_wasm: round ${r}/${a.rounds}: ${job.engine} (${job.threads} thread${job.threads > 1 ? 's' : ''})`);
    const res = await runProcess(job.cmd, { timeoutS: a.timeoutS, nice: a.nice, cwd: REPO });
    if (!res.ok) log(`bench_wasm: FAILED ${job.engine}/${job.threads}: ${why(res)}`);
    runs.push({ round: r, engine: job.engine, threads: job.threads, ok: res.ok, wall_ms: res.ms,
      error: res.ok ? undefined : why(res), result: res.json });
  }
}

// golden check of our WASM CPU path (one extra process; the peer's accuracy is in peers.md / run_peers.sh --golden)
let golden = null;
if (a.golden > 0) {
  const cmd = [...ours().cmd.slice(0, 2), '--backend', 'cpu', '--cases', 'short:1', '--warmup', '0', '--golden', String(a.golden)];
  if (a.wasmBuild) cmd.push('--wasm-build', a.wasmBuild);
  if (a.model) cmd.push('--model', a.model);
  const res = await runProcess(cmd, { timeoutS: a.timeoutS, nice: a.nice, cwd: REPO });
  golden = res.json?.golden ?? { error: why(res) };
}

// aggregate
const key = (e, t) => `${e}/${t}`;
const engines = [...ourThreads.map((t) => key('gpuembed-wasm-cpu', t)), ...peerThreads.map((t) => key('ort-web-wasm', t)),
                 ...int8Threads.flatMap((t) => [key('gpuembed-wasm-cpu-int8', t), key('ort-web-wasm-q8', t)]),
                 ...relaxedThreads.map((t) => key('gpuembed-wasm-cpu-relaxed', t))];
const agg = {};
for (const k of engines) {
  const rs = runs.filter((x) => key(x.engine, x.threads) === k && x.ok);
  const e = { processes: runs.filter((x) => key(x.engine, x.threads) === k).length, ok: rs.length, cases: {} };
  e.cold_total_ms = r3(median(rs.map((x) => x.result.cold?.total_ms)));
  e.cold_create_ms = r3(median(rs.map((x) => x.result.cold?.create_ms)));
  e.cold_first_ms = r3(median(rs.map((x) => x.result.cold?.first_embed_ms)));
  e.cold_other_cpu = r3(median(rs.map((x) => x.result.cold?.other_cpu_util)));
  for (const c of cases) {
    const cs = rs.map((x) => x.result.cases?.[c]).filter(Boolean);
    const all = cs.flatMap((x) => x.runs_ms || []);
    e.cases[c] = {
      median_ms: r3(median(all)), min_ms: r3(Math.min(...all)), runs: all.length,
      round_medians_ms: cs.map((x) => x.median_ms),
      other_cpu_util: cs.map((x) => x.other_cpu_util), cpu_util: cs.map((x) => x.cpu_util),
      checks_ok: cs.every((x) => x.tokenizer_lengths_ok !== false && x.ids_hash_ok !== false && (x.tokens_ok ?? true)),
    };
  }
  agg[k] = e;
}

// One row per case and thread count: ours and the peer at the same count (either may be absent), their ratio.
const rows = [];
const counts = [...new Set([...ourThreads, ...peerThreads])].sort((x, y) => x - y);
const at = (k, c) => (!agg[k] ? null : c === 'cold' ? agg[k].cold_total_ms : agg[k].cases[c].median_ms);
const othersOf = (k, c) => (!agg[k] ? [] : c === 'cold' ? [agg[k].cold_other_cpu] : agg[k].cases[c].other_cpu_util);
for (const c of [...cases, 'cold']) {
  for (const t of counts) {
    const ok = key('gpuembed-wasm-cpu', t), pk = key('ort-web-wasm', t);
    const o = at(ok, c), p = at(pk, c);
    const others = [...othersOf(ok, c), ...othersOf(pk, c)].filter((x) => x != null);
    rows.push([c, String(t), o == null ? '-' : fmt(o), p == null ? '-' : fmt(p), o == null || p == null ? '-' : ratio(p, o),
               others.length ? fmt(Math.max(...others), 2) : '-']);
  }
}
const head = ['case', 'threads', 'ours ms', 'ort-web ms', 'ratio (ort-web / ours)', 'others max (cores)'];
// int8: ours int8 vs onnxruntime-web q8 at the same thread count, and what int8 gains over our fp32.
const rows8 = [];
for (const c of [...cases, 'cold']) {
  for (const t of int8Threads) {
    const ok = key('gpuembed-wasm-cpu-int8', t), pk = key('ort-web-wasm-q8', t), fk = key('gpuembed-wasm-cpu', t);
    const o = at(ok, c), p = at(pk, c), f = at(fk, c);
    const others = [...othersOf(ok, c), ...othersOf(pk, c)].filter((x) => x != null);
    rows8.push([c, String(t), o == null ? '-' : fmt(o), p == null ? '-' : fmt(p), o == null || p == null ? '-' : ratio(p, o),
                f == null || o == null ? '-' : ratio(f, o), others.length ? fmt(Math.max(...others), 2) : '-']);
  }
}
const head8 = ['case', 'threads', 'ours int8 ms', 'ort-web q8 ms', 'ratio (q8 / ours int8)', 'ours fp32 / int8', 'others max (cores)'];
// relaxed SIMD: ours on the relaxed-SIMD modules vs the peer (fp32) at the same thread count, and vs our SIMD128 ones.
const rowsR = [];
for (const c of [...cases, 'cold']) {
  for (const t of relaxedThreads) {
    const rk = key('gpuembed-wasm-cpu-relaxed', t), pk = key('ort-web-wasm', t), fk = key('gpuembed-wasm-cpu', t);
    const o = at(rk, c), p = at(pk, c), f = at(fk, c);
    const others = [...othersOf(rk, c), ...othersOf(pk, c)].filter((x) => x != null);
    rowsR.push([c, String(t), o == null ? '-' : fmt(o), f == null ? '-' : fmt(f), p == null ? '-' : fmt(p),
                o == null || p == null ? '-' : ratio(p, o), f == null || o == null ? '-' : ratio(f, o),
                others.length ? fmt(Math.max(...others), 2) : '-']);
  }
}
const headR = ['case', 'threads', 'ours relaxed ms', 'ours simd128 ms', 'ort-web ms', 'ratio (ort-web / relaxed)',
               'simd128 / relaxed', 'others max (cores)'];
const doc = {
  generated_by: 'bench/wasm/bench_wasm.mjs', date: new Date().toISOString(), host: os.hostname(), cpus: os.cpus().length,
  ...cpuInfo(), loadavg_at_end: os.loadavg().map(r3), nice: a.nice, rounds: a.rounds, cases: caseArg, peer_threads: peerThreads,
  wall_s: r3((Date.now() - t0) / 1000),
  api: a.api,
  threads: ourThreads,
  notes: [`ours: via ${a.api === 'js' ? 'js/gpuembed.mjs' : 'src/wasm/core.mjs'}, WASM SIMD128: 1 thread = build-wasm/gpuembed.wasm, N threads = build-wasm/gpuembed-mt.wasm (pthreads, N - 1 pool workers + the caller)`,
    'peer: onnxruntime-web wasm backend (env.wasm.numThreads = N) + transformers.js tokenizer + JS mean pooling/normalize',
    'ratio = peer median / our median: > 1 means gpuembed is faster',
    'cold = create (WASM instantiate + model load from memory for ours; session create from the ONNX bytes for the peer) + first embed of the short sentence, fresh process'],
  table: { head, rows }, ...(int8Threads.length ? { table_int8: { head: head8, rows: rows8 } } : {}),
  ...(relaxedThreads.length ? { table_relaxed: { head: headR, rows: rowsR }, relaxed_node_flags: relaxedFlags } : {}),
  aggregate: agg, golden_ours: golden, runs,
};
console.log(table(head, rows));
if (int8Threads.length) console.log(table(head8, rows8));
if (relaxedThreads.length) console.log(table(headR, rowsR) + `\n(relaxed SIMD: node ${relaxedFlags.join(' ') || 'without flags'})`);
if (golden) console.log(`golden (ours, WASM CPU): ${JSON.stringify({ sentences: golden.sentences, ids_match: golden.ids_match, batched: golden.batched, one_at_a_time: golden.one_at_a_time, pass: golden.pass, error: golden.error })}`);
const failed = runs.filter((x) => !x.ok).length;
console.log(`processes: ${runs.length}, failed: ${failed}; load average at end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; wall ${doc.wall_s} s`);
if (a.out) { fs.writeFileSync(a.out, JSON.stringify(doc, null, 1) + '\n'); log(`bench_wasm: wrote ${a.out}`); }

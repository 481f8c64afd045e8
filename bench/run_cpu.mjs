#!/usr/bin/env node
// CPU benchmark: gpuembed native (bench/bench_cpu.cpp) vs transformers.js on ONNX Runtime's CPU engine
// (bench/peer/run_peer.mjs --engine tjs-cpu), same inputs (bench/inputs.json), same thread count, measured in
// the same run and interleaved (ours, theirs, ours, theirs, ...) because this machine is noisy. Prints our time,
// theirs and the ratio per case, and writes the raw JSON to .cache/bench-cpu-<date>.json.
//   node bench/run_cpu.mjs [--threads 2] [--cases short,b32x128] [--rounds 3] [--precision fp32,bf16,int8 (default all)]
// Needs: build/bench/gpuembed_bench (scripts/build.sh), the peers (bench/run_peers.sh installs them once).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (i % 2 ? a : [...a, [v.replace(/^--/, ''), all[i + 1]]]), []));
const threads = args.threads || '2';
const cases = args.cases || 'short,b32x128';
const rounds = parseInt(args.rounds || '3', 10);
const precisions = (args.precision || 'all') === 'all' ? ['fp32', 'bf16', 'int8'] : args.precision.split(',');
// On the GPU machine's host (bench/cpu_on_device.sh) the model, the peer tree and the golden file live elsewhere:
const shared = process.env.GPUEMBED_SHARED_DIR || path.join(root, '..', 'shared');
const golden = path.join(shared, 'golden', 'minilm-l6-random.shared.json');
const benchBin = process.env.GPUEMBED_BENCH_BIN || path.join(root, 'build/bench/gpuembed_bench');
const modelDir = process.env.GPUEMBED_MODEL_DIR || path.join(root, '.cache/models/minilm-l6-random');
const peerDir = process.env.GPUEMBED_PEER_DIR || path.join(root, 'bench/peer');
const peerModel = process.env.GPUEMBED_PEER_MODEL || path.join(root, '.cache/peer-model');

function ours(precision) {
  const out = execFileSync(benchBin,
    ['--model', modelDir, '--inputs', path.join(root, 'bench/inputs.json'),
     '--cases', cases, '--threads', threads, '--precision', precision, '--golden', golden], { encoding: 'utf8' });
  return JSON.parse(out);
}
function peer(engine = 'tjs-cpu') {
  if (!process.env.GPUEMBED_PEER_MODEL) {
    execFileSync(path.join(root, 'bench/peer/prepare_model.sh'), { stdio: ['ignore', 'ignore', 'inherit'] });
    if (engine === 'tjs-cpu-q8') execFileSync(path.join(root, 'bench/peer/quantize_q8.sh'), { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const out = execFileSync('node', [path.join(peerDir, 'run_peer.mjs'), '--engine', engine, '--threads', threads,
    '--model', peerModel, '--cases', cases, '--inputs', path.join(root, 'bench/inputs.json')],
    { encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(out);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!fs.existsSync(path.join(peerDir, 'node_modules'))) {
  execFileSync(path.join(root, 'bench/run_peers.sh'), ['--cases', 'short', '--engines', 'tjs-cpu'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const withQ8 = precisions.includes('int8');
const raw = { date: new Date().toISOString(), threads, cases, rounds, ours: {}, peer: [], peer_q8: [] };
for (const p of precisions) raw.ours[p] = [];
for (let r = 0; r < rounds; r++) {
  for (const p of precisions) raw.ours[p].push(ours(p));
  raw.peer.push(peer());
  if (withQ8) raw.peer_q8.push(peer('tjs-cpu-q8'));
  process.stderr.write(`round ${r + 1}/${rounds} done\n`);
}
const cpu = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)[1];
console.log(`CPU: ${cpu}, ${threads} threads, ${rounds} interleaved rounds (median of each side's per-round medians)`);
console.log(`ours: ${raw.ours[precisions[0]][0].backend}; peer: transformers.js ${raw.peer[0].versions?.['@huggingface/transformers'] ?? ''} + onnxruntime-node (fp32)`);
for (const p of precisions) {
  const g = raw.ours[p][0].golden;
  console.log(`\n${p}: accuracy vs golden (80 sentences): max abs error ${g.max_abs_error.toExponential(2)}, min cosine ${g.min_cosine.toFixed(7)}`);
  const q8 = p === 'int8' && raw.peer_q8.length > 0;
  console.log('case        ours ms    transformers.js ms   speed-up' + (q8 ? '   tjs q8 ms   speed-up vs q8' : ''));
  for (const c of cases.split(',')) {
    const o = median(raw.ours[p].map((x) => x.cases[c].median_ms));
    const t = median(raw.peer.map((x) => x.cases[c].median_ms));
    let line = `${c.padEnd(10)} ${o.toFixed(2).padStart(9)} ${t.toFixed(2).padStart(18)} ${(t / o).toFixed(2).padStart(10)}x`;
    if (q8) {
      const tq = median(raw.peer_q8.map((x) => x.cases[c].median_ms));
      line += ` ${tq.toFixed(2).padStart(11)} ${(tq / o).toFixed(2).padStart(12)}x`;
    }
    console.log(line);
  }
}
const cold = median(raw.ours[precisions[0]].map((x) => x.cold_ms.load + x.cold_ms.first_embed));
const pcold = median(raw.peer.map((x) => x.cold?.total_ms ?? NaN));
console.log(`\ncold start (load + first short embed): ours ${cold.toFixed(1)} ms, transformers.js ${pcold.toFixed(1)} ms`);
const file = path.join(root, '.cache', `bench-cpu-${raw.date.replace(/[:.]/g, '-')}.json`);
fs.writeFileSync(file, JSON.stringify(raw, null, 1));
console.log(`raw results: ${path.relative(root, file)}`);

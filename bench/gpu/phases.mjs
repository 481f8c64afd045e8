#!/usr/bin/env node
// Where the time of one WebGPU request goes (one process; run by bench_gpu.mjs --phases, or by hand):
//   node bench/gpu/phases.mjs [--model DIR] [--webgpu-dir DIR] [--cases short:50,b32x128:10,b256x128:5] [--wasm-build DIR]
//        [--overlap both|on|off] [--precision fp32|fp16] [--peak-f32-tflops X] [--peak-f16-tflops Y] [--no-timestamps]
//        [--subgroup-matrix] [--gpu-toggles LIST]
// --gpu-toggles: Dawn toggles for the GPU object (default vulkan_enable_f16_on_nvidia with --precision fp16: NVIDIA's
// Vulkan driver hides 'shader-f16' without it; allow_unsafe_apis added with --subgroup-matrix, which sets the module
// option gpuembedSubgroupMatrix). A precision or matmul kernel other than the one asked for is an error, not a row.
// Per case, warm, averaged over the repeats (ms per call): wall (JS, end to end), and from ge_gpu_stats_json's
// counters: begin (tokenize + sort), record (C++ submit: checks, ids/params upload, encoding, queue.submit, mapAsync),
// gpu_wait (the part of submit -> readback mapped during which the host had no other pass to record or read: all of
// it with one pass at a time), read (copy out), other = wall - (begin + record + gpu_wait + read): JS glue, text
// marshalling, promise hops. Plus the WebGPU calls per request, counted by wrapping the webgpu module's prototypes
// (dispatches, bind groups created, submits).
// Overlap (api/job.h): each case runs with it ("name") and, with --overlap both (the default), one pass at a time
// ("name/serial"); `passes_last_call` lists the last call's passes (ms from its begin: recorded [start, end], mapped,
// read [start, end], gpu_exec), where a pass recorded before the previous one was mapped ran alongside it.
// GPU time: where the adapter offers 'timestamp-query' (asked for unless --no-timestamps), gpu_exec_ms is the
// device's time in the compute passes of a call (absent where not offered), and achieved TFLOP/s is the FLOPs of the
// call's texts (graph_flops in src/model/graph.cpp: matmuls and attention on their own tokens) over gpu_exec_ms and
// over wall_ms, with the share of the card's peak (--peak-f32-tflops / --peak-f16-tflops, by the precision that ran).
// Prints one JSON object.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO, createCore, gpuToggles, importWebgpu, parseGpuArgs, requireAsked } from './gpu_setup.mjs';

const a = parseGpuArgs(process.argv.slice(2), { cases: 'short:50,b32x128:10,b256x128:5', overlap: 'both',
  peak: { fp32: 0, fp16: 0 }, timestamps: true }, {
  '--overlap': (o, v) => { o.overlap = v(); },
  '--peak-f32-tflops': (o, v) => { o.peak.fp32 = +v(); },
  '--peak-f16-tflops': (o, v) => { o.peak.fp16 = +v(); },
  '--no-timestamps': (o) => { o.timestamps = false; },
});
const r3 = (x) => Math.round(x * 1000) / 1000;
const sig4 = (x) => Number(x.toPrecision(4));  // TFLOP/s: software adapters reach thousandths
const out = { ok: false, tool: 'bench/gpu/phases.mjs', cases: {} };
try {
  const webgpu = await importWebgpu(a);
  const calls = new Map();
  let counting = false;
  for (const cls of ['GPUDevice', 'GPUQueue', 'GPUCommandEncoder', 'GPUComputePassEncoder', 'GPUBuffer']) {
    const P = globalThis[cls]?.prototype;
    if (!P) continue;
    for (const k of Object.getOwnPropertyNames(P)) {
      const d = Object.getOwnPropertyDescriptor(P, k);
      if (!d || typeof d.value !== 'function' || k === 'constructor') continue;
      const f = d.value;
      P[k] = function (...args) { if (counting) calls.set(`${cls}.${k}`, (calls.get(`${cls}.${k}`) || 0) + 1); return f.apply(this, args); };
    }
  }
  const toggles = gpuToggles(a);
  out.gpu_toggles = toggles || null;
  const gpu = webgpu.create(toggles ? [`enable-dawn-features=${toggles}`] : []);
  const opt = (f) => (fs.existsSync(path.join(a.model, f)) ? fs.readFileSync(path.join(a.model, f), 'utf8') : '');
  const files = { config: opt('config.json'), modules: opt('modules.json'), pooling: opt('1_Pooling/config.json'),
    sentenceBert: opt('sentence_bert_config.json'), tokenizer: opt('tokenizer.json'), vocab: opt('vocab.txt'),
    tokenizerConfig: opt('tokenizer_config.json'), safetensors: new Uint8Array(fs.readFileSync(path.join(a.model, 'model.safetensors'))) };
  const core = await createCore(a, gpu);
  const model = core.loadModel(files, { maxBatch: 256 });
  out.adapter = await model.initGpu({ precision: a.precision, timestamps: a.timestamps });
  out.precision = model.gpuStats().precision;
  out.matmul_kernel = model.gpuStats().matmul_kernel;
  requireAsked(a, model.gpuStats());
  out.timestamps = model.gpuStats().counters.gpu_exec_ms !== undefined;
  const peak = a.peak[out.precision] || 0;
  if (peak) out.peak_tflops = peak;
  const doc = JSON.parse(fs.readFileSync(path.join(REPO, 'bench', 'inputs.json'), 'utf8'));
  const modes = a.overlap === 'both' ? [true, false] : [a.overlap !== 'off'];
  for (const spec of a.cases.split(',').filter(Boolean)) {
    const [name, r] = spec.split(':');
    const texts = doc.cases[name].texts;
    const reps = +(r || 5);
    for (const overlap of modes) {
      model.setGpuOverlap(overlap);
      for (let i = 0; i < 2; i++) await model.embedGpu(texts);
      const c0 = model.gpuStats().counters;
      calls.clear();
      counting = true;
      const cpu0 = process.cpuUsage();
      const w0 = performance.now();
      const walls = [];
      for (let i = 0; i < reps; i++) { const t = performance.now(); await model.embedGpu(texts); walls.push(performance.now() - t); }
      const wall = (performance.now() - w0) / reps;
      const cpu = process.cpuUsage(cpu0);
      counting = false;
      const st = model.gpuStats();
      const c1 = st.counters;
      const per = (k) => r3((c1[k] - c0[k]) / reps);
      const e = { repeats: reps, wall_ms: r3(wall), median_ms: r3([...walls].sort((p, q) => p - q)[walls.length >> 1]),
        cpu_ms: r3((cpu.user + cpu.system) / 1000 / reps), begin_ms: per('begin_ms'), record_ms: per('record_ms'),
        gpu_wait_ms: per('gpu_wait_ms'), read_ms: per('read_ms'), passes: per('passes'), dispatches: per('dispatches'),
        bind_groups_created: per('bind_groups_created') };
      e.other_ms = r3(e.wall_ms - e.begin_ms - e.record_ms - e.gpu_wait_ms - e.read_ms);
      const last = st.last_job_passes || [];
      const flops = last.reduce((f, p) => f + p.flops, 0);  // every repeat runs the same passes
      if (c1.gpu_exec_ms !== undefined) {
        e.gpu_exec_ms = per('gpu_exec_ms');
        e.tflops_gpu_exec = sig4(flops / (e.gpu_exec_ms * 1e9));
      }
      e.gflop_per_call = r3(flops / 1e9);
      e.tflops_wall = sig4(flops / (e.wall_ms * 1e9));
      if (peak) {
        e.pct_peak_wall = sig4((100 * e.tflops_wall) / peak);
        if (e.tflops_gpu_exec !== undefined) e.pct_peak_gpu_exec = sig4((100 * e.tflops_gpu_exec) / peak);
      }
      e.passes_last_call = last.map((p) => ({ texts: p.texts, seq: p.seq, record: [r3(p.record_start), r3(p.submitted)],
        mapped: r3(p.mapped), read: [r3(p.read_start), r3(p.read_end)], ...(p.gpu_exec !== undefined ? { gpu_exec: r3(p.gpu_exec) } : {}) }));
      e.webgpu_calls = Object.fromEntries([...calls].sort().map(([k, v]) => [k, r3(v / reps)]));
      const key = overlap ? name : `${name}/serial`;
      out.cases[key] = e;
      const { webgpu_calls: _, passes_last_call: timeline, ...brief } = e;
      process.stderr.write(`[phases] ${key}: ${JSON.stringify(brief)}\n`);
      for (const p of timeline) process.stderr.write(`[phases]   pass ${JSON.stringify(p)}\n`);
    }
  }
  out.ok = true;
} catch (e) {
  out.error = String(e?.message ?? e);
}
process.stdout.write(JSON.stringify(out) + '\n');
if (out.error) process.stderr.write(`[phases] ERROR ${out.error}\n`);
setImmediate(() => process.exit(out.ok ? 0 : 1));

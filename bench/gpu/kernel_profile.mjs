#!/usr/bin/env node
// GPU time per kernel of one WebGPU request (one process; needs an adapter with 'timestamp-query'):
//   node bench/gpu/kernel_profile.mjs [--model DIR] [--webgpu-dir DIR] [--wasm-build DIR] [--cases b32x128:5,...]
//        [--precision fp32|fp16] [--subgroup-matrix] [--gpu-toggles LIST] [--keep-quantization]
//        [--attention auto|simple|tiled] [--attention-lanes N]
// --attention: force attention.wgsl (simple) or attention_tiled.wgsl (tiled) instead of the engine's choice (A/B
// in one build; the module option gpuembedAttention), --attention-lanes: the tiled kernel's invocations per query.
// --model: a sentence-transformers folder, family folders of tools/gen_family_models.py included (read as
// tests/wasm/env.mjs readFamilyFiles reads them). --gpu-toggles: Dawn toggles to enable, as bench/gpu/phases.mjs
// (default vulkan_enable_f16_on_nvidia with --precision fp16, allow_unsafe_apis with --subgroup-matrix). Dawn's
// timestamp_quantization (65.536 us steps) is disabled unless --keep-quantization.
// Per case (texts of bench/inputs.json): warm-up, then `repeats` calls unprofiled (gpu_exec_ms per call: the
// device's time in the compute passes, with the overlap on as requests run, and one pass at a time), then `repeats`
// calls with kernel profiling on (CoreModel.setGpuProfile: one pass at a time, each dispatch in a compute pass of its
// own with timestamps). Prints a table per case sorted by GPU time: kernel (its WGSL file), shape class (a matmul's
// N x K, else the op's output width, or input -> output), its role where the widths tell (a matmul's against the
// config's hidden and intermediate sizes), dispatches and ms per call, % of the kernels' total, TFLOP/s (FLOPs of
// src/model/graph.cpp graph_flops: the texts' own tokens, matmuls and attention only); then the kernels' total
// against the unprofiled gpu_exec_ms, and the profiled passes' span (first dispatch's beginning to last one's end,
// gaps between the per-dispatch passes included). The last line of stdout is one JSON object.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFamilyFiles } from '../../tests/wasm/env.mjs';
import { REPO, createCore, gpuToggles, importWebgpu, parseGpuArgs, requireAsked } from './gpu_setup.mjs';

const r3 = (x) => Math.round(x * 1000) / 1000;
const sig4 = (x) => Number(x.toPrecision(4));
const isMatmul = (k) => k.startsWith('matmul');

// The shape class as text: a matmul's N x K (output x input width), else the output width, or input -> output.
export function shapeText(kernel, out, inp) {
  if (isMatmul(kernel)) return `${out}x${inp}`;
  return inp === 0 || inp === out ? `${out}` : `${inp}->${out}`;
}

// What a matmul of output width N and input width K writing `tensor` (the graph's tensor names: model/families/*.cpp)
// is in a layer: by the tensor, and the config's widths where tensors are shared; '' when neither tells.
export function matmulRole(cfg, N, K, tensor = '') {
  const H = cfg.hidden_size, I = cfg.intermediate_size, heads = cfg.num_attention_heads;
  const hd = cfg.head_dim || H / heads, kv = cfg.num_key_value_heads || heads;
  if (tensor === 'qkv') return 'qkv';
  if (['ffn', 'gate_value', 'gelu_input_gate', 'gate_up'].includes(tensor)) return N === 2 * I ? 'ffn in (gate|up)' : 'ffn in';
  if (tensor && !['tmp', 'delta'].includes(tensor)) return '';
  if (K === I && N === H) return 'ffn out';
  if (K === heads * hd && N === H) return 'attn out';
  if (tensor) return '';
  return K === H && N === (heads + 2 * kv) * hd ? 'qkv' : K === H && (N === I || N === 2 * I) ? 'ffn in' : '';
}

// Rows of gpuStats().kernel_profile ([kernel, out, in, dispatches, ms, flops, output tensor]) per call, sorted by GPU
// time.
export function profileRows(profile, calls, cfg = {}) {
  const total = profile.reduce((s, p) => s + p[4], 0);
  return profile.map(([kernel, out, inp, n, ms, flops, tensor]) => ({
    kernel, shape: shapeText(kernel, out, inp), tensor, role: isMatmul(kernel) ? matmulRole(cfg, out, inp, tensor) : '',
    dispatches: r3(n / calls), ms: r3(ms / calls), pct: total > 0 ? Math.round((1000 * ms) / total) / 10 : 0,
    gflop: r3(flops / calls / 1e9), ...(flops > 0 && ms > 0 ? { tflops: sig4(flops / (ms * 1e9)) } : {}),
  })).sort((p, q) => q.ms - p.ms);
}

export function formatTable(rows) {
  const head = ['kernel', 'shape', 'output', 'role', 'disp/call', 'ms/call', '%', 'GFLOP/call', 'TFLOP/s'];
  const body = rows.map((r) => [r.kernel, r.shape, r.tensor, r.role, String(r.dispatches), r.ms.toFixed(3), r.pct.toFixed(1),
    r.gflop ? String(r.gflop) : '', r.tflops !== undefined ? String(r.tflops) : '']);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 4 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

async function main() {
  const a = parseGpuArgs(process.argv.slice(2), { cases: 'b32x128:5', quantization: false, attention: 'auto',
    attentionLanes: 0 }, {
    '--keep-quantization': (o) => { o.quantization = true; },
    '--attention': (o, v) => { o.attention = v(); },
    '--attention-lanes': (o, v) => { o.attentionLanes = +v(); },
  });
  const out = { ok: false, tool: 'bench/gpu/kernel_profile.mjs', model: a.model, cases: {} };
  try {
    const webgpu = await importWebgpu(a);
    const toggles = gpuToggles(a);
    out.gpu_toggles = toggles || null;
    out.timestamp_quantization = a.quantization;
    const gpu = webgpu.create([...(toggles ? [`enable-dawn-features=${toggles}`] : []),
      ...(a.quantization ? [] : ['disable-dawn-features=timestamp_quantization'])]);
    const files = readFamilyFiles(a.model);
    const cfg = JSON.parse(files.config);
    const core = await createCore(a, gpu, { gpuembedAttention: a.attention, gpuembedAttentionLanes: a.attentionLanes });
    const model = core.loadModel(files, { maxBatch: 256 });
    out.adapter = await model.initGpu({ precision: a.precision, timestamps: true });
    const st0 = model.gpuStats();
    out.precision = st0.precision;
    out.matmul_kernel = st0.matmul_kernel;
    out.attention_kernel = st0.attention_kernel;
    requireAsked(a, st0);
    if (st0.counters.gpu_exec_ms === undefined) throw new Error("the adapter offers no 'timestamp-query'");
    const doc = JSON.parse(fs.readFileSync(path.join(REPO, 'bench', 'inputs.json'), 'utf8'));
    console.log(`# ${path.basename(a.model)} (${cfg.model_type || 'bert'}, hidden ${cfg.hidden_size}, ` +
                `intermediate ${cfg.intermediate_size}, ${cfg.num_hidden_layers} layers) on ${out.adapter}: ` +
                `${out.precision}, ${out.matmul_kernel}, ${out.attention_kernel}` +
                `${toggles ? `, toggles ${toggles}` : ''}` +
                `${a.quantization ? ', timestamps quantized' : ''}`);
    for (const spec of a.cases.split(',').filter(Boolean)) {
      const [name, r] = spec.split(':');
      if (!doc.cases[name]) throw new Error(`no case ${name} in bench/inputs.json`);
      const texts = doc.cases[name].texts;
      const reps = +(r || 5);
      // ms of device time per call (gpu_exec_ms), and the passes' FLOPs per call, over `reps` calls
      const timed = async () => {
        const c0 = model.gpuStats().counters;
        let flops = 0;
        for (let i = 0; i < reps; i++) {
          await model.embedGpu(texts);
          flops += model.gpuStats().last_job_passes.reduce((f, p) => f + p.flops, 0);
        }
        const c1 = model.gpuStats().counters;
        return { gpu_exec: (c1.gpu_exec_ms - c0.gpu_exec_ms) / reps, dispatches: (c1.dispatches - c0.dispatches) / reps,
                 passes: (c1.passes - c0.passes) / reps, flops: flops / reps };
      };
      for (let i = 0; i < 2; i++) await model.embedGpu(texts);
      const plain = await timed();
      model.setGpuOverlap(false);
      await model.embedGpu(texts);
      const serial = await timed();
      model.setGpuOverlap(true);
      model.setGpuProfile(true);
      await model.embedGpu(texts);  // warm (the profile's query set, readback sizes)
      model.setGpuProfile(true);    // clears the sums
      const prof = await timed();
      const profile = model.gpuStats().kernel_profile;
      model.setGpuProfile(false);
      const rows = profileRows(profile, reps, cfg);
      const kernelMs = profile.reduce((s, p) => s + p[4], 0) / reps;
      const kernelFlops = profile.reduce((s, p) => s + p[5], 0) / reps;
      const kernelDispatches = profile.reduce((s, p) => s + p[3], 0) / reps;
      const share = (pred) => r3(rows.filter((x) => pred(x.kernel)).reduce((s, x) => s + x.pct, 0));
      const e = { repeats: reps, texts: texts.length, passes: plain.passes, passes_profiled: prof.passes,
        gpu_exec_ms: r3(plain.gpu_exec), gpu_exec_serial_ms: r3(serial.gpu_exec), profiled_span_ms: r3(prof.gpu_exec),
        kernel_sum_ms: r3(kernelMs), kernel_sum_vs_gpu_exec: sig4(kernelMs / plain.gpu_exec),
        dispatches_per_call: prof.dispatches, profiled_dispatches_per_call: kernelDispatches,
        gflop_per_call: r3(prof.flops / 1e9), kernel_gflop_per_call: r3(kernelFlops / 1e9),
        tflops_gpu_exec: sig4(plain.flops / (plain.gpu_exec * 1e9)), tflops_kernel_sum: sig4(kernelFlops / (kernelMs * 1e9)),
        pct_matmul: share(isMatmul), pct_attention: share((k) => k.startsWith('attention')),
        pct_other: share((k) => !isMatmul(k) && !k.startsWith('attention')), kernels: rows };
      out.cases[name] = e;
      console.log(`\n## ${name}: ${texts.length} texts, ${reps} calls; per call: ${plain.passes} pass(es) as requests run ` +
                  `(overlap on), ${prof.passes} profiled (one at a time, none cut) of ${e.dispatches_per_call} dispatches, ` +
                  `${e.gflop_per_call} GFLOP (matmuls + attention on the texts' tokens)`);
      console.log(formatTable(rows));
      console.log(`kernels' total ${e.kernel_sum_ms} ms/call (matmul ${e.pct_matmul}%, attention ${e.pct_attention}%, ` +
                  `other ${e.pct_other}%) = ${e.kernel_sum_vs_gpu_exec} x the unprofiled gpu_exec ${e.gpu_exec_ms} ms/call ` +
                  `(one pass at a time: ${e.gpu_exec_serial_ms} ms); profiled passes' span ${e.profiled_span_ms} ms/call; ` +
                  `${e.tflops_gpu_exec} TFLOP/s over gpu_exec, ${e.tflops_kernel_sum} over the kernels' total`);
      if (kernelDispatches !== prof.dispatches) console.log(`WARNING: ${kernelDispatches} dispatches profiled of ${prof.dispatches}`);
      if (kernelFlops !== prof.flops) console.log(`note: kernels' FLOPs ${kernelFlops} != the passes' ${prof.flops} (ops the GPU does not run)`);
    }
    out.ok = true;
  } catch (e) {
    out.error = String(e?.message ?? e);
  }
  console.log(JSON.stringify(out));
  if (out.error) process.stderr.write(`[kernel_profile] ERROR ${out.error}\n`);
  setImmediate(() => process.exit(out.ok ? 0 : 1));  // Dawn keeps Node's event loop alive
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();

#!/usr/bin/env node
// The matmul kernels alone, straight from src/backend/webgpu/kernels/*.wgsl (assembled as kernels.cpp does: the
// precision prelude, matmul_common.wgsl, erf.wgsl, the kernel, directives first, constants substituted), on one
// WebGPU device:
//   matmul        fp32 (matmul.wgsl, the default path)
//   matmul_f16    fp16 storage, f16 tiles and multiply-adds, f32 sums across k-slices (matmul_f16.wgsl)
//   matmul_sgmat  fp16 on Dawn's 'chromium-experimental-subgroup-matrix' (matmul_sgmat.wgsl), where the adapter offers
//                 the feature with an f16 x f16 -> f32 configuration (else reported as not offered), with each
//                 tiling of kernels.cpp kSgmatTiles the device's limits fit (the engine takes the first that fits)
// Prints the adapter, its features and subgroupMatrixConfigs, then per kernel and shape (M 1 / 7 / 255 / 513 / 32768,
// N x K 384 x 384, 1152 x 384, 1536 x 384, 384 x 1536; the GELU and residual epilogues on some) the error against a
// float64 CPU reference of the same (f16-rounded, for the f16 kernels) inputs (per element against a worst-case
// bound, and for the f16 kernels the rms error against 4 u rms |y|, as tests/wasm/ops.test.mjs), the min row
// cosine, an untouched guard past the output, and the time per call with GFLOP/s (2 M N K / t; GPU timestamps where
// 'timestamp-query' is offered, else wall time around submit + onSubmittedWorkDone).
// Rows checked: all for M <= 513; for larger M the first 8, the last 8 and 48 others (a float64 reference of all
// of them would take minutes of CPU).
// Exit status: 0 all results within tolerance; 1 a wrong result or a kernel that failed to compile / run (the
// subgroup-matrix kernel included, when offered); 2 no adapter / device.
//   node bench/gpu/subgroup_matrix_probe.mjs [--webgpu-dir DIR] [--toggles LIST] [--max-m N] [--ms M1,M2,..]
//        [--reps N] [--no-time] [--json FILE] [--small NCxLANESxMBuU,...]
// --small: matmul_small.wgsl's few-row variants only (its constants substituted), e.g. --ms 1,7,12,31.
// --toggles: Dawn toggles to enable (default allow_unsafe_apis,vulkan_enable_f16_on_nvidia: the subgroup-matrix
// feature is experimental, and NVIDIA's Vulkan driver hides 'shader-f16' without the second).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { fromF16, mulberry32, toF16 } from '../common.mjs';
import { gelu } from '../../tests/wasm/reference.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const KDIR = path.join(REPO, 'src', 'backend', 'webgpu', 'kernels');
const a = { webgpuDir: '', toggles: 'allow_unsafe_apis,vulkan_enable_f16_on_nvidia', maxM: Infinity, reps: 0, time: true,
  json: '', ms: [1, 7, 255, 513, 32768], small: '' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i], v = () => argv[++i];
  if (k === '--webgpu-dir') a.webgpuDir = path.resolve(v());
  else if (k === '--toggles') a.toggles = v();
  else if (k === '--max-m') a.maxM = +v();
  else if (k === '--ms') a.ms = v().split(',').map(Number);
  else if (k === '--reps') a.reps = +v();
  else if (k === '--no-time') a.time = false;
  else if (k === '--json') a.json = path.resolve(v());
  else if (k === '--small') a.small = v();
  else throw new Error(`unknown argument ${k}`);
}
const SGM = 'chromium-experimental-subgroup-matrix';
const log = (s) => process.stdout.write(`${s}\n`);

// --- kernel sources, as kernels.cpp assembles them ---
const src = (name) => fs.readFileSync(path.join(KDIR, `${name}.wgsl`), 'utf8');
function hoist(text) {
  const head = [], body = [];
  for (const line of text.split('\n')) (/^\s*(enable |diagnostic|requires )/.test(line) ? head : body).push(line);
  return [...head, ...body].join('\n');
}
function substitute(text, name, value) {
  const re = new RegExp(`const ${name}: u32 = [^;]*;`);
  if (!re.test(text)) throw new Error(`no const ${name}`);
  return text.replace(re, `const ${name}: u32 = ${value}u;`);
}
function assemble(kernel, f16, consts = {}) {
  let t = hoist(`${src(f16 ? 'precision_f16' : 'precision_f32')}\n${src('matmul_common')}\n${src('erf')}\n${src(kernel)}`);
  for (const [k, v] of Object.entries(consts)) t = substitute(t, k, v);
  return t;
}

const out = { ok: false, tool: 'bench/gpu/subgroup_matrix_probe.mjs', results: [] };
let failures = 0;
try {
  process.env.XDG_RUNTIME_DIR ||= '/tmp';
  const webgpu = await import(a.webgpuDir ? pathToFileURL(path.join(a.webgpuDir, 'index.js')).href : 'webgpu');
  Object.assign(globalThis, webgpu.globals);
  const gpu = webgpu.create(a.toggles ? [`enable-dawn-features=${a.toggles}`] : []);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) { log('no WebGPU adapter'); process.exit(2); }
  const info = adapter.info || {};
  const configs = [...(info.subgroupMatrixConfigs || [])].map((c) => ({ componentType: c.componentType,
    resultComponentType: c.resultComponentType, M: Number(c.M), N: Number(c.N), K: Number(c.K) }));
  out.adapter = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
    subgroupMinSize: info.subgroupMinSize, subgroupMaxSize: info.subgroupMaxSize, features: [...adapter.features].sort(),
    subgroupMatrixConfigs: configs };
  log(`adapter: ${[info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ')}`);
  log(`features: ${out.adapter.features.join(' ')}`);
  log(`subgroup size: ${info.subgroupMinSize} .. ${info.subgroupMaxSize}`);
  log(`subgroupMatrixConfigs: ${configs.length ? configs.map((c) => `${c.componentType}->${c.resultComponentType} ` +
    `${c.M}x${c.N}x${c.K}`).join(', ') : '(none)'}`);
  const has = (f) => adapter.features.has(f);
  // the configuration the engine would take (webgpu_compat.js): f16 x f16 -> f32, 16 x 16 x 16 where offered
  let cfg = null;
  for (const c of configs) {
    if (c.componentType !== 'f16' || c.resultComponentType !== 'f32') continue;
    if (!cfg || (c.M === 16 && c.N === 16 && c.K === 16)) cfg = c;
  }
  const sgSize = Number(info.subgroupMaxSize || adapter.limits.maxSubgroupSize || 0);
  let sgmWhy = '';
  if (!has('shader-f16')) sgmWhy = "no 'shader-f16'";
  else if (!has('subgroups')) sgmWhy = "no 'subgroups'";
  else if (!has(SGM)) sgmWhy = `no '${SGM}' (toggles: ${a.toggles || 'none'})`;
  else if (!cfg) sgmWhy = 'no f16 x f16 -> f32 configuration';
  else if (!sgSize) sgmWhy = 'subgroup max size unknown';
  const al = adapter.limits;
  const features = ['shader-f16', 'timestamp-query', ...(sgmWhy ? [] : ['subgroups', SGM])].filter(has);
  const device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits: {
    maxStorageBufferBindingSize: al.maxStorageBufferBindingSize, maxBufferSize: al.maxBufferSize,
    maxComputeWorkgroupStorageSize: al.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: al.maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupSizeX: al.maxComputeWorkgroupSizeX } });
  device.addEventListener?.('uncapturederror', (e) => { log(`uncaptured WebGPU error: ${e.error?.message}`); failures++; });
  if (!sgmWhy && 4 * sgSize > device.limits.maxComputeInvocationsPerWorkgroup) sgmWhy = `4 x subgroup size ${sgSize} > invocations limit`;
  log(`subgroup-matrix matmul: ${sgmWhy ? `not offered (${sgmWhy})` : `offered: f16->f32 ${cfg.M}x${cfg.N}x${cfg.K}, subgroup ${sgSize}`}`);
  out.subgroup_matrix = sgmWhy ? { offered: false, why: sgmWhy } : { offered: true, config: cfg, subgroup_size: sgSize };
  const timestamps = device.features.has('timestamp-query');

  const layout = device.createBindGroupLayout({ entries: [0, 1, 2, 3, 4, 5].map((b) => ({ binding: b,
    visibility: GPUShaderStage.COMPUTE, buffer: { type: b === 0 ? 'uniform' : b === 5 ? 'storage' : 'read-only-storage' } })) });
  async function pipeline(name, f16, consts) {
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: assemble(name, f16, consts), label: name });
    const ci = await module.getCompilationInfo();
    const msgs = ci.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
    const pl = device.createComputePipeline({ label: name, layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' } });
    const err = await device.popErrorScope();
    if (msgs.length || err) throw new Error(`${name}: ${[...msgs, err?.message].filter(Boolean).join('; ')}`);
    return pl;
  }
  const kernels = [{ name: 'matmul', f16: false, tile: [64, 64] }, { name: 'matmul_f16', f16: true, tile: [64, 64] }];
  if (!sgmWhy) {
    // the tilings of kernels.cpp kSgmatTiles (subgroups sgr x sgc with tm x tn accumulators each, k-slices of bk),
    // where the device fits them
    for (const [sgr, sgc, tm, tn, bkw] of [[2, 2, 4, 4, 32], [2, 4, 2, 2, 32], [2, 2, 2, 2, 32]]) {
      const ksteps = Math.max(1, Math.floor(bkw / cfg.K)), bk = ksteps * cfg.K;
      const bytes = (tm * cfg.M * sgr + tn * cfg.N * sgc) * (bk + 8) * 2 + sgr * sgc * cfg.M * cfg.N * 4;
      if (sgr * sgc * sgSize > Math.min(device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX) ||
          bytes > device.limits.maxComputeWorkgroupStorageSize) continue;
      kernels.push({ name: 'matmul_sgmat', label: `matmul_sgmat ${sgr}x${sgc} t${tm}${tn}`, f16: true,
        tile: [tm * cfg.M * sgr, tn * cfg.N * sgc],
        consts: { SM: cfg.M, SN: cfg.N, SK: cfg.K, SG_SIZE: sgSize, SGR: sgr, SGC: sgc, TM: tm, TN: tn, KSTEPS: ksteps } });
    }
  }
  if (a.small) {
    // few-row variants of matmul_small.wgsl instead: NCxLANESxMBuU = columns per workgroup x threads per column x
    // rows per block, U weight loads in flight per thread
    kernels.length = 0;
    for (const v of a.small.split(',')) {
      const [, nc, lanes, mb, u] = v.match(/^(\d+)x(\d+)x(\d+)u(\d+)$/).map(Number);
      kernels.push({ name: 'matmul_small', label: `small ${v}`, f16: false, tile: [mb, nc],
        consts: { NC: nc, LANES: lanes, MB: mb, U: u } });
    }
  }
  for (const k of kernels) k.label ||= k.name;
  for (const k of kernels) {
    try { k.pl = await pipeline(k.name, k.f16, k.consts); } catch (e) {
      log(`FAIL ${k.label}: pipeline: ${e.message}`);
      out.results.push({ kernel: k.label, error: `pipeline: ${e.message}` });
      failures++;
    }
  }

  const buf = (data, usage = GPUBufferUsage.STORAGE) => {
    const b = device.createBuffer({ size: Math.max(16, Math.ceil(data.byteLength / 4) * 4), usage: usage | GPUBufferUsage.COPY_DST });
    const padded = new Uint8Array(b.size);
    padded.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    device.queue.writeBuffer(b, 0, padded);
    return b;
  };
  async function readBack(b, bytes) {
    const rb = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(b, 0, rb, 0, bytes);
    device.queue.submit([enc.finish()]);
    await rb.mapAsync(GPUMapMode.READ);
    const copy = rb.getMappedRange().slice(0);
    rb.unmap();
    rb.destroy();
    return copy;
  }
  const RMS_BOUND = 4;
  const GUARD = 64;  // elements past M * N, filled with a sentinel the kernel must not touch
  const G32 = -12345.5, G16 = toF16(-1234.5);

  const Ms = a.ms.filter((m) => m <= a.maxM);
  const NKs = [[384, 384], [1152, 384], [1536, 384], [384, 1536]];
  let seed = 1;
  for (const [N, K] of NKs) {
    for (const M of Ms) {
      const flags = (seed % 3);  // 0 plain, 1 GELU, 2 residual
      const r = mulberry32(seed++);
      const x = Float32Array.from({ length: M * K }, () => r() * 2 - 1);
      const w = Float32Array.from({ length: N * K }, () => (r() * 2 - 1) / Math.sqrt(K));
      const bias = Float32Array.from({ length: N }, () => (r() * 2 - 1) * 0.1);
      const res = Float32Array.from({ length: M * N }, () => r() * 2 - 1);
      const x16 = Uint16Array.from(x, toF16), w16 = Uint16Array.from(w, toF16), res16 = Uint16Array.from(res, toF16);
      const rows = [];
      if (M <= 513) for (let i = 0; i < M; ++i) rows.push(i);
      else {
        const rr = mulberry32(seed * 7919);
        const set = new Set([...Array(8).keys(), ...Array.from({ length: 8 }, (_, i) => M - 1 - i)]);
        while (set.size < 64) set.add(Math.floor(rr() * M));
        rows.push(...[...set].sort((p, q) => p - q));
      }
      // float64 references of the fp32 inputs and of the f16-rounded ones; sumAbs = sum |x w| for the f16 bounds
      const ref = (xs, ws, rs, dec) => {
        const want = new Float64Array(rows.length * N), sumAbs = new Float64Array(rows.length * N);
        const xr = new Float64Array(K), wr = new Float64Array(N * K);
        for (let i = 0; i < N * K; ++i) wr[i] = dec(ws[i]);
        rows.forEach((m, ri) => {
          for (let q = 0; q < K; ++q) xr[q] = dec(xs[m * K + q]);
          for (let n = 0; n < N; ++n) {
            let s = 0, sa = 0;
            const o = n * K;
            for (let q = 0; q < K; ++q) { const t = xr[q] * wr[o + q]; s += t; sa += Math.abs(t); }
            s += bias[n];
            if (flags & 1) s = gelu(s);
            if (flags & 2) s += dec(rs[m * N + n]);
            want[ri * N + n] = s;
            sumAbs[ri * N + n] = sa;
          }
        });
        return { want, sumAbs };
      };
      const ref32 = ref(x, w, res, (v) => v);
      const ref16 = ref(x16, w16, res16, fromF16);
      for (const k of kernels) {
        if (!k.pl) continue;
        const entry = { kernel: k.label, M, N, K, flags };
        try {
          const params = buf(new Uint32Array([M, N, K, flags]), GPUBufferUsage.UNIFORM);
          const bx = buf(k.f16 ? x16 : x), bw = buf(k.f16 ? w16 : w), bb = buf(bias), br = buf(k.f16 ? res16 : res);
          const yInit = k.f16 ? new Uint16Array(M * N + GUARD) : new Float32Array(M * N + GUARD);
          yInit.fill(k.f16 ? G16 : G32);
          const by = buf(yInit, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
          const bg = device.createBindGroup({ layout, entries: [params, bx, bw, bb, br, by].map((b, i) => ({ binding: i, resource: { buffer: b } })) });
          const grid = [Math.ceil(N / k.tile[1]), Math.min(Math.ceil(M / k.tile[0]), 65535)];
          const encode = (reps, enc, ts) => {
            const pass = enc.beginComputePass(ts ? { timestampWrites: ts } : {});
            pass.setPipeline(k.pl);
            pass.setBindGroup(0, bg);
            for (let i = 0; i < reps; ++i) pass.dispatchWorkgroups(grid[0], grid[1], 1);
            pass.end();
          };
          device.pushErrorScope('validation');
          let enc = device.createCommandEncoder();
          encode(1, enc);
          device.queue.submit([enc.finish()]);
          const err = await device.popErrorScope();
          if (err) throw new Error(err.message);
          const raw = await readBack(by, yInit.byteLength + (yInit.byteLength % 4));
          const got = k.f16 ? Float32Array.from(new Uint16Array(raw, 0, M * N + GUARD), fromF16) : new Float32Array(raw, 0, M * N + GUARD);
          // tolerances: fp32 and f16 as tests/wasm/ops.test.mjs (u = 2^-11: matmul_f16 rounds each product and
          // running sum of a 16-term slice, <= 18 u sum |x w|; the subgroup-matrix unit sums in f32, 2^-10 sum |x w|
          // leaves room for coarser hardware accumulation; GELU's slope <= 1.13; y is rounded once, u |y|)
          const u = 2 ** -11;
          const { want, sumAbs } = k.f16 ? ref16 : ref32;
          const sumBound = k.name === 'matmul_f16' ? 18 * u : 2 ** -10;
          let maxErr = 0, maxRel = 0, worst = null, minCos = 1, se = 0, sy = 0;
          rows.forEach((m, ri) => {
            let dot = 0, gg = 0, ww = 0;
            for (let n = 0; n < N; ++n) {
              const g = got[m * N + n], wv = want[ri * N + n];
              const tol = k.f16 ? sumBound * sumAbs[ri * N + n] * ((flags & 1) ? 1.13 : 1) + u * Math.abs(wv) + 1e-6
                : 2e-6 * Math.sqrt(K) + 2e-6 * Math.abs(wv);
              const e = Math.abs(g - wv);
              if (!(e <= tol)) { if (!worst) worst = `row ${m} col ${n}: got ${g} want ${wv} (tol ${tol.toExponential(2)})`; }
              if (e > maxErr) maxErr = e;
              se += e * e; sy += wv * wv;
              if (e / tol > maxRel) maxRel = e / tol;
              dot += g * wv; gg += g * g; ww += wv * wv;
            }
            const cos = gg > 0 && ww > 0 ? dot / Math.sqrt(gg * ww) : (gg === ww ? 1 : 0);
            if (!(cos >= minCos)) minCos = cos;
          });
          // the typical error, in units of u rms |y| (the second check of tests/wasm/ops.test.mjs): f16 sums
          // confined to 16-term slices stay near 1.5, one f16 sum over the whole of K grows with sqrt(K) (6-12)
          const rmsU = Math.sqrt(se / sy) / u;
          if (k.f16 && K >= 64 && !(rmsU <= RMS_BOUND) && !worst) worst = `rms |err| ${rmsU.toFixed(2)} u rms |y| > ${RMS_BOUND}`;
          let guardBad = 0;
          for (let i = M * N; i < M * N + GUARD; ++i) if (got[i] !== (k.f16 ? fromF16(G16) : G32)) guardBad++;
          Object.assign(entry, { rows_checked: rows.length, max_abs_err: maxErr, err_over_tol: maxRel, rms_err_u: rmsU, min_row_cosine: minCos,
            guard_overwritten: guardBad, ok: !worst && !guardBad });
          if (!entry.ok) { failures++; entry.first_bad = worst || `${guardBad} guard values overwritten`; }
          if (a.time) {
            const flop = 2 * M * N * K;
            const reps = a.reps || Math.max(3, Math.min(200, Math.ceil(2e10 / flop)));
            let ms;
            if (timestamps) {
              const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
              const qb = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
              enc = device.createCommandEncoder();
              encode(1, enc);  // warm-up
              encode(reps, enc, { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 });
              enc.resolveQuerySet(qs, 0, 2, qb, 0);
              device.queue.submit([enc.finish()]);
              const t = new BigInt64Array(await readBack(qb, 16));
              ms = Number(t[1] - t[0]) / 1e6 / reps;
              qs.destroy(); qb.destroy();
            }
            if (!timestamps || !(ms > 0)) {
              enc = device.createCommandEncoder();
              encode(1, enc);
              device.queue.submit([enc.finish()]);
              await device.queue.onSubmittedWorkDone();
              const t0 = performance.now();
              enc = device.createCommandEncoder();
              encode(reps, enc);
              device.queue.submit([enc.finish()]);
              await device.queue.onSubmittedWorkDone();
              ms = (performance.now() - t0) / reps;
            }
            Object.assign(entry, { ms: +ms.toFixed(4), gflops: +(flop / ms / 1e6).toFixed(1), reps, timer: timestamps ? 'timestamp' : 'wall' });
          }
          for (const b of [params, bx, bw, bb, br, by]) b.destroy();
        } catch (e) {
          failures++;
          Object.assign(entry, { ok: false, error: String(e?.message ?? e) });
        }
        out.results.push(entry);
        log(`${entry.ok ? 'ok  ' : 'FAIL'} ${k.label.padEnd(18)} M ${String(M).padStart(5)} N ${String(N).padStart(4)} K ${String(K).padStart(4)} ` +
          `flags ${flags}` + (entry.error ? `: ${entry.error}` : `: max |err| ${entry.max_abs_err.toExponential(2)} ` +
          `(${entry.err_over_tol.toFixed(3)} of tol), rms ${entry.rms_err_u.toFixed(2)} u, min row cos ${entry.min_row_cosine.toFixed(7)}, ${entry.rows_checked} rows` +
          (entry.ms != null ? `, ${entry.ms.toFixed(3)} ms, ${entry.gflops} GFLOP/s` : '') + (entry.first_bad ? `; ${entry.first_bad}` : '')));
      }
    }
  }
  out.ok = failures === 0;
} catch (e) {
  failures++;
  out.error = String(e?.stack ?? e);
  log(`ERROR ${out.error}`);
}
log(`${failures ? `FAILED: ${failures} problem(s)` : 'all results within tolerance'}`);
if (a.json) fs.writeFileSync(a.json, JSON.stringify(out, null, 1));
setImmediate(() => process.exit(failures ? 1 : 0));

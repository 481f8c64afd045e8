// Low-level JS binding of gpuembed.mjs's C exports (see README.md). It marshals only: model files in, texts in,
// Float32Arrays out, C++ errors turned into CoreError {code, message}. The public GpuEmbedder API (js/) builds on it.
//
//   import createGpuEmbedModule from '../../build-wasm/gpuembed.mjs';
//   import { GpuEmbedCore } from './core.mjs';
//   const core = await GpuEmbedCore.create(createGpuEmbedModule, { gpu });     // gpu: optional GPU object (Node)
//   (gpuembed-mt.mjs, the threaded module: GpuEmbedCore.create(factory, { threads: 2 }); core.threads)
//   const model = core.loadModel({ config, modules, pooling, sentenceBert, tokenizer, safetensors });
//   model.embedCpu(['a', 'b']);                 // Float32Array [2 * dim] (synchronous)
//   model.setCpuPrecision('int8');              // (or loadModel(files, { cpuPrecision: 'int8' })): int8 matmuls
//   await model.initGpu();                      // throws CoreError('WEBGPU_UNAVAILABLE' | ...)
//   await model.initGpu({ precision: 'fp16' }); // f16 storage where the adapter has 'shader-f16'; model.precision
//   await model.embedGpu(['a', 'b']);           // Float32Array [2 * dim]
// The names of the error codes (ErrorCode + 1), read from the module: gpuembed/error.h lists them once.
const errorCodeCache = new WeakMap();
function errorCodeNames(M) {
  let names = errorCodeCache.get(M);
  if (!names) {
    names = [];
    for (let code = 0; ; ++code) {
      const name = M.UTF8ToString(M._ge_error_code_name(code));
      if (!name) break;
      names.push(name);
    }
    errorCodeCache.set(M, names);
  }
  return names;
}
// ge_gpu_state() < 0
const GPU_FAILURES = { '-1': 'no_webgpu', '-2': 'no_adapter', '-3': 'limits_too_small', '-4': 'device_refused',
                       '-5': 'device_lost', '-6': 'gpu_error', '-7': 'fp16_unavailable' };
const PRECISIONS = ['fp32', 'fp16'];
const CPU_PRECISIONS = ['fp32', 'int8'];  // ge_cpu_precision's 0, 1

export class CoreError extends Error {
  constructor(code, message, detail) {
    super(message);
    this.name = 'CoreError';
    this.code = code;      // MODEL_INVALID, DEVICE_LOST, WEBGPU_UNAVAILABLE, ...
    this.detail = detail;  // for WebGPU init failures: no_webgpu | no_adapter | limits_too_small | device_refused | ...
  }
}

const enc = new TextEncoder();
// An address from the module as an unsigned number (GpuEmbedCore.alloc says why).
const ptr = (p) => p >>> 0;

// The most recently started module: where a js/index.mjs VectorIndex made without an embedder keeps its rows.
let latestCore = null;
export function lastStartedCore() { return latestCore; }

export class GpuEmbedCore {
  // factory: the default export of gpuembed.mjs. options.gpu: a GPU object (navigator.gpu is used otherwise);
  // options.device: a GPUDevice to use as is; options.precision / strictPrecision: the defaults of every model's
  // initGpu(). Other options go to the Emscripten module.
  // options.threads: the CPU path's thread count on the threaded module (gpuembed-mt.mjs), whose worker pool is
  // made at start for that many (threads - 1 workers: the calling thread runs a share too; at least one, since
  // Emscripten 3.1.6 never finishes starting a module whose pool is empty); the single-threaded module ignores it.
  // this.threads says what runs.
  static async create(factory, options = {}) {
    const { gpu, device, precision = 'fp32', strictPrecision = false, threads = 1, ...rest } = options;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new CoreError('INVALID_INPUT', `threads must be a positive integer; got ${JSON.stringify(threads)}`);
    }
    const M = await factory({ ...rest, gpuembedWorkers: Math.max(1, threads - 1), ...(gpu ? { gpu } : {}),
                              ...(device ? { gpuembedDevice: device } : {}) });
    if (M._ge_set_threads) M._ge_set_threads(threads);
    return new GpuEmbedCore(M, { precision, strict: !!strictPrecision });
  }
  constructor(M, gpuPrecision = { precision: 'fp32', strict: false }) {
    this.M = M;
    this.errorCodes = errorCodeNames(M);
    this.gpuPrecision = gpuPrecision;
    latestCore = this;
  }

  // Threads the CPU path runs on: 1 on the single-threaded module (it has no ge_threads).
  get threads() { return this.M._ge_threads ? this.M._ge_threads() : 1; }
  get threaded() { return !!this.M._ge_threads; }
  // The CPU path's SIMD: 'relaxed-simd' on the relaxed-SIMD modules (gpuembed-relaxed.mjs, gpuembed-mt-relaxed.mjs:
  // the fp32 matmuls multiply-add with f32x4.relaxed_madd), else 'simd128'. The module's own kernel says it.
  get simd() {
    return this.M.UTF8ToString(this.M._ge_cpu_kernel()).endsWith('-relaxed-simd') ? 'relaxed-simd' : 'simd128';
  }

  lastError() {
    const M = this.M;
    const code = M._ge_last_error_code();
    return new CoreError(this.errorCodes[code] || 'INTERNAL', M.UTF8ToString(M._ge_last_error_message()));
  }

  // n bytes on the heap (caller frees). Every address the module hands to JS goes through ptr(): the heap reaches
  // 4 GiB (-sMAXIMUM_MEMORY), and an address >= 2 GiB comes out of WASM as a negative i32. Unsigned here once, it
  // indexes HEAPU8 as it is and the wider views by `>>> 2` / `>>> 3`; JS numbers up to 2^32 - 1 go back into WASM
  // as the same i32.
  alloc(n) {
    const p = ptr(this.M._malloc(n));
    if (!p) throw new CoreError('OUT_OF_MEMORY', `the WebAssembly heap (${this.M.HEAPU8.length} bytes) cannot grow by ${n} bytes`);
    return p;
  }

  // NUL-terminated UTF-8 copy on the heap (caller frees).
  cstr(s) {
    const b = typeof s === 'string' ? enc.encode(s) : s || new Uint8Array(0);
    const p = this.alloc(b.length + 1);
    this.M.HEAPU8.set(b, p);
    this.M.HEAPU8[p + b.length] = 0;
    return p;
  }

  // Texts as one UTF-8 blob + n+1 offsets. Returns [blobPtr, offsetsPtr].
  texts(list) {
    const parts = list.map((t) => enc.encode(String(t)));
    const total = parts.reduce((a, p) => a + p.length, 0);
    const blob = this.alloc(Math.max(1, total));
    const offs = this.alloc(4 * (parts.length + 1));
    let at = 0;
    parts.forEach((p, i) => {
      this.M.HEAPU8.set(p, blob + at);
      this.M.HEAPU32[(offs >>> 2) + i] = at;
      at += p.length;
    });
    this.M.HEAPU32[(offs >>> 2) + parts.length] = at;
    return [blob, offs];
  }

  // files: { config, modules, pooling, sentenceBert, tokenizer | (vocab, tokenizerConfig), safetensors, origin }
  // (strings or Uint8Arrays; safetensors a Uint8Array/ArrayBuffer). options: { normalize: -1|0|1, maxBatch }.
  // files.extra: { 'path/in/folder': Uint8Array } (config_sentence_transformers.json, Dense modules, shards);
  // options.truncateDim: keep the first N dimensions (0: all). options.cpuPrecision: 'fp32' (default) | 'int8'
  // (CoreModel.setCpuPrecision).
  loadModel(files, { normalize = -1, maxBatch = 32, truncateDim = 0, cpuPrecision = 'fp32' } = {}) {
    if (!CPU_PRECISIONS.includes(cpuPrecision)) {
      throw new CoreError('INVALID_INPUT', `cpuPrecision must be 'fp32' or 'int8'; got ${JSON.stringify(cpuPrecision)}`);
    }
    const M = this.M;
    for (const [name, bytes] of Object.entries(files.extra || {})) {
      const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
      const np = this.cstr(name), bp = this.alloc(Math.max(1, b.length));
      M.HEAPU8.set(b, bp);
      M._ge_stage_file(np, bp, b.length);
      M._free(np);
      M._free(bp);
    }
    M._ge_stage_truncate_dim(truncateDim | 0);
    const st = files.safetensors instanceof Uint8Array ? files.safetensors : new Uint8Array(files.safetensors || 0);
    const strs = [files.config, files.modules, files.pooling, files.sentenceBert, files.tokenizer, files.vocab,
                  files.tokenizerConfig].map((s) => this.cstr(s));
    const origin = this.cstr(files.origin || 'model');
    const stPtr = this.alloc(Math.max(1, st.length));
    M.HEAPU8.set(st, stPtr);
    const h = M._ge_load(...strs, stPtr, st.length, normalize, maxBatch, origin);  // frees stPtr itself
    [...strs, origin].forEach((p) => M._free(p));
    if (!h) throw this.lastError();
    const model = new CoreModel(this, h);
    if (cpuPrecision !== 'fp32') model.setCpuPrecision(cpuPrecision);
    return model;
  }
}

export class CoreModel {
  constructor(core, handle) {
    this.core = core;
    this.M = core.M;
    this.h = handle;
    this.info = JSON.parse(this.M.UTF8ToString(this.M._ge_info_json(handle)));
    this.dimension = this.info.dimension;
    this.hiddenSize = this.info.hidden_size;
    this.cpuPrecision = 'fp32';
  }

  tokenize(text) {
    const M = this.M;
    const b = enc.encode(String(text));
    const p = this.core.cstr(b);
    const cap = this.info.max_seq_length + 2;
    const out = this.core.alloc(4 * cap);
    const n = M._ge_tokenize(this.h, p, b.length, out, cap);
    const ids = n >= 0 ? M.HEAP32.slice(out >>> 2, (out >>> 2) + n) : null;
    M._free(p);
    M._free(out);
    if (!ids) throw this.core.lastError();
    return ids;
  }

  // prompt: { name } (a prompt of the model), { text } (a literal prompt) or null (the model's default), staged
  // for the call that follows at once.
  stagePrompt(prompt) {
    const kind = !prompt ? 0 : prompt.name !== undefined ? 1 : 2;
    const p = this.core.cstr(kind === 0 ? '' : kind === 1 ? prompt.name : prompt.text);
    this.M._ge_stage_prompt(this.h, kind, p);
    this.M._free(p);
  }

  // The CPU path's precision: 'fp32' (default) | 'int8' (matmuls in int8: weights per output channel, activations
  // per row at run time, int32 sums; the FFN's output matmul stays fp32). Takes effect at the next CPU call.
  setCpuPrecision(precision) {
    if (!CPU_PRECISIONS.includes(precision)) {
      throw new CoreError('INVALID_INPUT', `cpuPrecision must be 'fp32' or 'int8'; got ${JSON.stringify(precision)}`);
    }
    if (this.M._ge_cpu_precision(this.h, CPU_PRECISIONS.indexOf(precision)) < 0) throw this.core.lastError();
    this.cpuPrecision = precision;
  }

  embedCpu(texts, prompt = null) {
    const M = this.M;
    const [blob, offs] = this.core.texts(texts);
    this.stagePrompt(prompt);
    const out = this.core.alloc(Math.max(4, 4 * texts.length * this.dimension));
    const rc = M._ge_embed_cpu(this.h, blob, offs, texts.length, out);
    const res = rc === 0 ? M.HEAPF32.slice(out >>> 2, (out >>> 2) + texts.length * this.dimension) : null;
    [blob, offs, out].forEach((p) => M._free(p));
    if (!res) throw this.core.lastError();
    return res;
  }

  hiddenCpu(text) {
    const M = this.M;
    const b = enc.encode(String(text));
    const p = this.core.cstr(b);
    const cap = (this.info.max_seq_length + 2) * this.hiddenSize;
    const out = this.core.alloc(4 * cap);
    const n = M._ge_hidden_cpu(this.h, p, b.length, out, cap);
    const res = n >= 0 ? M.HEAPF32.slice(out >>> 2, (out >>> 2) + n * this.hiddenSize) : null;
    M._free(p);
    M._free(out);
    if (!res) throw this.core.lastError();
    return res;
  }

  gpuState() { return this.M._ge_gpu_state(this.h); }
  gpuMessage() { return this.M.UTF8ToString(this.M._ge_gpu_message(this.h)); }
  // With last_job_passes (ge_gpu_pass_log): { texts, seq, record_start, submitted, mapped, read_start, read_end,
  // flops, gpu_exec (only with timestamps) } per pass of the last job (ms from its begin).
  gpuStats() {
    const M = this.M;
    const s = JSON.parse(M.UTF8ToString(M._ge_gpu_stats_json(this.h)));
    const slot = this.core.alloc(4);
    const n = M._ge_gpu_pass_log(this.h, slot);
    const at = M.HEAPU32[slot >>> 2] >>> 3;
    M._free(slot);
    const keys = ['texts', 'seq', 'record_start', 'submitted', 'mapped', 'read_start', 'read_end', 'gpu_exec', 'flops'];
    s.last_job_passes = [];
    for (let i = 0; i < n; ++i) {
      const p = Object.fromEntries(keys.map((k, j) => [k, M.HEAPF64[at + 9 * i + j]]));
      if (p.gpu_exec < 0) delete p.gpu_exec;
      s.last_job_passes.push(p);
    }
    return s;
  }
  // false: the WebGPU passes of a request run one at a time, none cut for overlap (the reference of the tests).
  // minPassTokens: the cut's minimum instead of the job driver's (api/job.h kOverlapMinPassTokens).
  setGpuOverlap(on, { minPassTokens = 0 } = {}) {
    if (this.M._ge_gpu_set_overlap(this.h, on ? 1 : 0, minPassTokens) < 0) throw this.core.lastError();
  }
  // Kernel profiling (initGpu({ timestamps: true }) on an adapter with 'timestamp-query'): while on, one pass at a
  // time, each dispatch in a timed compute pass of its own; gpuStats().kernel_profile then holds [kernel, out width,
  // in width, dispatches, gpu ms, flops, output tensor] per kernel and shape class, summed since setGpuProfile(true) (bench/gpu/kernel_profile.mjs).
  setGpuProfile(on) {
    if (this.M._ge_gpu_set_profile(this.h, on ? 1 : 0) < 0) {
      throw new CoreError('BACKEND_UNAVAILABLE', 'kernel profiling needs WebGPU ready with timestamps (initGpu({ timestamps: true }))');
    }
  }

  // Requests the adapter + device and uploads the weights. Resolves with the adapter description.
  // precision 'fp16': weights and activations stored as f16 on the GPU when the adapter has 'shader-f16', else fp32
  // with the reason in this.precisionNote; strict: fp16 or CoreError('WEBGPU_UNAVAILABLE', detail 'fp16_unavailable').
  // Afterwards this.precision is what runs: 'fp32' | 'fp16'. timestamps: ask for 'timestamp-query' where the adapter
  // offers it (benchmarks: gpuStats() then has the device's execution time, counters.gpu_exec_ms).
  async initGpu({ precision = this.core.gpuPrecision.precision, strict = this.core.gpuPrecision.strict,
                  timestamps = false } = {}) {
    if (!PRECISIONS.includes(precision)) {
      throw new CoreError('INVALID_INPUT', `precision must be 'fp32' or 'fp16'; got ${JSON.stringify(precision)}`);
    }
    const code = (precision === 'fp16' ? (strict ? 2 : 1) : 0) + (timestamps ? 8 : 0);
    if (this.M._ge_gpu_init(this.h, code) < 0) throw this.core.lastError();
    let s;
    while ((s = this.gpuState()) === 1) await this.M.gpuembedWait();
    if (s !== 2) {
      const detail = GPU_FAILURES[String(s)] || 'gpu_error';
      const code = detail === 'device_lost' ? 'DEVICE_LOST' : 'WEBGPU_UNAVAILABLE';
      throw new CoreError(code, this.gpuMessage(), detail);
    }
    const stats = this.gpuStats();
    this.precision = stats.precision;
    this.precisionNote = stats.precision_note || null;
    return this.gpuMessage();
  }

  async runGpuJob(begin) {
    const M = this.M;
    if (begin() < 0) throw this.core.lastError();
    let r;
    while ((r = M._ge_gpu_step(this.h)) === 1) await M.gpuembedWait();
    if (r < 0) throw this.core.lastError();
    const n = M._ge_gpu_result(this.h, 0);
    const out = this.core.alloc(Math.max(4, 4 * n));
    M._ge_gpu_result(this.h, out);
    const res = M.HEAPF32.slice(out >>> 2, (out >>> 2) + n);
    M._free(out);
    return res;
  }

  // [texts.length * dimension] in input order. Throws CoreError('DEVICE_LOST') when the device was lost: the
  // caller may redo the same texts with embedCpu().
  async embedGpu(texts, prompt = null) {
    const [blob, offs] = this.core.texts(texts);
    try {
      return await this.runGpuJob(() => {
        this.stagePrompt(prompt);
        return this.M._ge_gpu_embed_begin(this.h, blob, offs, texts.length);
      });
    } finally {
      this.M._free(blob);
      this.M._free(offs);
    }
  }

  async hiddenGpu(text) {
    const b = enc.encode(String(text));
    const p = this.core.cstr(b);
    try {
      return await this.runGpuJob(() => this.M._ge_gpu_hidden_begin(this.h, p, b.length));
    } finally {
      this.M._free(p);
    }
  }

  destroyGpuDevice() { this.M._ge_gpu_destroy_device(this.h); }
  releaseGpu() { this.M._ge_gpu_release(this.h); }
  free() {
    if (this.h) this.M._ge_free(this.h);
    this.h = 0;
  }
}

// The GPU copy of a vector index (src/wasm/index_exports.cpp): rows and queries come in L2-normalized; search gives
// [n, k] scores and ids, best first (ties: lower id). Every index of the module shares one search device.
//   const g = await CoreGpuIndex.create(core, dim);   // throws CoreError('WEBGPU_UNAVAILABLE' | 'DEVICE_LOST')
//   g.add(rows);  const { scores, ids } = await g.search(queries, n, k);  g.free();
export class CoreGpuIndex {
  static async create(core, dimension) {
    const M = core.M;
    const h = M._ge_gpu_index_create(dimension);
    if (!h) throw CoreGpuIndex.#error(M);
    const g = new CoreGpuIndex(core, h, dimension);
    let s;
    while ((s = g.state()) === 1) await M.gpuembedWait();
    if (s !== 2) {
      const detail = GPU_FAILURES[String(s)] || 'gpu_error';
      const err = new CoreError(detail === 'device_lost' ? 'DEVICE_LOST' : 'WEBGPU_UNAVAILABLE', g.message(), detail);
      g.free();
      throw err;
    }
    return g;
  }

  static #error(M) {
    const code = M._ge_gpu_index_error_code();
    return new CoreError(errorCodeNames(M)[code] || 'INTERNAL', M.UTF8ToString(M._ge_gpu_index_error_message()));
  }

  constructor(core, handle, dimension) {
    this.core = core;
    this.M = core.M;
    this.h = handle;
    this.dimension = dimension;
  }

  state() { return this.M._ge_gpu_index_state(this.h); }
  message() { return this.M.UTF8ToString(this.M._ge_gpu_index_message(this.h)); }
  stats() { return JSON.parse(this.M.UTF8ToString(this.M._ge_gpu_index_stats_json(this.h))); }
  get size() { return this.M._ge_gpu_index_size(this.h); }

  // rows: Float32Array [n * dimension], normalized. Copied through the heap in bounded chunks.
  add(rows) {
    const M = this.M, dim = this.dimension, n = rows.length / dim;
    const per = Math.max(1, Math.floor((8 << 20) / (4 * dim)));
    const p = this.core.alloc(4 * dim * Math.min(per, Math.max(n, 1)));
    try {
      for (let at = 0; at < n; at += per) {
        const m = Math.min(per, n - at);
        M.HEAPF32.set(rows.subarray(at * dim, (at + m) * dim), p >>> 2);
        if (M._ge_gpu_index_add(this.h, p, m) < 0) throw CoreGpuIndex.#error(M);
      }
    } finally {
      M._free(p);
    }
  }

  // n normalized rows already in the module's memory at `pointer` (a CoreIndex's rowsPointer()): no copy.
  addFromHeap(pointer, n) {
    if (this.M._ge_gpu_index_add(this.h, pointer, n) < 0) throw CoreGpuIndex.#error(this.M);
  }

  // n normalized queries [n * dimension], 1 <= k <= min(256, size). Throws CoreError('DEVICE_LOST') when the
  // device was lost: the caller answers on the CPU.
  async search(queries, n, k) {
    const M = this.M;
    const q = this.core.alloc(Math.max(4, 4 * queries.length));
    M.HEAPF32.set(queries, q >>> 2);
    const rc = M._ge_gpu_index_search_begin(this.h, q, n, k);
    M._free(q);
    if (rc < 0) throw CoreGpuIndex.#error(M);
    let r;
    while ((r = M._ge_gpu_index_step(this.h)) === 1) await M.gpuembedWait();
    if (r < 0) throw CoreGpuIndex.#error(M);
    const s = this.core.alloc(Math.max(4, 8 * n * k));
    const count = M._ge_gpu_index_result(this.h, s, s + 4 * n * k);
    const out = count >= 0 ? { scores: M.HEAPF32.slice(s >>> 2, (s >>> 2) + count),
                               ids: M.HEAPU32.slice((s >>> 2) + count, (s >>> 2) + 2 * count) } : null;
    M._free(s);
    if (!out) throw CoreGpuIndex.#error(M);
    return out;
  }

  destroyDevice() { this.M._ge_gpu_index_destroy_device(this.h); }
  free() {
    if (this.h) this.M._ge_gpu_index_free(this.h);
    this.h = 0;
  }
}

// gpuembed::Index in the module (src/wasm/cpu_index_exports.cpp): rows stored L2-normalized, exact top k on the CPU,
// "GPEMBIDX" files. js/index.mjs's VectorIndex wraps it. The C++ index is freed with free(), or when this object
// becomes garbage.
const cpuIndexes = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry(({ M, h }) => { try { M._ge_index_free(h); } catch { /* module gone */ } }) : null;

export class CoreIndex {
  static create(core, dimension) {
    return CoreIndex.#wrap(core, core.M._ge_index_create(dimension));
  }

  // bytes: Uint8Array of a "GPEMBIDX" file.
  static load(core, bytes) {
    const M = core.M, p = core.alloc(Math.max(1, bytes.length));
    M.HEAPU8.set(bytes, p);
    const h = M._ge_index_load(p, bytes.length);
    M._free(p);
    return CoreIndex.#wrap(core, h);
  }

  static #wrap(core, h) {
    if (!h) throw core.lastError();
    const index = new CoreIndex(core, h);
    cpuIndexes?.register(index, { M: core.M, h }, index);
    return index;
  }

  constructor(core, handle) {
    this.core = core;
    this.M = core.M;
    this.h = handle;
    this.dimension = this.M._ge_index_dimension(handle);
  }

  get size() { return this.M._ge_index_size(this.h); }

  // Copies `values` (Float32Array) into the heap for f(pointer); returns f's result.
  #withHeap(values, f) {
    const M = this.M, p = this.core.alloc(Math.max(4, 4 * values.length));
    M.HEAPF32.set(values, p >>> 2);
    try {
      return f(p);
    } finally {
      M._free(p);
    }
  }

  // rows: Float32Array [n * dimension].
  add(rows) {
    const n = rows.length / this.dimension;
    if (this.#withHeap(rows, (p) => this.M._ge_index_add(this.h, p, n)) < 0) throw this.core.lastError();
  }

  // Stored rows [first, end): a pointer into the heap (valid until the next add), for the GPU copy.
  rowsPointer(first) {
    const p = ptr(this.M._ge_index_rows(this.h, first));
    if (!p) throw this.core.lastError();
    return p;
  }

  rows(first, end) {
    const p = this.rowsPointer(first) >>> 2;
    return this.M.HEAPF32.slice(p, p + (end - first) * this.dimension);
  }

  // n raw queries [n * dimension]: { scores, ids } [n, kk] and kk = min(k, size), best first.
  search(queries, n, k) {
    const M = this.M, kk = Math.min(k, this.size);
    const out = this.core.alloc(Math.max(8, 8 * n * kk));
    try {
      if (this.#withHeap(queries, (q) => M._ge_index_search(this.h, q, n, k, out, out + 4 * n * kk)) < 0) {
        throw this.core.lastError();
      }
      return { kk, scores: M.HEAPF32.slice(out >>> 2, (out >>> 2) + n * kk),
               ids: M.HEAPU32.slice((out >>> 2) + n * kk, (out >>> 2) + 2 * n * kk) };
    } finally {
      M._free(out);
    }
  }

  // n rows [n * dimension], L2-normalized as the index normalizes (a copy).
  normalized(rows, n) {
    return this.#withHeap(rows, (p) => {
      this.M._ge_index_normalize_rows(p, n, this.dimension);
      return this.M.HEAPF32.slice(p >>> 2, (p >>> 2) + rows.length);
    });
  }

  // "GPEMBIDX" file bytes, dtype 'f32' | 'f16'.
  save(dtype) {
    const n = this.M._ge_index_save(this.h, dtype === 'f16' ? 1 : 0);
    if (n < 0) throw this.core.lastError();
    const p = ptr(this.M._ge_index_saved());
    return this.M.HEAPU8.slice(p, p + n);
  }
}

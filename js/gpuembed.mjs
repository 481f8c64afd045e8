// gpuembed: sentence embeddings (BERT-family sentence-transformers models) on WebGPU, with a WebAssembly CPU fallback.
// Public JS API. This file only marshals, fetches, queues and falls back: every number comes from the C++ core
// (build-wasm/gpuembed.mjs + .wasm, wrapped by src/wasm/core.mjs), which runs the model's real weights.
//
//   import { GpuEmbedder } from 'gpuembed';
//   const e = await GpuEmbedder.create({ backend: 'auto' });          // 'auto' | 'webgpu' | 'cpu'
//   await e.loadModel('https://example.org/models/all-MiniLM-L6-v2/', { onProgress: console.log });
//   const v = await e.embed('The quick brown fox');                   // Float32Array(e.dimension)
//   const vs = await e.embedBatch(['first', 'second']);               // Float32Array[]
//   console.log(e.backend, e.dimension, e.modelInfo, e.threads);     // threads of the CPU path that runs
//   await e.dispose();
import { GpuEmbedCore, CoreError } from '../src/wasm/core.mjs';
import { VectorIndex } from './index.mjs';
import { fetchModelFiles, readModelFolder, modelFilesFromObject, isNodeRuntime, GpuEmbedderError, clearModelCache,
         looksLikeHubId, hubModelUrl } from './loader.mjs';

async function pathExists(p) {
  const fs = await import('node:fs/promises');
  return fs.stat(p).then(() => true, () => false);
}

export { GpuEmbedderError, VectorIndex, clearModelCache, hubModelUrl };
export const VERSION = '0.1.0';

const BACKENDS = ['auto', 'webgpu', 'cpu'];
const DEFAULT_MODULE_URL = new URL('../build-wasm/gpuembed.mjs', import.meta.url);
const DEFAULT_THREADED_MODULE_URL = new URL('../build-wasm/gpuembed-mt.mjs', import.meta.url);
// Their relaxed-SIMD twins (FMA in the fp32 matmuls), for engines that have relaxed SIMD (relaxedSimdSupported()).
const DEFAULT_RELAXED_MODULE_URL = new URL('../build-wasm/gpuembed-relaxed.mjs', import.meta.url);
const DEFAULT_THREADED_RELAXED_MODULE_URL = new URL('../build-wasm/gpuembed-mt-relaxed.mjs', import.meta.url);
// The default thread count is the cores there are, up to this many: a page keeps cores for the rest of the browser,
// and a server process shares its machine. `threads` goes higher.
const DEFAULT_MAX_THREADS = 4;
const CHUNK_TEXTS = 256;  // texts per call into the core (bounds the WASM heap use of one call; progress granularity)

// CoreError codes of src/wasm/core.mjs -> public codes.
function fromCore(e, context) {
  if (e instanceof GpuEmbedderError) return e;
  if (e instanceof CoreError) {
    const code = {
      MODEL_NOT_FOUND: 'MODEL_NOT_FOUND', MODEL_INVALID: 'MODEL_INVALID', INVALID_INPUT: 'INVALID_INPUT',
      BACKEND_UNAVAILABLE: 'WEBGPU_UNAVAILABLE', WEBGPU_UNAVAILABLE: 'WEBGPU_UNAVAILABLE', DEVICE_LOST: 'DEVICE_LOST',
    }[e.code] || 'INTERNAL';
    return new GpuEmbedderError(code, context ? `${context}: ${e.message}` : e.message, { cause: e, detail: e.detail });
  }
  return new GpuEmbedderError('INTERNAL', `${context ? context + ': ' : ''}${e && e.message ? e.message : e}`, { cause: e });
}

function toPath(u) {
  if (u instanceof URL) return u.protocol === 'file:' ? decodeURIComponent(u.pathname) : u.href;
  return String(u);
}

async function importFactory(url) {
  try {
    const mod = await import(/* webpackIgnore: true */ /* @vite-ignore */ String(url instanceof URL ? url.href : url));
    if (typeof mod.default !== 'function') throw new Error('it has no default export (an Emscripten MODULARIZE factory)');
    return mod.default;
  } catch (e) {
    throw new GpuEmbedderError('FETCH_FAILED', `could not load the WebAssembly module ${url}: ${e.message}` +
      (String(url).includes('build-wasm') ? ' (run scripts/build_wasm.sh, or pass moduleUrl)' : ''), { cause: e, url: String(url) });
  }
}

const compiledWasm = new Map();  // URL -> Promise<WebAssembly.Module>
function compileWasm(url) {
  let p = compiledWasm.get(url);
  if (!p) {
    p = (async () => {
      let res;
      try {
        res = await fetch(url);
      } catch (e) {
        throw new GpuEmbedderError('FETCH_FAILED', `fetching ${url} failed: ${e.message}`, { cause: e, url });
      }
      if (!res.ok) throw new GpuEmbedderError('FETCH_FAILED', `fetching ${url} failed: HTTP ${res.status}`, { url, status: res.status });
      try {
        return await ((res.headers.get('content-type') || '').startsWith('application/wasm') && WebAssembly.compileStreaming
          ? WebAssembly.compileStreaming(res) : WebAssembly.compile(await res.arrayBuffer()));
      } catch (e) {
        throw new GpuEmbedderError('INTERNAL', `compiling ${url} failed: ${e.message}`, { cause: e, url });
      }
    })();
    compiledWasm.set(url, p);
    p.catch(() => compiledWasm.delete(url));
  }
  return p;
}

// The pool workers of a threaded module keep its memory alive (and, in a browser, their threads) until they end: an
// embedder that became garbage ends them. (A page that closes ends them anyway.)
const poolReaper = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry((M) => M.gpuembedTerminate?.()) : null;

function hardwareThreads() {
  // (Node 20 has no navigator; process.getBuiltinModule is there from 20.16, as src/wasm/pre.js needs anyway)
  const os = isNodeRuntime && process.getBuiltinModule ? process.getBuiltinModule('os') : null;
  const n = os ? os.availableParallelism() : typeof navigator === 'object' && navigator ? navigator.hardwareConcurrency : 0;
  return Number.isInteger(n) && n > 0 ? n : 1;
}

// A module of one function whose body is a single f32x4.relaxed_madd (0xfd 0x105): engines without relaxed SIMD
// (Node 20 without --experimental-wasm-relaxed-simd, Firefox and Safari so far) do not validate it.
const RELAXED_PROBE = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 8, 1, 0x60, 3, 0x7b, 0x7b, 0x7b, 1, 0x7b,
  3, 2, 1, 0, 10, 13, 1, 11, 0, 0x20, 0, 0x20, 1, 0x20, 2, 0xfd, 0x85, 2, 0x0b]);
let relaxedSupported = null;
/** Whether this engine runs relaxed SIMD, i.e. whether create() starts the relaxed-SIMD module. */
export function relaxedSimdSupported() {
  if (relaxedSupported === null) {
    try {
      relaxedSupported = typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
    } catch {
      relaxedSupported = false;
    }
  }
  return relaxedSupported;
}

// The module to start: the threaded one where threads can run (Node; a browser page that is cross-origin isolated,
// i.e. served with COOP/COEP, which is what makes SharedArrayBuffer available) and more than one is wanted, else the
// single-threaded one; then its relaxed-SIMD twin where the engine has relaxed SIMD (unless relaxedSimd: false, or
// the module's URL was given without the twin's). Returns { url, wasmName, threaded, reason } (reason: why a wanted
// threaded module is not used).
function pickModule(options, threads) {
  const picked = pickThreading(options, threads);
  if (options.relaxedSimd === false || !relaxedSimdSupported()) return picked;
  if (picked.threaded) {
    const url = options.threadedRelaxedModuleUrl ??
      (options.threadedModuleUrl === undefined ? DEFAULT_THREADED_RELAXED_MODULE_URL : null);
    return url ? { ...picked, url, wasmName: 'gpuembed-mt-relaxed.wasm', relaxed: true } : picked;
  }
  const url = options.relaxedModuleUrl ??
    (options.moduleUrl === undefined && options.wasmUrl === undefined ? DEFAULT_RELAXED_MODULE_URL : null);
  return url ? { ...picked, url, wasmName: 'gpuembed-relaxed.wasm', relaxed: true } : picked;
}

function pickThreading(options, threads) {
  const single = { url: options.moduleUrl ?? DEFAULT_MODULE_URL, wasmName: 'gpuembed.wasm', threaded: false, reason: null };
  if (threads === 1) return single;
  if (typeof SharedArrayBuffer !== 'function' || !(isNodeRuntime || globalThis.crossOriginIsolated === true)) {
    return { ...single, reason: 'threads need a cross-origin isolated page (served with Cross-Origin-Opener-Policy: ' +
      'same-origin and Cross-Origin-Embedder-Policy: require-corp) for SharedArrayBuffer; running on 1 thread' };
  }
  if (options.moduleUrl !== undefined && options.threadedModuleUrl === undefined) {
    return { ...single, reason: 'moduleUrl was given without threadedModuleUrl; running on 1 thread' };
  }
  return { url: options.threadedModuleUrl ?? DEFAULT_THREADED_MODULE_URL, wasmName: 'gpuembed-mt.wasm', threaded: true, reason: null };
}

function checkTexts(texts) {
  if (typeof texts === 'string' || !texts || typeof texts[Symbol.iterator] !== 'function') {
    throw new GpuEmbedderError('INVALID_INPUT', 'embedBatch() takes an array of strings' +
      (typeof texts === 'string' ? ' (use embed() for one string)' : `, got ${texts === null ? 'null' : typeof texts}`));
  }
  const list = Array.from(texts);
  list.forEach((t, i) => {
    if (typeof t !== 'string') {
      throw new GpuEmbedderError('INVALID_INPUT', `text ${i} is ${t === null ? 'null' : typeof t}, not a string`);
    }
  });
  return list;
}

// { prompt } names a prompt of the model, { promptText } is one; the core checks that the name exists.
function checkPrompt(options) {
  const { prompt, promptText } = options || {};
  if (prompt !== undefined && typeof prompt !== 'string') {
    throw new GpuEmbedderError('INVALID_INPUT', `prompt must be the name of one of the model's prompts (a string); got ${typeof prompt}`);
  }
  if (promptText !== undefined && typeof promptText !== 'string') {
    throw new GpuEmbedderError('INVALID_INPUT', `promptText must be a string; got ${typeof promptText}`);
  }
  if (prompt !== undefined && promptText !== undefined) {
    throw new GpuEmbedderError('INVALID_INPUT', 'give either prompt (a name) or promptText, not both');
  }
}

export class GpuEmbedder extends EventTarget {
  #core; #gpu; #device; #requested; #model = null; #backend = null; #info = null; #tail = Promise.resolve();
  #onDeviceLost; #fallbackReason = null; #disposedSignal = null; #lostReported = false; #adapter = null;
  #threadsReason = null;

  // options: { backend: 'auto'|'webgpu'|'cpu', gpu?: GPU (navigator.gpu or npm webgpu's create([])),
  //            device?: GPUDevice to use as is, moduleUrl?: URL of gpuembed.mjs, wasmUrl?: URL of gpuembed.wasm,
  //            factory?: the Emscripten factory itself, onDeviceLost?: (info) => void,
  //            precision?: 'fp32' (default) | 'fp16' (WebGPU with 'shader-f16', else fp32 and precisionFallbackReason)
  //                        | 'int8' (the CPU path's matmuls in int8; WebGPU runs fp32, with precisionFallbackReason),
  //            strictPrecision?: true: fp16 or loadModel() fails (needs backend 'webgpu'); int8 needs backend 'cpu',
  //            threads?: CPU path threads (default: the cores, up to 4); more than 1 runs the threaded module
  //            (threadedModuleUrl, default build-wasm/gpuembed-mt.mjs) in Node and on cross-origin isolated pages,
  //            relaxedSimd?: false: never the relaxed-SIMD modules, which otherwise run where the engine has relaxed
  //            SIMD (relaxedModuleUrl / threadedRelaxedModuleUrl, default build-wasm/gpuembed-relaxed.mjs and
  //            gpuembed-mt-relaxed.mjs; a moduleUrl / threadedModuleUrl given alone keeps that module) }
  static async create(options = {}) {
    const backend = options.backend ?? 'auto';
    if (!BACKENDS.includes(backend)) {
      throw new GpuEmbedderError('INVALID_INPUT', `backend must be one of ${BACKENDS.join(', ')}; got ${JSON.stringify(backend)}`);
    }
    const precision = options.precision ?? 'fp32';
    if (precision !== 'fp32' && precision !== 'fp16' && precision !== 'int8') {
      throw new GpuEmbedderError('INVALID_INPUT', `precision must be 'fp32', 'fp16' or 'int8'; got ${JSON.stringify(precision)}`);
    }
    const strictPrecision = !!options.strictPrecision;
    if (strictPrecision && precision === 'fp16' && backend !== 'webgpu') {
      // fp16 exists only on WebGPU: 'auto' could end on the CPU, which strictness forbids
      throw new GpuEmbedderError('INVALID_INPUT', `strictPrecision with precision 'fp16' needs backend 'webgpu'; got ${JSON.stringify(backend)}`);
    }
    if (strictPrecision && precision === 'int8' && backend !== 'cpu') {
      // int8 exists only on the CPU path: 'auto' could end on WebGPU, which strictness forbids
      throw new GpuEmbedderError('INVALID_INPUT', `strictPrecision with precision 'int8' needs backend 'cpu'; got ${JSON.stringify(backend)}`);
    }
    // gpu: null turns WebGPU off; undefined (absent) means navigator.gpu
    const gpu = backend === 'cpu' ? null : options.gpu !== undefined ? options.gpu
      : (typeof navigator === 'object' && navigator ? navigator.gpu : undefined) ?? null;
    const device = backend === 'cpu' ? null : options.device ?? null;
    if (backend === 'webgpu') {
      if (!gpu && !device) {
        throw new GpuEmbedderError('WEBGPU_UNAVAILABLE', 'backend "webgpu" was asked for, but WebGPU is not available: ' +
          'navigator.gpu is undefined and no `gpu` or `device` option was given' +
          (isNodeRuntime ? ' (in Node pass { gpu: (await import("webgpu")).create([]) })' : ''), { detail: 'no_webgpu' });
      }
      if (!device) {
        let adapter = null, why = '';
        try { adapter = await gpu.requestAdapter(); } catch (e) { why = `: ${e.message}`; }
        if (!adapter) {
          throw new GpuEmbedderError('WEBGPU_UNAVAILABLE', `backend "webgpu" was asked for, but requestAdapter() gave no adapter${why}`,
                                     { detail: 'no_adapter' });
        }
      }
    }
    const threads = options.threads ?? Math.min(hardwareThreads(), DEFAULT_MAX_THREADS);
    if (!Number.isInteger(threads) || threads < 1) {
      throw new GpuEmbedderError('INVALID_INPUT', `threads must be a positive integer; got ${JSON.stringify(options.threads)}`);
    }
    const picked = options.factory ? { url: options.moduleUrl ?? DEFAULT_MODULE_URL, wasmName: 'gpuembed.wasm', reason: null }
      : pickModule(options, threads);
    const moduleUrl = picked.url;
    const factory = options.factory ?? await importFactory(moduleUrl);
    const moduleOptions = {};
    if (!isNodeRuntime && typeof WebAssembly === 'object' && !options.factory) {
      // Browsers: fetch + compile the .wasm once per page; every embedder instantiates the compiled module (no
      // refetch: later create() calls work offline and start faster). Fetch errors name the URL.
      const wasmHref = new URL(options.wasmUrl && !picked.threaded && !picked.relaxed ? String(options.wasmUrl) : picked.wasmName,
                               new URL(String(moduleUrl instanceof URL ? moduleUrl.href : moduleUrl), globalThis.location?.href)).href;
      const compiled = await compileWasm(wasmHref);
      moduleOptions.instantiateWasm = (imports, receive) => {
        WebAssembly.instantiate(compiled, imports).then((inst) => receive(inst, compiled),
          (e) => { throw new GpuEmbedderError('INTERNAL', `instantiating ${wasmHref} failed: ${e.message}`, { cause: e }); });
        return {};
      };
    } else if (options.wasmUrl && !picked.threaded && !picked.relaxed) {
      const w = options.wasmUrl;
      const wasm = isNodeRuntime && (w instanceof URL ? w.protocol === 'file:' : !/^[a-z]+:/i.test(String(w))) ? toPath(w)
                 : (w instanceof URL ? w.href : String(w));
      moduleOptions.locateFile = (p, prefix) => (p.endsWith('.wasm') ? wasm : prefix + p);
    }
    let core;
    try {
      core = await GpuEmbedCore.create(factory, { ...moduleOptions, ...(gpu ? { gpu } : {}), ...(device ? { device } : {}),
                                                  precision: precision === 'int8' ? 'fp32' : precision,
                                                  strictPrecision, threads });
      core.cpuPrecision = precision === 'int8' ? 'int8' : 'fp32';
    } catch (e) {
      throw new GpuEmbedderError('INTERNAL', `could not start the WebAssembly module: ${e.message}`, { cause: e });
    }
    const e = new GpuEmbedder(core, backend, gpu, device, options.onDeviceLost);
    if (core.threaded) poolReaper?.register(e, core.M);
    e.#threadsReason = core.threads < threads ? picked.reason ?? `the module runs ${core.threads} thread(s)` : null;
    return e;
  }

  constructor(core, requested, gpu, device, onDeviceLost) {
    super();
    if (!(core instanceof GpuEmbedCore)) throw new TypeError('use GpuEmbedder.create()');
    this.#core = core;
    this.#requested = requested;
    this.#gpu = gpu;
    this.#device = device;
    this.#onDeviceLost = onDeviceLost;
  }

  // Runs fn after every earlier call finished (calls are answered in order; one failing does not stop the rest).
  #enqueue(fn) {
    const p = this.#tail.then(fn);
    this.#tail = p.catch(() => {});
    return p;
  }

  /** The backend that runs (and ran the last call): 'webgpu' | 'cpu'; null before a model is loaded. */
  get backend() { return this.#backend; }
  /** The backend asked for at create(): 'auto' | 'webgpu' | 'cpu'. */
  get requestedBackend() { return this.#requested; }
  /** Why 'auto' runs on the CPU (the WebGPU failure message), or null. */
  get fallbackReason() { return this.#fallbackReason; }
  /** The precision that runs: 'fp16' (WebGPU with 'shader-f16'), 'int8' (CPU path) or 'fp32'; null before a model is loaded. */
  get precision() {
    if (!this.#model || !this.#backend) return null;
    if (this.#backend === 'cpu') return this.#model.cpuPrecision;
    return this.#model.precision === 'fp16' ? 'fp16' : 'fp32';
  }
  /** The precision asked for at create(): 'fp32' | 'fp16' | 'int8'. */
  get requestedPrecision() { return this.#core.cpuPrecision === 'int8' ? 'int8' : this.#core.gpuPrecision.precision; }
  /** Why 'fp16' was asked for and 'fp32' runs (the adapter lacks 'shader-f16', the CPU path, ...), or null. */
  get precisionFallbackReason() {
    if (this.requestedPrecision === 'int8') {
      return this.precision === 'fp32' ? 'int8 runs on the CPU path only; WebGPU computes in fp32' : null;
    }
    if (this.requestedPrecision !== 'fp16' || this.precision !== 'fp32') return null;
    if (this.#backend === 'webgpu') return this.#model.precisionNote ?? 'fp16 is not available on this WebGPU device';
    return `the CPU path computes in fp32${this.#fallbackReason ? ` (${this.#fallbackReason})` : ''}`;
  }
  /** Threads of the CPU path: > 1 only on the threaded module (Node, cross-origin isolated pages). */
  get threads() { return this.#core.threads; }
  /** Why fewer threads run than were asked for (a page that is not cross-origin isolated, ...), or null. */
  get threadsFallbackReason() { return this.#threadsReason; }
  /** The CPU path's SIMD: 'relaxed-simd' (the relaxed-SIMD module: FMA in the fp32 matmuls) or 'simd128'. */
  get simd() { return this.#core.simd; }
  get dimension() { return this.#info ? this.#info.dimension : 0; }
  get modelInfo() { return this.#info ? { ...this.#info, backend: this.#backend, threads: this.threads, simd: this.simd } : null; }
  get loaded() { return !!this.#model; }

  /**
   * Memory in use: the WASM heap; on WebGPU the bytes of the model's weight and activation buffers; and the WebGPU
   * buffers the module holds (count and bytes, whoever made them: flat over any number of calls).
   */
  memoryInfo() {
    const out = { wasmHeapBytes: this.#core.M.HEAPU8.length, gpuWeightBytes: 0, gpuActivationBytes: 0,
                  gpuBuffers: 0, gpuBufferBytes: 0 };
    if (this.#model) {
      const s = this.#model.gpuStats();
      out.gpuBuffers = s.live_buffers || 0;
      out.gpuBufferBytes = s.live_buffer_bytes || 0;
      if (this.#backend === 'webgpu') {
        out.gpuWeightBytes = s.weight_bytes || 0;
        out.gpuActivationBytes = s.activation_bytes || 0;
      }
    }
    return out;
  }

  // source: a Hugging Face model id ('sentence-transformers/all-MiniLM-L6-v2': fetched from
  // <hubHost>/<id>/resolve/<revision>/), a base URL (string | URL), a folder path (Node), or an object of files
  // ({ 'config.json': string|ArrayBuffer|Uint8Array|Blob, 'model.safetensors': ..., ... }).
  // options: { onProgress({file, loaded, total}), cache: boolean|string|Cache (browser Cache API; default true in
  // browsers; keyed by file URL, so by id and revision), fetch, normalize: -1|0|1, maxBatch, signal,
  // hubHost (default https://huggingface.co), revision (default main) }
  loadModel(source, options = {}) {
    return this.#enqueue(() => this.#load(source, options));
  }

  async #load(source, options) {
    this.#unload();  // a failed load leaves no model loaded
    const files = await this.#readSource(source, options);
    let model;
    try {
      const truncateDim = options.truncateDim ?? 0;
      if (!Number.isInteger(truncateDim) || truncateDim < 0) {
        throw new GpuEmbedderError('INVALID_INPUT', `truncateDim must be a non-negative integer; got ${JSON.stringify(truncateDim)}`);
      }
      model = this.#core.loadModel(files, { normalize: options.normalize ?? -1, maxBatch: options.maxBatch ?? 32,
                                            truncateDim, cpuPrecision: this.#core.cpuPrecision ?? 'fp32' });
    } catch (e) {
      throw fromCore(e, `loading the model from ${files.origin}`);
    }
    const info = model.info;
    this.#info = {
      dimension: info.dimension, hiddenSize: info.hidden_size, numLayers: info.num_layers, numHeads: info.num_heads,
      intermediateSize: info.intermediate_size, vocabSize: info.vocab_size, maxSeqLength: info.max_seq_length,
      pooling: info.pooling, normalize: !!info.normalize, source: files.origin, fileBytes: files.sizes,
      prompts: info.prompts ?? {}, defaultPromptName: info.default_prompt_name ?? null,
      truncateDim: info.truncate_dim || null, dense: info.dense ?? [],
      adapter: null, cache: files.cacheStats ?? null,
    };
    this.#model = model;
    this.#fallbackReason = null;
    this.#lostReported = false;
    this.#backend = 'cpu';
    if (this.#requested !== 'cpu') {
      if (!this.#gpu && !this.#device) {
        this.#fallbackReason = 'WebGPU is not available (navigator.gpu is undefined and no gpu/device option was given)';
      } else {
        try {
          this.#info.adapter = await model.initGpu();
          this.#backend = 'webgpu';
          this.#watchDevice(model);
        } catch (e) {
          const err = fromCore(e, 'WebGPU initialisation failed');
          if (this.#requested === 'webgpu') {
            this.#unload();
            if (err.code === 'INTERNAL' || err.code === 'DEVICE_LOST') err.code = 'WEBGPU_UNAVAILABLE';
            throw err;
          }
          model.releaseGpu();
          this.#fallbackReason = err.message;
        }
      }
    }
    return this.modelInfo;
  }

  async #readSource(source, options) {
    if (source === null || source === undefined) throw new GpuEmbedderError('INVALID_INPUT', 'loadModel() needs a URL, a folder path or an object of files');
    if (typeof source === 'object' && !(source instanceof URL)) return modelFilesFromObject(source, options);
    const s = source instanceof URL ? source.href : String(source);
    // "org/name" is a Hugging Face model id, unless (in Node) a folder of that name exists here
    if (!(source instanceof URL) && looksLikeHubId(s) && !(isNodeRuntime && await pathExists(s))) {
      return fetchModelFiles(hubModelUrl(s, options), { ...options, hubId: s });
    }
    if (isNodeRuntime && (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.startsWith('file:'))) {
      return readModelFolder(s.startsWith('file:') ? decodeURIComponent(new URL(s).pathname) : s, options);
    }
    return fetchModelFiles(s, options);
  }

  // Reports device loss while idle too: the core wakes Module.gpuembedWait() when device.lost resolves.
  async #watchDevice(model) {
    const M = this.#core.M;
    let stop;
    const stopped = new Promise((r) => { stop = r; });
    this.#disposedSignal = stop;
    while (this.#model === model && this.#backend === 'webgpu') {
      if (model.gpuState() === -5) {
        this.#deviceLost(model, model.gpuMessage());
        break;
      }
      if (await Promise.race([M.gpuembedWait().then(() => false), stopped.then(() => true)])) break;
    }
  }

  #deviceLost(model, message) {
    if (this.#model !== model || this.#backend !== 'webgpu') return;
    this.#backend = 'cpu';
    this.#fallbackReason = `WebGPU device lost: ${message}`;
    try { model.releaseGpu(); } catch { /* already gone */ }
    if (this.#lostReported) return;
    this.#lostReported = true;
    const info = { code: 'DEVICE_LOST', message: String(message || 'WebGPU device lost'), backend: 'cpu' };
    if (typeof this.#onDeviceLost === 'function') {
      try { this.#onDeviceLost(info); } catch (e) { queueMicrotask(() => { throw e; }); }
    }
    const ev = new Event('devicelost');
    ev.detail = info;
    this.dispatchEvent(ev);
  }

  #unload() {
    if (this.#disposedSignal) this.#disposedSignal();
    this.#disposedSignal = null;
    if (this.#model) this.#model.free();
    this.#model = null;
    this.#info = null;
    this.#backend = null;
  }

  /** One text -> Float32Array(dimension). options: { prompt: name | promptText: text } as embedBatch(). */
  embed(text, options = {}) {
    if (typeof text !== 'string') {
      return Promise.reject(new GpuEmbedderError('INVALID_INPUT', `embed() takes a string, got ${text === null ? 'null' : typeof text}` +
        (Array.isArray(text) ? ' (use embedBatch() for an array)' : '')));
    }
    return this.embedBatch([text], options).then((r) => r[0]);
  }

  /** texts -> Float32Array[] in input order. options: { onProgress({done, total}), prompt: a prompt name of the
   *  model (config_sentence_transformers.json; default: its default_prompt_name), promptText: a literal prompt } */
  embedBatch(texts, options = {}) {
    let list;
    try { list = checkTexts(texts); checkPrompt(options); } catch (e) { return Promise.reject(e); }
    return this.#enqueue(() => this.#embed(list, options));
  }

  /** texts -> one Float32Array [texts.length * dimension] (row i = text i). */
  embedBatchFlat(texts, options = {}) {
    let list;
    try { list = checkTexts(texts); checkPrompt(options); } catch (e) { return Promise.reject(e); }
    return this.#enqueue(() => this.#embedFlat(list, options));
  }

  async #embed(list, options) {
    const flat = await this.#embedFlat(list, options);
    const dim = this.dimension;
    const out = new Array(list.length);
    for (let i = 0; i < list.length; ++i) out[i] = flat.slice(i * dim, (i + 1) * dim);
    return out;
  }

  async #embedFlat(list, { onProgress, prompt, promptText } = {}) {
    const sel = promptText !== undefined ? { text: promptText } : prompt !== undefined ? { name: prompt } : null;
    const model = this.#model;
    if (!model) throw new GpuEmbedderError('MODEL_NOT_LOADED', 'no model is loaded: call loadModel() first (or it was disposed)');
    const dim = this.dimension;
    const out = new Float32Array(list.length * dim);
    for (let at = 0; at < list.length; at += CHUNK_TEXTS) {
      const chunk = list.slice(at, at + CHUNK_TEXTS);
      out.set(await this.#embedChunk(model, chunk, sel), at * dim);
      if (typeof onProgress === 'function') onProgress({ done: Math.min(at + CHUNK_TEXTS, list.length), total: list.length });
      if (this.#model !== model) throw new GpuEmbedderError('MODEL_NOT_LOADED', 'the model was disposed during the call');
    }
    return out;
  }

  async #embedChunk(model, chunk, prompt) {
    if (this.#backend === 'webgpu') {
      try {
        return await model.embedGpu(chunk, prompt);
      } catch (e) {
        const lost = (e && e.code === 'DEVICE_LOST') || model.gpuState() === -5;
        // OUT_OF_MEMORY: the core already split the batch down to one text and the GPU could not take even that;
        // this chunk goes to the CPU path, the GPU stays in use for later calls (memory may free up).
        if (!lost && !(e && e.code === 'OUT_OF_MEMORY')) throw fromCore(e, 'WebGPU embedding failed');
        if (lost) this.#deviceLost(model, (e && e.message) || model.gpuMessage());
        // the same request, answered on the CPU path
      }
    }
    try {
      return model.embedCpu(chunk, prompt);
    } catch (e) {
      throw fromCore(e, 'embedding failed');
    }
  }

  /** Token ids of a text ([CLS] ... [SEP], truncated to maxSeqLength). */
  tokenize(text) {
    if (!this.#model) throw new GpuEmbedderError('MODEL_NOT_LOADED', 'no model is loaded: call loadModel() first');
    try { return this.#model.tokenize(String(text)); } catch (e) { throw fromCore(e, 'tokenize'); }
  }

  /**
   * A vector index over texts (embedded here) or vectors (Float32Array rows or one flat Float32Array).
   * options: { dtype: 'f32'|'f16', ids } Exact cosine search: on the GPU while this embedder runs on WebGPU (the
   * index keeps a GPU copy of its rows in this module), else on the CPU in JS; both give the same hits.
   */
  async createIndex(textsOrVectors = [], options = {}) {
    const index = new VectorIndex({ dimension: this.dimension || options.dimension, dtype: options.dtype, embedder: this,
                                    gpuCore: this.#core });
    if (!index.dimension) throw new GpuEmbedderError('MODEL_NOT_LOADED', 'createIndex() needs a loaded model (or options.dimension)');
    await index.add(textsOrVectors);
    return index;
  }

  /** Reads an index saved by index.save() or by the C++ gpuembed::VectorIndex ("GPEMBIDX" v1). */
  loadIndex(bytes) {
    // The same GPU search path as createIndex() when this embedder runs on WebGPU.
    return VectorIndex.load(bytes, { embedder: this, gpuCore: this.#core });
  }

  /** Frees the model and its GPU buffers (after the calls already queued). The embedder can load a model again. */
  dispose() {
    return this.#enqueue(() => this.#unload());
  }
}

export default GpuEmbedder;

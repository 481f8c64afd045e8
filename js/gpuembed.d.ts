// Types of the gpuembed JS API (js/gpuembed.mjs).

export type Backend = 'webgpu' | 'cpu';
export type RequestedBackend = 'auto' | Backend;
export type Precision = 'fp32' | 'fp16' | 'int8';

export type ErrorCode =
  | 'WEBGPU_UNAVAILABLE' // no navigator.gpu / no adapter / device refused / limits too small
  | 'MODEL_NOT_LOADED'   // embed() before loadModel() or after dispose()
  | 'MODEL_NOT_FOUND'    // a required file is missing (folder / in-memory files)
  | 'MODEL_INVALID'      // malformed config, tokenizer or safetensors (the message names the file)
  | 'FETCH_FAILED'       // HTTP error or network failure (the message names the URL and the status)
  | 'DEVICE_LOST'        // the GPU device was lost (reported through onDeviceLost; calls fall back to the CPU)
  | 'INVALID_INPUT'      // wrong argument types, bad options
  | 'INTERNAL';

export class GpuEmbedderError extends Error {
  readonly name: 'GpuEmbedderError';
  code: ErrorCode;
  /** FETCH_FAILED: the URL (or path) that failed. */
  url?: string;
  /** FETCH_FAILED: the HTTP status, when the server answered. */
  status?: number;
  /** WEBGPU_UNAVAILABLE: no_webgpu | no_adapter | limits_too_small | device_refused | fp16_unavailable | ... */
  detail?: string;
}

export interface DeviceLostInfo {
  code: 'DEVICE_LOST';
  message: string;
  backend: 'cpu';
}

export interface CreateOptions {
  /** 'auto' (default): WebGPU when an adapter exists, else the WASM CPU path. 'webgpu' throws WEBGPU_UNAVAILABLE without one. */
  backend?: RequestedBackend;
  /** A GPU object: navigator.gpu is used otherwise. In Node: `(await import('webgpu')).create([])`. */
  gpu?: GPU | unknown;
  /** A GPUDevice to use as is (it must allow binding the word-embedding table). It is destroyed by dispose(). */
  device?: GPUDevice | unknown;
  /** URL (or Node path / file: URL) of gpuembed.mjs, the Emscripten module. Default: ../build-wasm/gpuembed.mjs next to this file. */
  moduleUrl?: string | URL;
  /** URL (or Node path) of gpuembed.wasm. Default: next to the module. */
  wasmUrl?: string | URL;
  /** The Emscripten factory itself (the default export of gpuembed.mjs), e.g. from a bundler import. */
  factory?: (moduleOptions: object) => Promise<unknown>;
  /** Called once when the GPU device is lost; calls continue on the CPU path. */
  onDeviceLost?: (info: DeviceLostInfo) => void;
  /**
   * 'fp32' (default). 'fp16': on WebGPU with the adapter feature 'shader-f16', weights and activations are stored as
   * f16 (sums, softmax and LayerNorm statistics stay f32); without it fp32 runs and precisionFallbackReason says why.
   * 'int8': the CPU path's matmuls in int8 (weights per output channel, activations per row at run time, int32 sums;
   * the FFN's output matmul stays fp32); WebGPU runs fp32 then, and precisionFallbackReason says so.
   */
  precision?: Precision;
  /** With precision 'fp16' and backend 'webgpu': loadModel() fails (WEBGPU_UNAVAILABLE, detail 'fp16_unavailable') instead of falling back; 'int8' needs backend 'cpu'. */
  strictPrecision?: boolean;
  /**
   * Threads of the CPU path (default: the cores, up to 4). More than 1 starts the threaded module (a worker pool of
   * threads - 1, made at start) in Node and on cross-origin isolated pages (COOP/COEP headers); elsewhere 1 thread runs
   * and threadsFallbackReason says why.
   */
  threads?: number;
  /** URL (or Node path) of gpuembed-mt.mjs, the threaded module (its .wasm and .worker.js lie next to it). Default: next to this file's default module; with moduleUrl given and this not, the single-threaded module runs. */
  threadedModuleUrl?: string | URL;
  /**
   * false: never the relaxed-SIMD modules. Otherwise, where WebAssembly validates relaxed SIMD (relaxedSimdSupported();
   * Chrome >= 114, Node >= 22), create() starts the relaxed-SIMD twin of the module it picked (FMA in the fp32 matmuls;
   * results within the fp32 tolerance, not bit-identical to the SIMD128 module). simd says which runs.
   */
  relaxedSimd?: boolean;
  /** URL (or Node path) of gpuembed-relaxed.mjs. Default: next to this file's default module; with moduleUrl or wasmUrl given and this not, the relaxed-SIMD module is not used. */
  relaxedModuleUrl?: string | URL;
  /** URL (or Node path) of gpuembed-mt-relaxed.mjs (its .wasm and .worker.js next to it). Default: next to this file's default module; with threadedModuleUrl given and this not, the relaxed-SIMD module is not used. */
  threadedRelaxedModuleUrl?: string | URL;
}

export interface LoadProgress {
  /** File name relative to the model folder: 'model.safetensors', '1_Pooling/config.json', ... */
  file: string;
  /** Bytes of this file received so far. */
  loaded: number;
  /** Bytes of this file (0 when the server does not say). */
  total: number;
  /** True when the file came from the browser's Cache API. */
  cached?: boolean;
}

/**
 * Model files in memory, by file name ('config.json', 'tokenizer.json' or 'vocab.txt', 'model.safetensors',
 * 'modules.json', '1_Pooling/config.json', 'sentence_bert_config.json', 'tokenizer_config.json',
 * 'config_sentence_transformers.json', '2_Dense/config.json', '2_Dense/model.safetensors', ...; a sharded checkpoint:
 * 'model.safetensors.index.json' and the shard files it names instead of 'model.safetensors').
 */
export type ModelFiles = { [file: string]: string | ArrayBuffer | ArrayBufferView | Blob } & { origin?: string };

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Browser Cache API store: true (default in browsers; cache 'gpuembed-models'), false, a cache name or a Cache. */
  cache?: boolean | string | Cache;
  /** With a cache: ask the server (HEAD) whether a cached file changed; offline keeps the cached copy. Default true. */
  revalidate?: boolean;
  /** fetch implementation (default globalThis.fetch). */
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** -1: as modules.json says (default), 0: never L2-normalize, 1: always. */
  normalize?: -1 | 0 | 1;
  /** Texts per forward pass (default 32). */
  maxBatch?: number;
  /** For a Hugging Face model id: the hub (default 'https://huggingface.co'); files come from <hubHost>/<id>/resolve/<revision>/. */
  hubHost?: string;
  /** For a Hugging Face model id: branch, tag or commit (default 'main'). */
  revision?: string;
  /** Keep the first N dimensions (Matryoshka), cut after the model's modules; with normalize 1 the cut vector is
   *  L2-normalized (as sentence-transformers' truncate_dim + normalize_embeddings). 0 / absent: all. */
  truncateDim?: number;
}

export interface ModelInfo {
  /** Threads of the CPU path (GpuEmbedder.threads). */
  threads: number;
  /** The CPU path's SIMD (GpuEmbedder.simd). */
  simd: 'relaxed-simd' | 'simd128';
  dimension: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  vocabSize: number;
  maxSeqLength: number;
  /** 'mean' | 'cls' | 'max' | 'mean_sqrt_len_tokens' | several joined by '+' */
  pooling: string;
  normalize: boolean;
  /** Prompts by name (config_sentence_transformers.json; 'query' and 'document' always, '' unless set). */
  prompts: Record<string, string>;
  /** The prompt used when a call names none, or null. */
  defaultPromptName: string | null;
  /** The truncateDim in effect, or null for the full dimension. */
  truncateDim: number | null;
  /** The Dense modules after pooling. */
  dense: { path: string; in: number; out: number; activation: string }[];
  /** Base URL, folder or 'in-memory model'. */
  source: string;
  fileBytes: Record<string, number>;
  /** The WebGPU adapter description, or null on the CPU path. */
  adapter: string | null;
  /** Cache API use of the last URL load: which files were fetched, served from the cache, found corrupt. */
  cache: { fetched: string[]; cached: string[]; corrupt: string[]; cacheErrors: string[] } | null;
  backend: Backend;
}

export interface MemoryInfo {
  wasmHeapBytes: number;
  gpuWeightBytes: number;
  gpuActivationBytes: number;
  /** WebGPU buffers the module holds (created, not yet released) and their bytes. */
  gpuBuffers: number;
  gpuBufferBytes: number;
}

export interface PromptOptions {
  /** The name of one of the model's prompts (modelInfo.prompts); default: modelInfo.defaultPromptName. An unknown
   *  name rejects with INVALID_INPUT naming the available ones. */
  prompt?: string;
  /** A literal prompt text instead ('' for none, even when the model has a default). */
  promptText?: string;
}

export interface EmbedOptions extends PromptOptions {
  /** Called after each chunk of 256 texts. */
  onProgress?: (p: { done: number; total: number }) => void;
}

export interface SearchHit {
  /** Insertion order: 0, 1, 2, ... */
  id: number;
  /** Cosine similarity. */
  score: number;
}

export type Vectors = Float32Array | ArrayLike<number>[];

/**
 * The C++ gpuembed::Index compiled into the WebAssembly module. Made without an embedder (this constructor,
 * VectorIndex.load) it lives in the module started last: create a GpuEmbedder first (else MODEL_NOT_LOADED).
 */
export class VectorIndex {
  constructor(options: { dimension: number; dtype?: 'f32' | 'f16'; embedder?: GpuEmbedder | null });
  readonly dimension: number;
  readonly size: number;
  dtype: 'f32' | 'f16';
  embedder: GpuEmbedder | null;
  /** Appends texts (embedded with the embedder) or vectors (stored L2-normalized); returns their ids. */
  add(textsOrVectors: string[] | Vectors): Promise<number[]>;
  /**
   * Top k by cosine similarity, best first (ties: lower id first). On the GPU while the embedder that made the index
   * (createIndex) runs on WebGPU and k <= 256, else on the CPU; both return the same hits.
   */
  search(queryTextOrVector: string | ArrayLike<number>, k?: number): Promise<SearchHit[]>;
  /** An array of queries: one list of hits per query, searched as one batch (as searchBatch). */
  search(queries: string[] | ArrayLike<number>[], k?: number): Promise<SearchHit[][]>;
  searchBatch(queries: string[] | Vectors, k?: number): Promise<SearchHit[][]>;
  /** Synchronous, always on the CPU. */
  searchVector(query: ArrayLike<number>, k?: number): SearchHit[];
  /** The backend that answered the last search ('webgpu' | 'cpu'), null before the first. */
  readonly backend: Backend | null;
  /** Why searches run on the CPU although the embedder runs on WebGPU (e.g. the device was lost), or null. */
  readonly fallbackReason: string | null;
  /** Frees the GPU copy of the rows; later searches run on the CPU. */
  dispose(): Promise<void>;
  /** The stored (normalized) vector of an id. */
  vector(id: number): Float32Array;
  /** "GPEMBIDX" v1 file bytes (the C++ gpuembed::Index format). */
  save(dtype?: 'f32' | 'f16'): Uint8Array;
  static load(bytes: ArrayBuffer | ArrayBufferView, options?: { embedder?: GpuEmbedder | null }): VectorIndex;
}

export class GpuEmbedder extends EventTarget {
  static create(options?: CreateOptions): Promise<GpuEmbedder>;
  /** The backend that runs: 'webgpu' | 'cpu' (null before a model is loaded). Becomes 'cpu' after a device loss. */
  readonly backend: Backend | null;
  readonly requestedBackend: RequestedBackend;
  /** Why the CPU path runs although WebGPU was allowed (no WebGPU, no adapter, device lost), or null. */
  readonly fallbackReason: string | null;
  /** The precision that runs (null before a model is loaded): 'fp16' only on WebGPU with 'shader-f16', 'int8' only on the CPU path. */
  readonly precision: Precision | null;
  readonly requestedPrecision: Precision;
  /** Why 'fp16' was asked for and 'fp32' runs (the adapter lacks 'shader-f16', the CPU path, ...), or null. */
  readonly precisionFallbackReason: string | null;
  readonly dimension: number;
  /** Threads the CPU path runs on (1 on the single-threaded module). */
  readonly threads: number;
  /** Why fewer threads run than create() asked for (the page is not cross-origin isolated, ...), or null. */
  readonly threadsFallbackReason: string | null;
  /** The CPU path's SIMD: 'relaxed-simd' (the relaxed-SIMD module, FMA in the fp32 matmuls) or 'simd128'. */
  readonly simd: 'relaxed-simd' | 'simd128';
  readonly modelInfo: ModelInfo | null;
  readonly loaded: boolean;
  /**
   * Loads from a Hugging Face model id ('sentence-transformers/all-MiniLM-L6-v2'; in Node a folder of that name wins),
   * a base URL, a folder path (Node) or in-memory files. Replaces a loaded model.
   */
  loadModel(source: string | URL | ModelFiles, options?: LoadOptions): Promise<ModelInfo>;
  embed(text: string, options?: PromptOptions): Promise<Float32Array>;
  embedBatch(texts: Iterable<string>, options?: EmbedOptions): Promise<Float32Array[]>;
  /** One Float32Array of texts.length x dimension (row i = text i). */
  embedBatchFlat(texts: Iterable<string>, options?: EmbedOptions): Promise<Float32Array>;
  tokenize(text: string): Int32Array;
  memoryInfo(): MemoryInfo;
  createIndex(textsOrVectors?: string[] | Vectors, options?: { dtype?: 'f32' | 'f16'; dimension?: number }): Promise<VectorIndex>;
  loadIndex(bytes: ArrayBuffer | ArrayBufferView): VectorIndex;
  /** Frees the model and its GPU buffers once the queued calls are done; loadModel() may be called again. */
  dispose(): Promise<void>;
  addEventListener(type: 'devicelost', listener: (ev: Event & { detail: DeviceLostInfo }) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
}

/** Deletes cached model files (all, or those under one base URL). Resolves with the number of entries/caches deleted. */
export function clearModelCache(baseUrl?: string, cacheName?: string): Promise<number>;
/** The folder URL a model id is fetched from: <hubHost>/<id>/resolve/<revision>/. */
export function hubModelUrl(id: string, options?: { hubHost?: string; revision?: string }): string;
/** Whether this engine validates relaxed SIMD, i.e. whether create() starts the relaxed-SIMD module (unless relaxedSimd: false). */
export function relaxedSimdSupported(): boolean;

export const VERSION: string;
export default GpuEmbedder;

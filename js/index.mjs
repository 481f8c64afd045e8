// Exact cosine vector search for RAG: the C++ gpuembed::Index (include/gpuembed/index.h) compiled into the
// WebAssembly module (src/wasm/cpu_index_exports.cpp, bound by core.mjs's CoreIndex), so rows, scores, ties (lower
// id first) and the "GPEMBIDX" files are the native ones, bit for bit. This class only marshals, queues and picks
// the backend. An index made by GpuEmbedder.createIndex() / loadIndex() lives in that embedder's module and
// searches on the GPU while the embedder runs on WebGPU: a GPU copy of the rows (src/backend/webgpu/gpu_index.h,
// made at the first search, topped up after add()) answers a batch of queries with one submit. Both paths sum each
// score in the same float32 order, so they return the same hits. An index made without an embedder lives in the
// module started last (any GpuEmbedder.create()).
import { GpuEmbedderError } from './loader.mjs';
import { CoreError, CoreGpuIndex, CoreIndex, lastStartedCore } from '../src/wasm/core.mjs';

const GPU_MAX_K = 256;  // index_topk.wgsl; a larger k is answered on the CPU

function moduleFor(core) {
  const c = core ?? lastStartedCore();
  if (!c) {
    throw new GpuEmbedderError('MODEL_NOT_LOADED', 'a VectorIndex lives in the gpuembed WebAssembly module: create a ' +
      'GpuEmbedder first (or use its createIndex() / loadIndex())');
  }
  return c;
}

// C++ errors (CoreError) as the public error type.
function rethrow(e) {
  if (e instanceof CoreError) throw new GpuEmbedderError(e.code, e.message, { cause: e });
  throw e;
}

// An array of queries (texts or vectors), as opposed to one vector given as an array of numbers.
function isQueryList(q) {
  return Array.isArray(q) && q.length > 0 &&
    q.every((x) => typeof x === 'string' || (x !== null && typeof x === 'object' && typeof x.length === 'number'));
}

function checkK(k) {
  if (!Number.isInteger(k) || k < 0) throw new GpuEmbedderError('INVALID_INPUT', `k must be a non-negative integer, got ${k}`);
}

// [n, k] scores and ids, best first -> one [{ id, score }] list per query.
function hitLists(scores, ids, n, k) {
  return Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, j) => ({ id: ids[i * k + j], score: scores[i * k + j] })));
}

// GPU copies of indexes that were dropped without dispose().
const gpuCopies = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((g) => { try { g.free(); } catch { /* module gone */ } }) : null;

export class VectorIndex {
  #cpu; #core = null; #gpu = null; #gpuRows = 0; #fallbackReason = null; #backend = null; #tail = Promise.resolve();

  // gpuCore (internal): the embedder's GpuEmbedCore, passed by GpuEmbedder.createIndex() / loadIndex(): the module
  // the rows live in, and the GPU path. cpuIndex (internal): a CoreIndex already made (load()).
  constructor({ dimension, dtype = 'f32', embedder = null, gpuCore = null, cpuIndex = null } = {}) {
    if (!Number.isInteger(dimension) || dimension <= 0) {
      throw new GpuEmbedderError('INVALID_INPUT', `index dimension must be a positive integer, got ${dimension}`);
    }
    if (dtype !== 'f32' && dtype !== 'f16') throw new GpuEmbedderError('INVALID_INPUT', `index dtype must be 'f32' or 'f16', got ${dtype}`);
    this.dimension = dimension;
    this.dtype = dtype;  // what save() writes by default
    this.embedder = embedder;
    this.#core = gpuCore;
    try {
      this.#cpu = cpuIndex ?? CoreIndex.create(moduleFor(gpuCore), dimension);
    } catch (e) {
      rethrow(e);
    }
  }

  get size() { return this.#cpu.size; }
  /** The backend that answered the last search: 'webgpu' | 'cpu' (null before the first). */
  get backend() { return this.#backend; }
  /** Why searches run on the CPU although the embedder runs on WebGPU (device lost, ...), or null. */
  get fallbackReason() { return this.#fallbackReason; }

  /** The stored (L2-normalized) row of an id. */
  vector(id) {
    if (!Number.isInteger(id) || id < 0 || id >= this.size) throw new GpuEmbedderError('INVALID_INPUT', `no vector with id ${id}`);
    return this.#cpu.rows(id, id + 1);
  }

  // Rows from: texts (embedded by the embedder), a flat Float32Array (n x dim), or an array of vectors.
  async #rows(input, what) {
    const dim = this.dimension;
    if (ArrayBuffer.isView(input)) {
      if (input.length % dim) {
        throw new GpuEmbedderError('INVALID_INPUT', `${what}: ${input.length} values are not a whole number of ${dim}-d rows`);
      }
      return { flat: Float32Array.from(input), n: input.length / dim };
    }
    if (typeof input === 'string') input = [input];
    if (!Array.isArray(input)) throw new GpuEmbedderError('INVALID_INPUT', `${what}: expected texts, vectors or a Float32Array`);
    if (input.length === 0) return { flat: new Float32Array(0), n: 0 };
    if (input.every((t) => typeof t === 'string')) {
      if (!this.embedder) throw new GpuEmbedderError('MODEL_NOT_LOADED', `${what}: texts need an embedder (index made without one)`);
      return { flat: await this.embedder.embedBatchFlat(input), n: input.length };
    }
    const flat = new Float32Array(input.length * dim);
    input.forEach((v, i) => {
      if (!v || typeof v.length !== 'number' || typeof v === 'string') {
        throw new GpuEmbedderError('INVALID_INPUT', `${what}: item ${i} is neither a text nor a vector (mixed lists are not accepted)`);
      }
      if (v.length !== dim) throw new GpuEmbedderError('INVALID_INPUT', `${what}: vector ${i} has ${v.length} values, index dimension is ${dim}`);
      flat.set(v, i * dim);
    });
    return { flat, n: input.length };
  }

  /** Appends texts or vectors; returns their ids (consecutive, from the current size). */
  async add(textsOrVectors) {
    const { flat, n } = await this.#rows(textsOrVectors, 'index.add');
    const first = this.size;
    try {
      this.#cpu.add(flat);
    } catch (e) {
      rethrow(e);
    }
    return Array.from({ length: n }, (_, i) => first + i);
  }

  /**
   * Top k by cosine similarity: [{ id, score }], best first (ties: lower id first). An array of queries (texts or
   * vectors) gives one list per query, searched as one batch.
   */
  async search(queryTextOrVector, k = 10) {
    if (isQueryList(queryTextOrVector)) return this.searchBatch(queryTextOrVector, k);
    checkK(k);
    const { flat, n } = await this.#rows(typeof queryTextOrVector === 'string' ? [queryTextOrVector] :
      ArrayBuffer.isView(queryTextOrVector) ? queryTextOrVector : [queryTextOrVector], 'index.search');
    if (n !== 1) throw new GpuEmbedderError('INVALID_INPUT', `index.search takes one query; use searchBatch() for ${n}`);
    return (await this.#search(flat, 1, k))[0];
  }

  /** Several queries (texts embedded in one batch, searched in one GPU submit): [[{ id, score }], ...]. */
  async searchBatch(queries, k = 10) {
    checkK(k);
    const { flat, n } = await this.#rows(queries, 'index.searchBatch');
    return this.#search(flat, n, k);
  }

  /** Synchronous search with a query vector (normalized here), always on the CPU. */
  searchVector(query, k = 10) {
    const dim = this.dimension;
    if (!query || query.length !== dim) {
      throw new GpuEmbedderError('INVALID_INPUT', `query has ${query ? query.length : 0} values, index dimension is ${dim}`);
    }
    checkK(k);
    return this.#searchCpu(Float32Array.from(query), 1, k)[0];
  }

  /** Frees the GPU copy of the rows; later searches run on the CPU. */
  dispose() {
    return this.#enqueue(() => {
      this.#releaseGpu();
      this.#core = null;
    });
  }

  #enqueue(fn) {
    const p = this.#tail.then(fn);
    this.#tail = p.catch(() => {});
    return p;
  }

  // n raw query rows, searched in turn with other searches (one GPU job at a time).
  #search(flat, n, k) {
    return this.#enqueue(async () => {
      const kk = Math.min(k, this.size);
      if (kk === 0 || n === 0) return Array.from({ length: n }, () => []);
      if (this.#core && !this.#fallbackReason && kk <= GPU_MAX_K && this.embedder?.backend === 'webgpu') {
        try {
          const hits = await this.#searchGpu(this.#cpu.normalized(flat, n), n, kk);
          this.#backend = 'webgpu';
          return hits;
        } catch (e) {
          // the same search, answered on the CPU (and every later one)
          this.#fallbackReason = `${e && e.code === 'DEVICE_LOST' ? 'WebGPU device lost' : 'WebGPU search failed'}: ${e && e.message ? e.message : e}`;
          this.#releaseGpu();
        }
      }
      this.#backend = 'cpu';
      return this.#searchCpu(flat, n, kk);
    });
  }

  #searchCpu(flat, n, k) {
    let res;
    try {
      res = this.#cpu.search(flat, n, k);
    } catch (e) {
      rethrow(e);
    }
    return hitLists(res.scores, res.ids, n, res.kk);
  }

  async #searchGpu(qs, n, k) {
    if (!this.#gpu) {
      this.#gpu = await CoreGpuIndex.create(this.#core, this.dimension);
      this.#gpuRows = 0;
      gpuCopies?.register(this, this.#gpu, this);
    }
    const size = this.size;
    if (this.#gpuRows < size) {
      this.#gpu.addFromHeap(this.#cpu.rowsPointer(this.#gpuRows), size - this.#gpuRows);
      this.#gpuRows = size;
    }
    const { scores, ids } = await this.#gpu.search(qs, n, k);
    return hitLists(scores, ids, n, k);
  }

  #releaseGpu() {
    if (!this.#gpu) return;
    gpuCopies?.unregister(this);
    try { this.#gpu.free(); } catch { /* the module is gone */ }
    this.#gpu = null;
    this.#gpuRows = 0;
  }

  /** The index as a "GPEMBIDX" v1 file (Uint8Array), float32 or float16 values. */
  save(dtype = this.dtype) {
    if (dtype !== 'f32' && dtype !== 'f16') throw new GpuEmbedderError('INVALID_INPUT', `dtype must be 'f32' or 'f16', got ${dtype}`);
    try {
      return this.#cpu.save(dtype);
    } catch (e) {
      return rethrow(e);
    }
  }

  /** Reads a "GPEMBIDX" v1 file (ArrayBuffer / typed array), written by save() or by the C++ Index::save. */
  static load(bytes, { embedder = null, gpuCore = null } = {}) {
    const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : ArrayBuffer.isView(bytes)
      ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
    if (!b) throw new GpuEmbedderError('INVALID_INPUT', 'VectorIndex.load takes an ArrayBuffer or a typed array');
    let cpuIndex;
    try {
      cpuIndex = CoreIndex.load(moduleFor(gpuCore), b);
    } catch (e) {
      rethrow(e);
    }
    const dtype = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(12, true) === 1 ? 'f16' : 'f32';
    return new VectorIndex({ dimension: cpuIndex.dimension, dtype, embedder, gpuCore, cpuIndex });
  }
}

export function loadIndex(bytes) { return VectorIndex.load(bytes); }

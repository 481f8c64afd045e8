// Exact cosine vector search for RAG: rows stored L2-normalized, top-k by dot product (ties: lower id first), the
// same results and the same file format as the C++ gpuembed::Index (include/gpuembed/index.h):
//   "GPEMBIDX", u32 version (1), u32 dtype (0 = f32, 1 = f16), u64 count, u64 dim, count x dim values, little-endian.
// An index made by GpuEmbedder.createIndex() searches on the GPU while its embedder runs on WebGPU: a GPU copy of
// the rows (src/backend/webgpu/gpu_index.h, made at the first search, topped up after add()) answers a batch of
// queries with one submit. Both paths sum each score in the same float32 order, so they return the same hits.
import { GpuEmbedderError } from './loader.mjs';
import { CoreGpuIndex } from '../src/wasm/core.mjs';

const MAGIC = 'GPEMBIDX';
const HEADER = 32;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> IEEE binary16 bits, round to nearest even (as C++'s _Float16 conversion). */
export function floatToHalf(v) {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1))) ++h;
    return sign | h;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) ++h;  // a carry rounds up into the exponent, as it should
  return h;
}

/** IEEE binary16 bits -> float. */
export function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f, mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function normalizeInto(dst, at, src, dim) {
  let ss = 0;
  for (let d = 0; d < dim; ++d) ss += src[d] * src[d];
  const norm = Math.max(Math.fround(Math.sqrt(ss)), 1e-12);
  for (let d = 0; d < dim; ++d) dst[at + d] = src[d] / norm;
}

const GPU_MAX_K = 256;  // index_topk.wgsl; a larger k is answered on the CPU
const fround = Math.fround;

// dot(data[base..], q) summed as index_scores.wgsl sums it, in float32: lane c takes the components d = c (mod 4)
// in order, then (lane 0 + lane 1) + (lane 2 + lane 3). The same floats on both paths give the same ids (a
// differently rounded score could swap two hits whose scores differ in the last bit).
function dotF32(data, base, q, dim) {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, d = 0;
  for (; d + 4 <= dim; d += 4) {
    s0 = fround(s0 + fround(data[base + d] * q[d]));
    s1 = fround(s1 + fround(data[base + d + 1] * q[d + 1]));
    s2 = fround(s2 + fround(data[base + d + 2] * q[d + 2]));
    s3 = fround(s3 + fround(data[base + d + 3] * q[d + 3]));
  }
  if (d < dim) s0 = fround(s0 + fround(data[base + d] * q[d]));
  if (d + 1 < dim) s1 = fround(s1 + fround(data[base + d + 1] * q[d + 1]));
  if (d + 2 < dim) s2 = fround(s2 + fround(data[base + d + 2] * q[d + 2]));
  return fround(fround(s0 + s1) + fround(s2 + s3));
}

// An array of queries (texts or vectors), as opposed to one vector given as an array of numbers.
function isQueryList(q) {
  return Array.isArray(q) && q.length > 0 &&
    q.every((x) => typeof x === 'string' || (x !== null && typeof x === 'object' && typeof x.length === 'number'));
}

function checkK(k) {
  if (!Number.isInteger(k) || k < 0) throw new GpuEmbedderError('INVALID_INPUT', `k must be a non-negative integer, got ${k}`);
}

// GPU copies of indexes that were dropped without dispose().
const gpuCopies = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((g) => { try { g.free(); } catch { /* module gone */ } }) : null;

export class VectorIndex {
  #data; #count = 0;
  #core = null; #gpu = null; #gpuRows = 0; #fallbackReason = null; #backend = null; #tail = Promise.resolve();

  // gpuCore (internal): the embedder's GpuEmbedCore, passed by GpuEmbedder.createIndex() for the GPU path.
  constructor({ dimension, dtype = 'f32', embedder = null, gpuCore = null } = {}) {
    if (!Number.isInteger(dimension) || dimension <= 0) {
      throw new GpuEmbedderError('INVALID_INPUT', `index dimension must be a positive integer, got ${dimension}`);
    }
    if (dtype !== 'f32' && dtype !== 'f16') throw new GpuEmbedderError('INVALID_INPUT', `index dtype must be 'f32' or 'f16', got ${dtype}`);
    this.dimension = dimension;
    this.dtype = dtype;  // what save() writes by default
    this.embedder = embedder;
    this.#core = gpuCore;
    this.#data = new Float32Array(dimension * 16);
  }

  get size() { return this.#count; }
  /** The backend that answered the last search: 'webgpu' | 'cpu' (null before the first). */
  get backend() { return this.#backend; }
  /** Why searches run on the CPU although the embedder runs on WebGPU (device lost, ...), or null. */
  get fallbackReason() { return this.#fallbackReason; }

  /** The stored (L2-normalized) row of an id. */
  vector(id) {
    if (!Number.isInteger(id) || id < 0 || id >= this.#count) throw new GpuEmbedderError('INVALID_INPUT', `no vector with id ${id}`);
    return this.#data.slice(id * this.dimension, (id + 1) * this.dimension);
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
    this.#append(flat, n);
    return Array.from({ length: n }, (_, i) => this.#count - n + i);
  }

  #append(flat, n) {
    const dim = this.dimension;
    const need = (this.#count + n) * dim;
    if (need > this.#data.length) {
      const bigger = new Float32Array(Math.max(need, this.#data.length * 2));
      bigger.set(this.#data.subarray(0, this.#count * dim));
      this.#data = bigger;
    }
    for (let i = 0; i < n; ++i) normalizeInto(this.#data, (this.#count + i) * dim, flat.subarray(i * dim, (i + 1) * dim), dim);
    this.#count += n;
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
    const q = new Float32Array(dim);
    normalizeInto(q, 0, query, dim);
    return this.#topK(q, Math.min(k, this.#count));
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

  // n raw query rows -> normalized, then searched in turn with other searches (one GPU job at a time).
  #search(flat, n, k) {
    const dim = this.dimension;
    const qs = new Float32Array(n * dim);
    for (let i = 0; i < n; ++i) normalizeInto(qs, i * dim, flat.subarray(i * dim, (i + 1) * dim), dim);
    return this.#enqueue(async () => {
      const kk = Math.min(k, this.#count);
      if (kk === 0 || n === 0) return Array.from({ length: n }, () => []);
      if (this.#core && !this.#fallbackReason && kk <= GPU_MAX_K && this.embedder?.backend === 'webgpu') {
        try {
          const hits = await this.#searchGpu(qs, n, kk);
          this.#backend = 'webgpu';
          return hits;
        } catch (e) {
          // the same search, answered on the CPU (and every later one)
          this.#fallbackReason = `${e && e.code === 'DEVICE_LOST' ? 'WebGPU device lost' : 'WebGPU search failed'}: ${e && e.message ? e.message : e}`;
          this.#releaseGpu();
        }
      }
      this.#backend = 'cpu';
      return Array.from({ length: n }, (_, i) => this.#topK(qs.subarray(i * dim, (i + 1) * dim), kk));
    });
  }

  async #searchGpu(qs, n, k) {
    const dim = this.dimension;
    if (!this.#gpu) {
      this.#gpu = await CoreGpuIndex.create(this.#core, dim);
      this.#gpuRows = 0;
      gpuCopies?.register(this, this.#gpu, this);
    }
    if (this.#gpuRows < this.#count) {
      const upTo = this.#count;
      this.#gpu.add(this.#data.subarray(this.#gpuRows * dim, upTo * dim));
      this.#gpuRows = upTo;
    }
    const { scores, ids } = await this.#gpu.search(qs, n, k);
    return Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, j) => ({ id: ids[i * k + j], score: scores[i * k + j] })));
  }

  #releaseGpu() {
    if (!this.#gpu) return;
    gpuCopies?.unregister(this);
    try { this.#gpu.free(); } catch { /* the module is gone */ }
    this.#gpu = null;
    this.#gpuRows = 0;
  }

  // CPU top k of a normalized query (k <= size).
  #topK(q, k) {
    const dim = this.dimension;
    if (k === 0) return [];
    // min-heap of the best k (worst at the root); "worse" = lower score, or equal score and higher id
    const hs = new Float64Array(k), hi = new Int32Array(k);
    let size = 0;
    const worse = (sa, ia, sb, ib) => sa < sb || (sa === sb && ia > ib);
    const data = this.#data;
    for (let id = 0; id < this.#count; ++id) {
      const s = dotF32(data, id * dim, q, dim);
      if (size < k) {
        let c = size++;
        while (c > 0) {
          const p = (c - 1) >> 1;
          if (!worse(s, id, hs[p], hi[p])) break;
          hs[c] = hs[p]; hi[c] = hi[p]; c = p;
        }
        hs[c] = s; hi[c] = id;
      } else if (worse(hs[0], hi[0], s, id)) {
        let c = 0;
        for (;;) {
          const l = 2 * c + 1, r = l + 1;
          let m = c, ms = s, mi = id;
          if (l < k && worse(hs[l], hi[l], ms, mi)) { m = l; ms = hs[l]; mi = hi[l]; }
          if (r < k && worse(hs[r], hi[r], ms, mi)) { m = r; ms = hs[r]; mi = hi[r]; }
          if (m === c) break;
          hs[c] = hs[m]; hi[c] = hi[m]; c = m;
        }
        hs[c] = s; hi[c] = id;
      }
    }
    const out = Array.from({ length: size }, (_, i) => ({ id: hi[i], score: hs[i] }));
    out.sort((a, b) => b.score - a.score || a.id - b.id);
    return out;
  }

  /** The index as a "GPEMBIDX" v1 file (Uint8Array), float32 or float16 values. */
  save(dtype = this.dtype) {
    if (dtype !== 'f32' && dtype !== 'f16') throw new GpuEmbedderError('INVALID_INPUT', `dtype must be 'f32' or 'f16', got ${dtype}`);
    const n = this.#count * this.dimension, width = dtype === 'f16' ? 2 : 4;
    const out = new Uint8Array(HEADER + n * width);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < 8; ++i) out[i] = MAGIC.charCodeAt(i);
    dv.setUint32(8, 1, true);
    dv.setUint32(12, dtype === 'f16' ? 1 : 0, true);
    dv.setBigUint64(16, BigInt(this.#count), true);
    dv.setBigUint64(24, BigInt(this.dimension), true);
    for (let i = 0; i < n; ++i) {
      if (width === 2) dv.setUint16(HEADER + 2 * i, floatToHalf(this.#data[i]), true);
      else dv.setFloat32(HEADER + 4 * i, this.#data[i], true);
    }
    return out;
  }

  /** Reads a "GPEMBIDX" v1 file (ArrayBuffer / typed array), written by save() or by the C++ Index::save. */
  static load(bytes, { embedder = null, gpuCore = null } = {}) {
    const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : ArrayBuffer.isView(bytes)
      ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
    if (!b) throw new GpuEmbedderError('INVALID_INPUT', 'VectorIndex.load takes an ArrayBuffer or a typed array');
    if (b.length < HEADER || String.fromCharCode(...b.subarray(0, 8)) !== MAGIC) {
      throw new GpuEmbedderError('MODEL_INVALID', 'not a gpuembed index file (no GPEMBIDX header)');
    }
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const version = dv.getUint32(8, true), dtype = dv.getUint32(12, true);
    const count = dv.getBigUint64(16, true), dim = dv.getBigUint64(24, true);
    if (version !== 1) throw new GpuEmbedderError('MODEL_INVALID', `index version ${version} is not supported`);
    if (dtype > 1) throw new GpuEmbedderError('MODEL_INVALID', `unknown index dtype ${dtype}`);
    const width = dtype === 1 ? 2 : 4;
    if (dim === 0n || dim > 1n << 20n || BigInt(b.length - HEADER) !== count * dim * BigInt(width)) {
      throw new GpuEmbedderError('MODEL_INVALID', 'index size does not match its header (truncated?)');
    }
    const index = new VectorIndex({ dimension: Number(dim), dtype: dtype === 1 ? 'f16' : 'f32', embedder, gpuCore });
    const n = Number(count) * Number(dim);
    const data = new Float32Array(Math.max(n, Number(dim)));
    for (let i = 0; i < n; ++i) {
      data[i] = width === 2 ? halfToFloat(dv.getUint16(HEADER + 2 * i, true)) : dv.getFloat32(HEADER + 4 * i, true);
    }
    index.#data = data;
    index.#count = Number(count);
    return index;
  }
}

export function loadIndex(bytes) { return VectorIndex.load(bytes); }

// Model file loading for the JS API: from a base URL (fetch, with progress and the browser Cache API), a folder
// (Node), or an object of in-memory files. Produces the object src/wasm/core.mjs's loadModel() takes. No model
// logic here: the files are handed to the C++ core as bytes, which parses and validates them.

export const isNodeRuntime = typeof process === 'object' && !!(process.versions && process.versions.node) &&
  typeof window === 'undefined';

export class GpuEmbedderError extends Error {
  constructor(code, message, { cause, url, status, detail } = {}) {
    super(message, cause ? { cause } : undefined);
    this.name = 'GpuEmbedderError';
    this.code = code;  // WEBGPU_UNAVAILABLE, MODEL_NOT_LOADED, MODEL_NOT_FOUND, MODEL_INVALID, FETCH_FAILED, ...
    if (url !== undefined) this.url = url;
    if (status !== undefined) this.status = status;
    if (detail !== undefined) this.detail = detail;
  }
}

const dec = new TextDecoder();

// The files of a sentence-transformers folder, by core key. `pooling` is found through modules.json.
const FILES = [
  ['config', 'config.json', 'required'],
  ['modules', 'modules.json', 'optional'],
  ['sentenceBert', 'sentence_bert_config.json', 'optional'],
  ['tokenizer', 'tokenizer.json', 'optional'],  // else vocab.txt (+ tokenizer_config.json)
  ['safetensors', 'model.safetensors', 'required'],
];

// The pooling config path named by modules.json ('1_Pooling/config.json'), or null when there is none.
export function poolingPath(modulesBytes) {
  if (!modulesBytes || modulesBytes.length === 0) return null;
  let mods;
  try { mods = JSON.parse(typeof modulesBytes === 'string' ? modulesBytes : dec.decode(modulesBytes)); } catch { return null; }
  if (!Array.isArray(mods)) return null;
  const p = mods.find((m) => m && String(m.type || '').endsWith('Pooling'));
  if (!p) return null;
  return `${String(p.path || '1_Pooling').replace(/\/+$/, '')}/config.json`;
}

// The sentence-transformers files besides the core ones, by path in the folder: config_sentence_transformers.json
// (prompts) and each Dense module's config.json + weights (named by modules.json). They go to the core as `extra`
// files. Each entry lists alternatives: the first that exists is taken (a Dense module's model.safetensors, else the
// pytorch_model.bin older versions saved).
export function extraPaths(modulesBytes) {
  const paths = [['config_sentence_transformers.json']];
  let mods = [];
  try { mods = JSON.parse(typeof modulesBytes === 'string' ? modulesBytes : dec.decode(modulesBytes || new Uint8Array(0))); } catch { /* the core reports it */ }
  if (!Array.isArray(mods)) return paths;
  for (const m of mods) {
    if (!m || !String(m.type || '').endsWith('Dense')) continue;
    const dir = String(m.path || '').replace(/\/+$/, '');
    const pre = dir ? `${dir}/` : '';
    paths.push([`${pre}config.json`], [`${pre}model.safetensors`, `${pre}pytorch_model.bin`]);
  }
  return paths;
}

// The shard file names of a sharded checkpoint's model.safetensors.index.json (the core checks the rest).
export function shardNames(indexBytes) {
  let idx;
  try { idx = JSON.parse(dec.decode(indexBytes)); } catch (e) {
    throw new GpuEmbedderError('MODEL_INVALID', `model.safetensors.index.json: invalid JSON (${e.message})`);
  }
  const map = idx && typeof idx.weight_map === 'object' && idx.weight_map ? idx.weight_map : {};
  const names = [...new Set(Object.values(map).map(String))];
  for (const n of names) {
    if (!n || n.includes('..') || n.startsWith('/')) {
      throw new GpuEmbedderError('MODEL_INVALID', `model.safetensors.index.json: shard name '${n}' is not a file of the model folder`);
    }
  }
  return names;
}

async function toBytes(v, name) {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return new TextEncoder().encode(v);
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v.arrayBuffer === 'function') return new Uint8Array(await v.arrayBuffer());  // Blob, File, Response
  throw new GpuEmbedderError('INVALID_INPUT', `model file ${name}: expected a string, ArrayBuffer, typed array or Blob, got ${typeof v}`);
}

function finish(files, origin, sizes) {
  return { ...files, origin, sizes };
}

// { 'config.json': ..., 'model.safetensors': ..., ... } (or the core's keys: config, safetensors, ...).
export async function modelFilesFromObject(obj, { onProgress } = {}) {
  const files = {}, sizes = {};
  const get = async (key, name) => {
    const v = obj[name] !== undefined ? obj[name] : obj[key];
    const b = await toBytes(v, name);
    if (b) {
      files[key] = b;
      sizes[name] = b.length;
      if (onProgress) onProgress({ file: name, loaded: b.length, total: b.length });
    }
  };
  for (const [key, name] of FILES) await get(key, name);
  await get('vocab', 'vocab.txt');
  await get('tokenizerConfig', 'tokenizer_config.json');
  const pp = poolingPath(files.modules);
  if (pp) await get('pooling', pp);
  else if (obj.pooling !== undefined) await get('pooling', 'pooling');
  const extra = {};
  const getExtra = async (name) => {
    const b = await toBytes(obj[name], name);
    if (b) { extra[name] = b; sizes[name] = b.length; }
  };
  for (const alts of extraPaths(files.modules)) {
    const name = alts.find((n) => obj[n] !== undefined);
    if (name) await getExtra(name);
  }
  if (!files.safetensors && obj['model.safetensors.index.json'] !== undefined) {
    await getExtra('model.safetensors.index.json');
    for (const n of shardNames(extra['model.safetensors.index.json'])) await getExtra(n);
  }
  files.extra = extra;
  return finish(files, typeof obj.origin === 'string' ? obj.origin : 'in-memory model', sizes);
}

// A folder on disk (Node).
export async function readModelFolder(dir, { onProgress } = {}) {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const st = await fs.stat(dir).catch(() => null);
  if (!st || !st.isDirectory()) {
    throw new GpuEmbedderError('MODEL_NOT_FOUND', `model folder ${dir} does not exist (or is not a folder)`);
  }
  const files = {}, sizes = {};
  const read = async (key, name, need) => {
    const p = path.join(dir, name);
    let b;
    try {
      b = new Uint8Array(await fs.readFile(p));
    } catch (e) {
      if (e.code === 'ENOENT' && need !== 'required') return false;
      throw new GpuEmbedderError(e.code === 'ENOENT' ? 'MODEL_NOT_FOUND' : 'FETCH_FAILED',
                                 `${p}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, { cause: e, url: p });
    }
    files[key] = b;
    sizes[name] = b.length;
    if (onProgress) onProgress({ file: name, loaded: b.length, total: b.length });
    return true;
  };
  await read('modules', 'modules.json', 'optional');
  const pp = poolingPath(files.modules);
  await Promise.all([
    read('config', 'config.json', 'required'),
    read('sentenceBert', 'sentence_bert_config.json', 'optional'),
    read('tokenizer', 'tokenizer.json', 'optional').then((ok) => ok ||
      read('vocab', 'vocab.txt', 'optional').then((v) => {
        if (!v) throw new GpuEmbedderError('MODEL_NOT_FOUND', `${dir}: neither tokenizer.json nor vocab.txt exists`);
        return read('tokenizerConfig', 'tokenizer_config.json', 'optional');
      })),
    pp ? read('pooling', pp, 'optional') : null,
  ]);
  const extra = {};
  const readExtra = async (name) => {
    const b = await fs.readFile(path.join(dir, name)).catch((e) => {
      if (e.code === 'ENOENT') return null;
      throw new GpuEmbedderError('FETCH_FAILED', `${path.join(dir, name)}: ${e.message}`, { cause: e });
    });
    if (b) { extra[name] = new Uint8Array(b); sizes[name] = b.length; }
    return !!b;
  };
  await Promise.all(extraPaths(files.modules).map(async (alts) => {
    for (const n of alts) if (await readExtra(n)) return;
  }));
  // A sharded checkpoint: model.safetensors.index.json and its shards instead of model.safetensors.
  if (!(await read('safetensors', 'model.safetensors', 'optional'))) {
    if (!(await readExtra('model.safetensors.index.json'))) await read('safetensors', 'model.safetensors', 'required');
    for (const n of shardNames(extra['model.safetensors.index.json'])) {
      if (!(await readExtra(n))) {
        throw new GpuEmbedderError('MODEL_NOT_FOUND', `${path.join(dir, n)}: no such file (a shard named by model.safetensors.index.json)`);
      }
    }
  }
  files.extra = extra;
  return finish(files, dir, sizes);
}

// ---------- fetching (browser and Node) ----------

const CACHE_HEADERS = { size: 'x-gpuembed-size', sha256: 'x-gpuembed-sha256', etag: 'x-gpuembed-etag',
                        modified: 'x-gpuembed-last-modified', missing: 'x-gpuembed-missing' };

async function sha256Hex(bytes) {
  const d = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(d), (x) => x.toString(16).padStart(2, '0')).join('');
}

async function readBody(res, url, file, onProgress) {
  const lenHeader = res.headers.get('content-length');
  const encoded = res.headers.get('content-encoding');
  const total = lenHeader && !encoded ? Number(lenHeader) : 0;
  if (onProgress) onProgress({ file, loaded: 0, total });
  // Nothing of a broken download is kept (the cache is written only with a whole, checked file): say so, since
  // the natural reaction, loading again, is what works.
  const broken = (e, loaded) => {
    const why = [e && e.message, e && e.cause && (e.cause.message || e.cause.code)].filter(Boolean).join(': ');
    return new GpuEmbedderError('FETCH_FAILED', `fetching ${url} failed: the download broke off after ${loaded}` +
      `${total ? ` of ${total}` : ''} bytes (${why || 'connection closed'}); loading again starts it over`,
      { cause: e, url, status: res.status, detail: 'incomplete' });
  };
  if (!res.body || typeof res.body.getReader !== 'function') {
    let b;
    try { b = new Uint8Array(await res.arrayBuffer()); } catch (e) { throw broken(e, 0); }
    if (onProgress) onProgress({ file, loaded: b.length, total: b.length });
    return b;
  }
  const reader = res.body.getReader();
  // (a Content-Length is only a hint for the first allocation: a lying server must not make us allocate gigabytes)
  let buf = new Uint8Array(Math.min(total, 1 << 28) || 1 << 16), loaded = 0, last = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.length > buf.length) {
        const bigger = new Uint8Array(Math.max(buf.length * 2, loaded + value.length));
        bigger.set(buf.subarray(0, loaded));
        buf = bigger;
      }
      buf.set(value, loaded);
      loaded += value.length;
      if (onProgress && (loaded - last >= 1 << 18 || loaded === total)) {
        last = loaded;
        onProgress({ file, loaded, total });
      }
    }
  } catch (e) {
    throw broken(e, loaded);
  }
  if (total && loaded !== total) {
    throw new GpuEmbedderError('FETCH_FAILED', `fetching ${url} failed: got ${loaded} bytes, Content-Length said ${total}; ` +
      'loading again starts it over', { url, status: res.status, detail: 'incomplete' });
  }
  if (onProgress && last !== loaded) onProgress({ file, loaded, total: total || loaded });
  return buf.length === loaded ? buf : buf.slice(0, loaded);
}

// What a model file should be, for the message when a server answers with a web page instead.
function expectedKind(file) {
  if (file.endsWith('.safetensors')) return 'safetensors weights';
  if (file.endsWith('.json')) return 'JSON';
  return 'a vocabulary';
}

// A server may answer 200 with an HTML page where a model file should be: a login or error page, a captive portal,
// a single-page app's fallback route, or a Hugging Face ".../blob/main/" URL (the file's web page; the file itself
// is under ".../resolve/main/"). Handing that to the core would give a puzzling "malformed safetensors/JSON" error;
// say what came instead. A safetensors file starts with a little-endian u64 header length and '{', JSON with '{' or
// '[', so neither can start with an HTML tag.
function htmlInsteadOf(bytes, contentType) {
  const head = dec.decode(bytes.subarray(0, 1024)).replace(/^\uFEFF/, '').trimStart();
  const looksHtml = /^<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i.test(head);
  const typeHtml = /^\s*(text\/html|application\/xhtml\+xml)/i.test(contentType || '');
  if (!looksHtml && !(typeHtml && head.startsWith('<'))) return null;
  const title = /<title[^>]*>([^<]{1,120})/i.exec(dec.decode(bytes.subarray(0, 65536)));
  return `an HTML page (${contentType || 'no content-type'}, ${bytes.length} bytes` +
         `${title ? `, title "${title[1].trim().replace(/\s+/g, ' ')}"` : ''})`;
}

async function openCache(cache) {
  if (!cache) return null;
  if (typeof cache === 'object' && typeof cache.match === 'function') return cache;  // a Cache object
  if (typeof globalThis.caches !== 'object' || !globalThis.caches) return null;     // Node, insecure origins
  try {
    return await globalThis.caches.open(typeof cache === 'string' ? cache : 'gpuembed-models');
  } catch {
    return null;  // e.g. storage disabled
  }
}

// One file: from the cache when it is there, intact and (when the server answers) unchanged; else fetched.
// Returns Uint8Array, or null for an optional file the server does not have (404).
async function getFile(url, file, { optional, onProgress, fetchImpl, cache, stats, signal, revalidate = true }) {
  let corrupt = false;
  if (cache) {
    const hit = await cache.match(url).catch(() => undefined);
    if (hit) {
      const h = (k) => hit.headers.get(CACHE_HEADERS[k]);
      let fresh = true;
      if (revalidate) {
        // Is the server's copy still the one we cached? Offline (fetch throws) keeps the cached copy.
        try {
          const head = await fetchImpl(url, { method: 'HEAD', cache: 'no-store', signal });
          if (head.ok) {
            const len = head.headers.get('content-length'), etag = head.headers.get('etag');
            const mod = head.headers.get('last-modified');
            if (h('missing') || (len && !head.headers.get('content-encoding') && h('size') && len !== h('size')) ||
                (etag && h('etag') && etag !== h('etag')) || (mod && h('modified') && mod !== h('modified'))) fresh = false;
          } else if (head.status === 404 && !h('missing')) {
            fresh = false;
          }
        } catch { /* offline: use the cache */ }
      }
      if (fresh && h('missing')) {
        stats.cached.push(file);
        return null;
      }
      if (fresh) {
        const b = new Uint8Array(await hit.arrayBuffer());
        // (an HTML page counts as corrupt: loaders before the HTML check cached whatever a server answered)
        const ok = String(b.length) === h('size') && (!h('sha256') || (await sha256Hex(b)) === h('sha256')) &&
                   !htmlInsteadOf(b, null);
        if (ok) {
          stats.cached.push(file);
          if (onProgress) onProgress({ file, loaded: b.length, total: b.length, cached: true });
          return b;
        }
        stats.corrupt.push(file);
        corrupt = true;
      }
      await cache.delete(url).catch(() => {});
    }
  }
  let res;
  try {
    res = await fetchImpl(url, { signal });
  } catch (e) {
    throw new GpuEmbedderError('FETCH_FAILED', `fetching ${url} failed: ${e.message}${e.cause ? ` (${e.cause.code || e.cause.message || e.cause})` : ''}` +
                               (corrupt ? '; the cached copy was corrupt (size or SHA-256 mismatch) and was dropped' : ''),
                               { cause: e, url });
  }
  if (res.status === 404 && optional) {
    if (cache) {
      await cache.put(url, new Response('', { headers: { [CACHE_HEADERS.missing]: '1' } })).catch(() => {});
    }
    return null;
  }
  if (!res.ok) {
    throw new GpuEmbedderError('FETCH_FAILED', `fetching ${url} failed: HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}` +
                               (corrupt ? '; the cached copy was corrupt (size or SHA-256 mismatch) and was dropped' : ''),
                               { url, status: res.status });
  }
  const bytes = await readBody(res, url, file, onProgress);
  const html = htmlInsteadOf(bytes, res.headers.get('content-type'));
  if (html) {
    throw new GpuEmbedderError('FETCH_FAILED', `fetching ${url}: got ${html} instead of ${expectedKind(file)}. The URL ` +
      'should name the folder that holds the model files (on Hugging Face: https://huggingface.co/ORG/MODEL/resolve/main/, ' +
      'not .../blob/main/ or .../tree/main/); a login, error or portal page also looks like this',
      { url, status: res.status, detail: 'html' });
  }
  stats.fetched.push(file);
  if (cache) {
    const headers = { 'content-type': 'application/octet-stream', [CACHE_HEADERS.size]: String(bytes.length),
                      [CACHE_HEADERS.sha256]: await sha256Hex(bytes) };
    const etag = res.headers.get('etag'), mod = res.headers.get('last-modified');
    if (etag) headers[CACHE_HEADERS.etag] = etag;
    if (mod) headers[CACHE_HEADERS.modified] = mod;
    await cache.put(url, new Response(bytes, { headers })).catch((e) => { stats.cacheErrors.push(`${file}: ${e.message}`); });
  }
  return bytes;
}

// ---------- Hugging Face model ids ----------

export const HUB_DEFAULTS = { hubHost: 'https://huggingface.co', revision: 'main' };

// "org/name" (one slash, no scheme, no leading "." or "/", no trailing slash), as the hub names repositories.
export function looksLikeHubId(s) {
  return typeof s === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s) && !s.includes('..');
}

// The folder URL of a model id: <hubHost>/<id>/resolve/<revision>/ (what transformers.js and huggingface_hub fetch).
// The browser cache keys files by this URL, so each id and revision is cached on its own.
export function hubModelUrl(id, { hubHost, revision } = {}) {
  if (!looksLikeHubId(id)) throw new GpuEmbedderError('INVALID_INPUT', `not a Hugging Face model id (ORG/NAME): ${JSON.stringify(id)}`);
  const host = String(hubHost ?? HUB_DEFAULTS.hubHost).replace(/\/+$/, '');
  const rev = String(revision ?? HUB_DEFAULTS.revision);
  if (!rev || /[\s?#]/.test(rev) || rev.split('/').includes('..')) throw new GpuEmbedderError('INVALID_INPUT', `not a revision: ${JSON.stringify(rev)}`);
  return `${host}/${id}/resolve/${rev.split('/').map(encodeURIComponent).join('%2F')}/`;
}

// A Hugging Face style folder under a base URL.
export async function fetchModelFiles(base, options = {}) {
  const fetchImpl = options.fetch || globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw new GpuEmbedderError('FETCH_FAILED', 'no fetch() in this runtime');
  let baseUrl;
  try {
    const here = typeof location === 'object' && location ? location.href : undefined;
    baseUrl = new URL(base.endsWith('/') ? base : base + '/', here);
  } catch (e) {
    throw new GpuEmbedderError('INVALID_INPUT', `not a URL: ${base}`, { cause: e });
  }
  const cache = await openCache(options.cache ?? !isNodeRuntime);
  const stats = { fetched: [], cached: [], corrupt: [], cacheErrors: [] };
  const o = { onProgress: options.onProgress, fetchImpl, cache, stats, signal: options.signal,
              revalidate: options.revalidate ?? true };
  const get = (name, optional) => getFile(new URL(name, baseUrl).href, name, { ...o, optional });
  const files = {}, sizes = {};
  const put = (key, name, b) => { if (b) { files[key] = b; sizes[name] = b.length; } };

  put('modules', 'modules.json', await get('modules.json', true));
  const pp = poolingPath(files.modules);
  await Promise.all([
    get('config.json', false).then((b) => put('config', 'config.json', b), (e) => {
      if (!options.hubId || !e.status) throw e;
      throw new GpuEmbedderError('FETCH_FAILED', `${e.message} (model id ${options.hubId}: no such model or revision ` +
        `on ${baseUrl.origin}, or it needs a login)`, { url: e.url, status: e.status });
    }),
    get('sentence_bert_config.json', true).then((b) => put('sentenceBert', 'sentence_bert_config.json', b)),
    get('tokenizer.json', true).then(async (b) => {
      if (b) return put('tokenizer', 'tokenizer.json', b);
      const v = await get('vocab.txt', true);
      if (!v) {
        throw new GpuEmbedderError('FETCH_FAILED', `${new URL('tokenizer.json', baseUrl).href} and ` +
          `${new URL('vocab.txt', baseUrl).href}: HTTP 404 (the model needs one of them)`,
          { url: new URL('tokenizer.json', baseUrl).href, status: 404 });
      }
      put('vocab', 'vocab.txt', v);
      put('tokenizerConfig', 'tokenizer_config.json', await get('tokenizer_config.json', true));
    }),
    pp ? get(pp, true).then((b) => put('pooling', pp, b)) : null,
  ]);
  const extra = {};
  const putExtra = (name, b) => { if (b) { extra[name] = b; sizes[name] = b.length; } return !!b; };
  await Promise.all(extraPaths(files.modules).map(async (alts) => {
    for (const n of alts) if (putExtra(n, await get(n, true))) return;
  }));
  // A sharded checkpoint: model.safetensors.index.json and its shards instead of model.safetensors.
  const single = await get('model.safetensors', true);
  if (single) {
    put('safetensors', 'model.safetensors', single);
  } else if (putExtra('model.safetensors.index.json', await get('model.safetensors.index.json', true))) {
    for (const n of shardNames(extra['model.safetensors.index.json'])) putExtra(n, await get(n, false));
  } else {
    const url = new URL('model.safetensors', baseUrl).href;
    throw new GpuEmbedderError('FETCH_FAILED', `fetching ${url} failed: HTTP 404: ${options.hubId ? `model ${options.hubId}` : 'the model'} ` +
      'has no weights gpuembed reads (looked for: model.safetensors, model.safetensors.index.json of a sharded ' +
      'checkpoint; pytorch_model.bin, ONNX and TensorFlow weights are not read)', { url, status: 404, detail: 'no-safetensors' });
  }
  files.extra = extra;
  const out = finish(files, baseUrl.href, sizes);
  out.cacheStats = stats;
  return out;
}

/** Deletes the browser's cached model files (all of them, or those under one base URL). */
export async function clearModelCache(baseUrl, cacheName = 'gpuembed-models') {
  if (typeof globalThis.caches !== 'object' || !globalThis.caches) return 0;
  if (!baseUrl) return (await globalThis.caches.delete(cacheName)) ? 1 : 0;
  const c = await globalThis.caches.open(cacheName);
  const prefix = new URL(baseUrl.endsWith('/') ? baseUrl : baseUrl + '/', typeof location === 'object' ? location.href : undefined).href;
  let n = 0;
  for (const req of await c.keys()) if (req.url.startsWith(prefix) && (await c.delete(req))) ++n;
  return n;
}

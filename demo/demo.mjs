// gpuembed browser demo: load a model (progress bar, Cache API), embed a small corpus, search it.
// URL parameters: ?model=URL (or pick a bundled model in the page)&backend=auto|webgpu|cpu&corpus=N (first N passages)&autoload=0
// State for tests: window.demo = { state, backend, adapter, timings, results, error }, body[data-state].
import { GpuEmbedder } from '../js/gpuembed.mjs';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const demo = (window.demo = { state: 'idle', backend: null, adapter: null, timings: {}, results: [], error: null });
let embedder = null, index = null, passages = [];

function setState(s) {
  demo.state = s;
  document.body.dataset.state = s;
}
const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const fmtMB = (b) => `${(b / 1e6).toFixed(1)} MB`;

function showTimings() {
  const t = demo.timings;
  const parts = [];
  if (t.load !== undefined) parts.push(`model ${fmtMs(t.load)}`);
  if (t.corpus !== undefined) parts.push(`corpus ${fmtMs(t.corpus)} (${passages.length} passages)`);
  if (t.query !== undefined) parts.push(`last search ${fmtMs(t.query)}`);
  $('timings').textContent = parts.join(' · ') || '-';
}

async function load() {
  const url = $('model-url').value.trim();
  const backend = $('backend').value;
  setState('loading');
  $('error').hidden = true;
  $('query').disabled = $('search').disabled = $('load').disabled = true;
  $('results').replaceChildren();
  demo.timings = {};
  showTimings();
  try {
    if (embedder) await embedder.dispose();
    embedder = await GpuEmbedder.create({ backend });
    embedder.addEventListener('devicelost', (ev) => {
      demo.backend = 'cpu';
      $('backend-badge').textContent = 'cpu';
      $('backend-badge').className = 'badge cpu';
      $('adapter').textContent = `(GPU lost: ${ev.detail.message}; running on the CPU)`;
    });
    const sizes = {};
    let t0 = performance.now();
    const info = await embedder.loadModel(url, {
      onProgress: ({ file, loaded, total, cached }) => {
        sizes[file] = { loaded, total: total || loaded };
        const all = Object.values(sizes);
        const sum = all.reduce((a, s) => a + s.loaded, 0), tot = all.reduce((a, s) => a + s.total, 0);
        $('progress').value = tot ? sum / tot : 0;
        $('progress-label').textContent = `${file}: ${fmtMB(loaded)}${total ? ` / ${fmtMB(total)}` : ''}${cached ? ' (cache)' : ''}`;
      },
    });
    demo.timings.load = performance.now() - t0;
    $('progress').value = 1;
    const c = info.cache;
    $('progress-label').textContent = c ? `loaded (${c.cached.length} files from the cache, ${c.fetched.length} downloaded)` : 'loaded';
    demo.backend = embedder.backend;
    demo.adapter = info.adapter;
    $('backend-badge').textContent = embedder.backend;
    $('backend-badge').className = `badge ${embedder.backend}`;
    $('adapter').textContent = info.adapter ? `on ${info.adapter}` : embedder.fallbackReason ? `(${embedder.fallbackReason})` : '';
    $('model-info').textContent = `${info.numLayers} layers, hidden ${info.hiddenSize}, dimension ${info.dimension}, ` +
      `${info.pooling} pooling${info.normalize ? ', normalized' : ''}, max ${info.maxSeqLength} tokens`;
    $('note').hidden = !/random|tiny-bert/.test(url);
    $('note').textContent = 'This test model has random weights: its scores check the arithmetic, not meaning. ' +
      'Point the model URL at a real all-MiniLM-L6-v2 folder for meaningful search results.';
    showTimings();

    setState('embedding');
    $('progress-label').textContent = `embedding ${passages.length} passages on ${embedder.backend}...`;
    t0 = performance.now();
    index = await embedder.createIndex(passages);
    demo.timings.corpus = performance.now() - t0;
    $('progress-label').textContent = `ready: ${index.size} passages indexed`;
    showTimings();
    $('query').disabled = $('search').disabled = false;
    setState('ready');
  } catch (e) {
    demo.error = `${e.code || e.name}: ${e.message}`;
    $('error').textContent = demo.error;
    $('error').hidden = false;
    setState('error');
  } finally {
    $('load').disabled = false;
  }
}

async function search(query) {
  if (!index || !query) return [];
  const k = Math.max(1, Math.min(index.size, Number($('k').value) || 5));
  setState('searching');
  const t0 = performance.now();
  const hits = await index.search(query, k);
  demo.timings.query = performance.now() - t0;
  demo.results = hits.map((h) => ({ ...h, text: passages[h.id] }));
  const top = hits.length ? hits[0].score : 1;
  $('results').replaceChildren(...demo.results.map((h) => {
    const li = document.createElement('li');
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = h.score.toFixed(4);
    const id = document.createElement('span');
    id.className = 'id';
    id.textContent = `#${h.id}`;
    const text = document.createElement('div');
    text.textContent = h.text;
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.width = `${Math.max(4, (h.score / Math.max(top, 1e-6)) * 100)}%`;
    text.append(bar);
    li.append(score, id, text);
    return li;
  }));
  showTimings();
  setState('ready');
  return demo.results;
}
demo.search = (q) => { $('query').value = q; return search(q); };

$('model-form').addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
$('search-form').addEventListener('submit', (ev) => { ev.preventDefault(); search($('query').value.trim()); });

// The real models scripts/get_models.sh lays out in .cache/models (served as /models/): two families to pick from.
const localModel = (name) => new URL(`../models/${name}/`, location.href).href;
$('model-pick').addEventListener('change', () => {
  if ($('model-pick').value) $('model-url').value = localModel($('model-pick').value);
});
$('model-url').addEventListener('input', () => { $('model-pick').value = ''; });
$('model-url').value = params.get('model') || localModel('all-MiniLM-L6-v2');
if (params.get('model')) $('model-pick').value = '';
$('backend').value = params.get('backend') || 'auto';
const text = await (await fetch(new URL('corpus.txt', import.meta.url))).text();
passages = text.split('\n').map((s) => s.trim()).filter(Boolean).slice(0, Number(params.get('corpus')) || undefined);
$('corpus-count').textContent = String(passages.length);
$('corpus').replaceChildren(...passages.map((p) => Object.assign(document.createElement('li'), { textContent: p })));
if (params.get('autoload') !== '0') load();

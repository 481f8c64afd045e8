#!/usr/bin/env node
// A small static file server on 127.0.0.1 for the demo, the examples and the tests (node:http, no dependencies).
//
//   node demo/serve.mjs [--port 8080]     # serves the demo at http://127.0.0.1:8080/demo/
//
// Mounts: / = the repository, /build-wasm/ = the WASM build folder ($GPUEMBED_WASM_BUILD or build-wasm),
// /models/ = .cache/models (the real models of scripts/get_models.sh, the test models of scripts/gen_models.sh),
// /golden/ = tests/golden.
// The command sends Cross-Origin-Opener-Policy: same-origin + Cross-Origin-Embedder-Policy: require-corp, which make
// its pages cross-origin isolated: SharedArrayBuffer exists there, so js/gpuembed.mjs runs the threaded module.
// As a library: serve({ mounts: { '/': dir, ... }, port: 0, hook(req, res, urlPath) => true if handled,
//                      isolate: true for those two headers })
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.txt': 'text/plain; charset=utf-8', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.ts': 'text/plain', '.md': 'text/plain; charset=utf-8',
};

export function resolveMount(mounts, urlPath) {
  const keys = Object.keys(mounts).sort((a, b) => b.length - a.length);
  for (const k of keys) {
    const prefix = k.endsWith('/') ? k : k + '/';
    if (urlPath === k || urlPath.startsWith(prefix)) {
      const rel = urlPath.slice(prefix.length);
      const base = path.resolve(mounts[k]);
      const p = path.resolve(base, rel);
      if (p !== base && !p.startsWith(base + path.sep)) return null;  // no escaping the mount
      return p;
    }
  }
  return null;
}

// Returns { server, url, close(), log } where log lists "METHOD /path STATUS".
export function serve({ mounts, port = 0, host = '127.0.0.1', hook = null, quiet = true, isolate = false } = {}) {
  const log = [];
  const server = http.createServer((req, res) => {
    if (isolate) {
      res.setHeader('cross-origin-opener-policy', 'same-origin');
      res.setHeader('cross-origin-embedder-policy', 'require-corp');
    }
    let urlPath;
    try { urlPath = decodeURIComponent(new URL(req.url, 'http://x').pathname); } catch { urlPath = '/'; }
    const done = (status) => { log.push(`${req.method} ${urlPath} ${status}`); if (!quiet) console.log(req.method, urlPath, status); };
    res.on('finish', () => done(res.statusCode));
    if (hook && hook(req, res, urlPath)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return; }
    let p = resolveMount(mounts, urlPath);
    if (p && fs.existsSync(p) && fs.statSync(p).isDirectory()) {
      if (!urlPath.endsWith('/')) { res.writeHead(301, { location: urlPath + '/' }).end(); return; }
      p = path.join(p, 'index.html');
    }
    if (!p || !fs.existsSync(p) || !fs.statSync(p).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${urlPath}\n`);
      return;
    }
    const st = fs.statSync(p);
    const etag = `"${crypto.createHash('sha1').update(`${p}:${st.size}:${st.mtimeMs}`).digest('hex').slice(0, 16)}"`;
    res.writeHead(200, {
      'content-type': TYPES[path.extname(p)] || 'application/octet-stream', 'content-length': st.size,
      etag, 'last-modified': st.mtime.toUTCString(), 'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') { res.end(); return; }
    fs.createReadStream(p).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({ server, log, url: `http://${host}:${actual}`,
                close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) });
    });
  });
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function defaultMounts() {
  return {
    '/': repoRoot,
    '/build-wasm': process.env.GPUEMBED_WASM_BUILD || path.join(repoRoot, 'build-wasm'),
    '/models': path.join(repoRoot, '.cache', 'models'),
    '/golden': path.join(process.env.GPUEMBED_SHARED_DIR || path.join(repoRoot, 'tests'), 'golden'),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : Number(process.env.PORT || 8080);
  const mounts = defaultMounts();
  for (const [k, d] of Object.entries(mounts)) {
    if (!fs.existsSync(d)) console.warn(`warning: ${k} -> ${d} does not exist (${k === '/models' ? 'run scripts/get_models.sh and scripts/gen_models.sh' : k === '/build-wasm' ? 'run scripts/build_wasm.sh' : 'missing'})`);
  }
  const s = await serve({ mounts, port, quiet: !process.argv.includes('--verbose'), isolate: true });
  console.log(`gpuembed demo: ${s.url}/demo/   (examples: ${s.url}/examples/browser/)  Ctrl+C to stop`);
}

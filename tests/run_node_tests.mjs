// Runs the Node test files as `node --test` does (every *.test.mjs under the given folders, N files at a time), but
// the longest files first: `node --test` starts them in path order, which left the longest ones starting last and
// running alone at the end while the other core idled. Prints each file's time at the end (the sum of its top-level
// tests), to keep LONGEST_FIRST current.
//   node tests/run_node_tests.mjs [--concurrency=N] [path...]    (default: tests/wasm/ tests/js/, N = 2)
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import fs from 'node:fs';
import path from 'node:path';

// Files whose tests take longest on the software adapter, longest first; the rest follow in path order.
const LONGEST_FIRST = ['tests/js/lifecycle.test.mjs', 'tests/wasm/webgpu_overlap.test.mjs', 'tests/wasm/browser.test.mjs',
                       'tests/js/load.test.mjs', 'tests/wasm/families_webgpu.test.mjs', 'tests/wasm/families.test.mjs',
                       'tests/js/demo.test.mjs', 'tests/wasm/ops.test.mjs', 'tests/wasm/webgpu_kernel_profile.test.mjs'];

const args = process.argv.slice(2);
const concurrency = Number((args.find((a) => a.startsWith('--concurrency=')) || '--concurrency=2').split('=')[1]);
const paths = args.filter((a) => !a.startsWith('--'));
const root = process.cwd();

function testFiles(p) {
  if (!fs.statSync(p).isDirectory()) return [path.resolve(p)];
  return fs.readdirSync(p, { withFileTypes: true }).flatMap((d) => {
    const f = path.join(p, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : testFiles(f);
    return /\.test\.m?js$/.test(d.name) ? [path.resolve(f)] : [];
  });
}
const files = [...new Set((paths.length ? paths : ['tests/wasm/', 'tests/js/']).flatMap(testFiles))].sort();
const rank = (f) => {
  const i = LONGEST_FIRST.indexOf(path.relative(root, f));
  return i < 0 ? LONGEST_FIRST.length : i;
};
files.sort((a, b) => rank(a) - rank(b));  // stable: path order after the listed ones

const perFile = new Map();
let failed = false;
const stream = run({ files, concurrency });
// A failing test marked TODO is reported as a failure but, as with `node --test`, does not fail the run.
stream.on('test:fail', (d) => { if (!d.todo) failed = true; if (d.nesting === 0) add(d); });
stream.on('test:pass', (d) => { if (d.nesting === 0) add(d); });
function add(d) {
  perFile.set(d.file, (perFile.get(d.file) || 0) + (d.details?.duration_ms || 0));
}
const out = stream.compose(process.stdout.isTTY ? spec : tap);
out.on('data', (chunk) => process.stdout.write(chunk));
out.on('end', () => {
  const rows = [...perFile].sort((a, b) => b[1] - a[1]);
  console.log(`# test files by time (the sum of their top-level tests):`);
  for (const [f, ms] of rows) console.log(`#   ${(ms / 1000).toFixed(1).padStart(7)} s  ${path.relative(root, f ?? '?')}`);
  process.exitCode = failed ? 1 : 0;
});

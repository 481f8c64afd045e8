// Post-link fix of gpuembed.mjs for Emscripten 3.1.6 with --closure 1 (cmake/wasm.cmake runs it after the link).
// The heap may grow past 2 GiB, so Emscripten's unsignPointers pass rewrites the linked JS's heap indices to unsigned
// ones: `HEAP32[(p + 8) >> 2]` becomes `HEAP32[p + 8 >>> 2]`. When Closure runs, 3.1.6 parses the JS for that pass
// with its parentheses kept, the pass no longer sees the `>>` inside them and appends `>>> 0` instead:
// `HEAP32[((p + 8) >> 2) >>> 0]`, a wrong index for p >= 2 GiB (tests/wasm/heap_above_2g.test.mjs). This turns every
// `(e >> k) >>> 0` where the pass unsigns (a computed member's index, the arguments of .set() and .subarray()) into
// `e >>> k`, which is what the pass writes without Closure. The build without Closure has no such index, so nothing
// else is touched. Usage: node tools/unsign_closure_heap.mjs build-wasm/gpuembed.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let acorn;
try {
  acorn = require('acorn');  // Debian's node-acorn (NODE_PATH=/usr/share/nodejs, as Emscripten itself needs)
} catch {
  acorn = require('/usr/share/nodejs/acorn');
}

const isShift = (n, op) => n && n.type === 'BinaryExpression' && n.operator === op;
const isInt = (n, v) => n && n.type === 'Literal' && typeof n.value === 'number' && (v === undefined || n.value === v);

// One round: the outermost `(e >> k) >>> 0` of each unsigned place rewritten (an inner one, as in an index read from
// the heap to index it again, is left to the next round).
function round(src) {
  const ast = acorn.parse(src, { ecmaVersion: 'latest', sourceType: 'module' });
  const edits = [];
  function fix(n) {
    if (!isShift(n, '>>>') || !isInt(n.right, 0) || !isShift(n.left, '>>') || !isInt(n.left.right)) return false;
    const shift = n.left;
    const op = shift.left.end + src.slice(shift.left.end, shift.right.start).indexOf('>>');
    const unsignOp = shift.end + src.slice(shift.end, n.right.start).indexOf('>>>');
    edits.push([n.start, n.end, src.slice(n.start, op) + '>>>' + src.slice(op + 2, unsignOp)]);
    return true;
  }
  (function walk(n) {
    if (!n || typeof n.type !== 'string') return;
    if (n.type === 'MemberExpression' && n.computed && fix(n.property)) {
      walk(n.object);
      return;
    }
    if (n.type === 'CallExpression' && n.callee.type === 'MemberExpression' && !n.callee.computed &&
        ['set', 'subarray'].includes(n.callee.property.name)) {
      const fixed = n.arguments.map(fix);
      walk(n.callee);
      n.arguments.forEach((a, i) => fixed[i] || walk(a));
      return;
    }
    for (const key of Object.keys(n)) {
      const v = n[key];
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v.type === 'string') walk(v);
    }
  })(ast);
  let out = src;
  for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + text + out.slice(end);
  return [out, edits.length];
}

const file = process.argv[2];
let src = readFileSync(file, 'utf8'), total = 0;
for (let n = 1; n > 0; total += n) [src, n] = round(src);
acorn.parse(src, { ecmaVersion: 'latest', sourceType: 'module' });
writeFileSync(file, src);
console.log(`unsign_closure_heap: ${total} heap indices unsigned in ${file}`);

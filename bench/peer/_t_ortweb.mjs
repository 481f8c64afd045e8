import * as ort from 'onnxruntime-web';
import fs from 'node:fs';
const N = +process.argv[2]; const B=+process.argv[3], T=+process.argv[4];
ort.env.wasm.numThreads = N;
const bytes = fs.readFileSync('/work/main/.cache/peer-model/onnx/model.onnx');
let t0=performance.now();
const s = await ort.InferenceSession.create(bytes, {executionProviders:['wasm']});
console.log('create', (performance.now()-t0).toFixed(0));
const ids = new BigInt64Array(B*T).fill(1000n); const m = new BigInt64Array(B*T).fill(1n); const tt=new BigInt64Array(B*T);
const feeds = {input_ids:new ort.Tensor('int64',ids,[B,T]), attention_mask:new ort.Tensor('int64',m,[B,T]), token_type_ids:new ort.Tensor('int64',tt,[B,T])};
for (let i=0;i<4;i++){ const c0=process.cpuUsage(); t0=performance.now(); const o=await s.run(feeds); const w=performance.now()-t0; const c=process.cpuUsage(c0); console.log('run', w.toFixed(1), 'cpu', ((c.user+c.system)/1000/w).toFixed(2)); }

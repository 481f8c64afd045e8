// Device loss: the GPUDevice (handed in by the test, a real Dawn device) is destroyed while a request runs on it
// (device.destroy(), as a driver reset would lose it). That request and later ones are answered on the CPU path
// with correct embeddings, e.backend becomes 'cpu', and onDeviceLost + the 'devicelost' event report it once.
// A loss while idle is reported without waiting for the next call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { create, modelDir, readGolden, compareRows, requireGpu, exitWhenDone } from './helpers.mjs';

let gpu;
before(async () => {
  const g = await requireGpu();
  gpu = g.gpu;
});
exitWhenDone(after);

async function newDevice() {
  const adapter = await gpu.requestAdapter();
  assert.ok(adapter, 'no adapter');
  return adapter.requestDevice({ requiredLimits: {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize } });
}

test('device destroyed mid-request: the request and later ones are answered on the CPU path', async () => {
  const g = readGolden('tiny-bert-cls');
  const device = await newDevice();
  const lost = [], events = [];
  const e = await create({ backend: 'webgpu', device, onDeviceLost: (info) => lost.push(info) });
  e.addEventListener('devicelost', (ev) => events.push(ev.detail));
  await e.loadModel(modelDir('tiny-bert-cls'));
  assert.equal(e.backend, 'webgpu');
  assert.match(e.modelInfo.adapter, /handed in/);
  compareRows('before the loss (WebGPU)', await e.embedBatch([g.sentences[0].text]), [g.sentences[0]]);
  assert.equal(e.backend, 'webgpu');

  const sents = g.sentences.slice(0, 24);
  let resolvedAt = 0;
  const t0 = performance.now();
  const pending = e.embedBatch(sents.map((s) => s.text)).then((r) => { resolvedAt = performance.now(); return r; });
  await new Promise((r) => setTimeout(r, 100));
  const destroyedAt = performance.now();
  assert.equal(resolvedAt, 0, 'the request had already finished: the test did not hit it in flight');
  device.destroy();
  const rows = await pending;
  console.log(`# device destroyed ${(destroyedAt - t0).toFixed(0)} ms into a request of ${sents.length} texts; ` +
              `answered on the CPU after ${(resolvedAt - t0).toFixed(0)} ms`);
  assert.ok(resolvedAt > destroyedAt);
  compareRows('the request in flight when the device was destroyed', rows, sents);
  assert.equal(e.backend, 'cpu');
  assert.equal(e.modelInfo.backend, 'cpu');
  assert.match(e.fallbackReason, /device (lost|destroyed)/i);
  assert.equal(lost.length, 1, 'onDeviceLost called once');
  assert.equal(lost[0].code, 'DEVICE_LOST');
  assert.equal(lost[0].backend, 'cpu');
  assert.match(lost[0].message, /destroyed|lost/i);
  assert.equal(events.length, 1, "one 'devicelost' event");
  assert.equal(e.memoryInfo().gpuWeightBytes, 0, 'GPU buffers released after the loss');

  // later calls, concurrent ones included
  const later = g.sentences.slice(40, 46);
  const res = await Promise.all([e.embedBatch(later.slice(0, 3).map((s) => s.text)), e.embed(later[3].text),
                                 e.embedBatch(later.slice(4).map((s) => s.text))]);
  compareRows('later calls after the loss (CPU)', [...res[0], res[1], ...res[2]], later);
  assert.equal(lost.length, 1);
  assert.equal(events.length, 1);
  await e.dispose();
});

test('device lost while idle: reported without a call, the next call runs on the CPU', async () => {
  const g = readGolden('tiny-bert-cls');
  const device = await newDevice();
  const e = await create({ backend: 'auto', device });
  await e.loadModel(modelDir('tiny-bert-cls'));
  assert.equal(e.backend, 'webgpu');
  await e.embed('warm up');
  const reported = new Promise((resolve, reject) => {
    e.addEventListener('devicelost', (ev) => resolve(ev.detail));
    setTimeout(() => reject(new Error('no devicelost event within 20 s')), 20000).unref();
  });
  device.destroy();
  const info = await reported;
  assert.equal(info.code, 'DEVICE_LOST');
  assert.equal(e.backend, 'cpu', 'backend switched before any further call');
  compareRows('after an idle loss (CPU)', await e.embedBatch(g.sentences.slice(60, 63).map((s) => s.text)), g.sentences.slice(60, 63));
  await e.dispose();
});

// Test doubles around the real WebGPU objects (npm webgpu's, after nodeGpu()): every call they do not change goes
// to Dawn, so the engine sees what a device that behaves so would show it.

// A GPU whose adapters show onDevice(device) each device they create, before the caller gets it (to wrap its methods).
export function gpuWithDeviceHook(realGpu, onDevice) {
  return {
    async requestAdapter(opts) {
      const adapter = await realGpu.requestAdapter(opts);
      if (!adapter) return adapter;
      const requestDevice = adapter.requestDevice.bind(adapter);
      adapter.requestDevice = async (desc) => {
        const device = await requestDevice(desc);
        onDevice(device);
        return device;
      };
      return adapter;
    },
    getPreferredCanvasFormat: () => realGpu.getPreferredCanvasFormat?.(),
    wgslLanguageFeatures: realGpu.wgslLanguageFeatures,
  };
}

// Mirrors the device's error scopes and returns refuse(desc, message), which fails a buffer as a device that cannot
// allocate it does (WebGPU spec, createBuffer): an invalid buffer, and a GPUOutOfMemoryError in the innermost
// 'out-of-memory' error scope (uncaptured where none is open). Call it before wrapping device.createBuffer.
export function oomRefuser(device) {
  const scopes = [];  // mirror of the device's error scope stack: { filter, error }
  const push = device.pushErrorScope.bind(device), pop = device.popErrorScope.bind(device);
  const createBuffer = device.createBuffer.bind(device);
  device.pushErrorScope = (filter) => { scopes.push({ filter, error: null }); push(filter); };
  device.popErrorScope = async () => {
    const s = scopes.pop();
    const real = await pop();
    return (s && s.error) || real;
  };
  return (d, message) => {
    // the invalid buffer: an invalid usage, inside a scope of our own so that this validation error is not seen
    push('validation');
    const invalid = createBuffer({ ...d, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE, mappedAtCreation: false });
    pop();
    const oom = new GPUOutOfMemoryError(message);
    const s = [...scopes].reverse().find((x) => x.filter === 'out-of-memory');
    if (s && !s.error) s.error = oom;
    else if (!s) device.dispatchEvent?.(new GPUUncapturedErrorEvent('uncapturederror', { error: oom }));
    return invalid;
  };
}

// The real adapter behind a wrapper whose feature set lacks `feature` (what a browser on NVIDIA's Vulkan driver
// reports for 'shader-f16'); every device descriptor asked for is pushed to `seen`.
export function gpuWithout(realGpu, feature, seen = []) {
  return {
    async requestAdapter(options) {
      const a = await realGpu.requestAdapter(options);
      if (!a) return a;
      return {
        features: new Set([...a.features].filter((f) => f !== feature)),
        limits: a.limits,
        info: a.info,
        requestDevice: (desc) => { seen.push(desc); return a.requestDevice(desc); },
      };
    },
  };
}

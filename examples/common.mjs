// Shared bits of the Node examples: the model folder and (optionally) WebGPU for Node.
//   GPUEMBED_MODEL=DIR   a sentence-transformers folder (default: the generated minilm-l6-random model,
//                        made by scripts/gen_models.sh into .cache/models/)
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const defaultModel = process.env.GPUEMBED_MODEL || path.join(repo, '.cache', 'models', 'minilm-l6-random');

// Node has no navigator.gpu: WebGPU comes from the npm package `webgpu` (Dawn), when it is installed.
// Returns a GPU object or undefined. Set VK_ICD_FILENAMES to pick a Vulkan driver (e.g. a software one).
export async function nodeGpu() {
  try {
    const webgpu = await import('webgpu');
    Object.assign(globalThis, webgpu.globals);
    return webgpu.create([]);
  } catch {
    return undefined;  // not installed: the CPU path runs
  }
}

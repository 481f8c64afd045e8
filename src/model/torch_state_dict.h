#pragma once
// A state dict saved by torch.save (pytorch_model.bin; the zip format torch writes since 1.6) read without torch:
// the zip's stored entries, and a small pickle interpreter for what a state dict holds (an OrderedDict of tensors
// rebuilt by torch._utils._rebuild_tensor_v2 / _rebuild_parameter from Float/Half/BFloat16/Double storages).
// Anything else in the pickle (other classes, a compressed entry, a non-contiguous tensor) is refused with
// kModelInvalid: the file is data, never code, and nothing it names is run.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gpuembed {

struct TorchTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // converted to float32
};

std::map<std::string, TorchTensor> read_torch_state_dict(const std::vector<uint8_t>& bytes, const std::string& origin);

}  // namespace gpuembed

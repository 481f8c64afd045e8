#!/usr/bin/env python3
"""The pytorch_model.bin test fixture of a Dense module, as older sentence-transformers versions saved them
(torch.save of the state dict; zip format). Needs torch (scripts/pyref_env.sh torch); the output is committed in
tests/golden/st-dense-bin/2_Dense/ because CI has no torch.
  py=$(scripts/pyref_env.sh torch); $py tools/make_dense_bin_fixture.py tests/golden/st-dense-bin/2_Dense
The weight is stored as float16 and the bias as float32, so the reader's conversions are both exercised.
"""
import collections, json, os, sys

import torch


def main(out):
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(14)
    weight = (torch.randn(48, 128, generator=g) * 0.05).to(torch.float16)
    bias = torch.randn(48, generator=g) * 0.1
    torch.save(collections.OrderedDict([("linear.weight", weight), ("linear.bias", bias)]),
               os.path.join(out, "pytorch_model.bin"))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({"in_features": 128, "out_features": 48, "bias": True,
                   "activation_function": "torch.nn.modules.activation.GELU"}, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])

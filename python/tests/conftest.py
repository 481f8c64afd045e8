import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODELS = ROOT / ".cache" / "models"
GOLDEN = pathlib.Path(os.environ.get("GPUEMBED_SHARED_DIR", ROOT / "tests")) / "golden"
MODEL_NAMES = ["minilm-l6-random", "tiny-bert-cls"]


def st_features():
    with open(GOLDEN / "st-features.json", encoding="utf-8") as f:
        return json.load(f)


def golden(name):
    with open(GOLDEN / f"{name}.shared.json", encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def sentence_transformers_encode(tmp_path_factory):
    """encode(model_dir, texts, batch_size, normalize) by sentence-transformers, run in the reference venv
    (GPUEMBED_REFERENCE_PYTHON, set by scripts/test_python.sh)."""
    py = os.environ.get("GPUEMBED_REFERENCE_PYTHON")
    if not py:
        # torch from PyPI is the CUDA build (several GB with its nvidia-* wheels): it does not fit the CI disk, so
        # the default run checks the same claims against recorded sentence-transformers outputs (test_golden_*).
        pytest.skip("live sentence-transformers comparison is opt-in: scripts/test_python.sh --live-st")
    tmp = tmp_path_factory.mktemp("st")

    def encode(model_dir, texts, batch_size=32, normalize=False, threads=0, prompt_name=None):
        texts_path, out_path = tmp / "texts.json", tmp / "out.npy"
        texts_path.write_text(json.dumps(texts), encoding="utf-8")
        subprocess.run([py, str(pathlib.Path(__file__).with_name("st_reference.py")), str(model_dir), str(texts_path),
                        str(out_path), str(batch_size), str(int(normalize)), str(threads)]
                       + ([prompt_name] if prompt_name is not None else []), check=True)
        return np.load(out_path)

    return encode

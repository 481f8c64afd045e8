"""Bad input raises gpuembed.Error subclasses whose .code is the C++ ErrorCode."""
import pytest

import gpuembed
from conftest import MODELS


@pytest.fixture(scope="module")
def e():
    return gpuembed.Embedder(MODELS / "minilm-l6-random")


def test_every_cpp_error_code_has_its_own_class():
    classes = {gpuembed._errors.error_class(code) for code in gpuembed.ErrorCode}
    assert len(classes) == len(gpuembed.ErrorCode) and all(issubclass(c, gpuembed.Error) for c in classes)
    # The values of the C++ enum class, in its order (kModelNotFound = 0 ... kOutOfMemory = 6).
    assert [(c.name, int(c)) for c in gpuembed.ErrorCode] == [
        ("MODEL_NOT_FOUND", 0), ("MODEL_INVALID", 1), ("INVALID_INPUT", 2), ("BACKEND_UNAVAILABLE", 3), ("DEVICE_LOST", 4),
        ("INTERNAL", 5), ("OUT_OF_MEMORY", 6)]


def test_missing_folder(tmp_path):
    with pytest.raises(gpuembed.ModelNotFoundError) as info:
        gpuembed.Embedder(tmp_path / "absent")
    assert info.value.code == gpuembed.ErrorCode.MODEL_NOT_FOUND and "absent" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_folder_without_config(tmp_path):
    with pytest.raises(gpuembed.ModelNotFoundError, match="config.json"):
        gpuembed.Embedder(tmp_path)


def test_malformed_config(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    (tmp_path / "model.safetensors").write_bytes(b"\0" * 16)
    with pytest.raises(gpuembed.ModelInvalidError) as info:
        gpuembed.Embedder(tmp_path)
    assert info.value.code == gpuembed.ErrorCode.MODEL_INVALID


def test_truncated_weights(tmp_path):
    src = MODELS / "minilm-l6-random"
    for f in src.iterdir():
        if f.is_file():
            (tmp_path / f.name).write_bytes(f.read_bytes()[:1000] if f.name == "model.safetensors" else f.read_bytes())
    if (src / "1_Pooling").is_dir():
        (tmp_path / "1_Pooling").mkdir()
        (tmp_path / "1_Pooling" / "config.json").write_bytes((src / "1_Pooling" / "config.json").read_bytes())
    with pytest.raises(gpuembed.ModelInvalidError, match="model.safetensors"):
        gpuembed.Embedder(tmp_path)


@pytest.mark.parametrize("kwargs", [{"threads": -1}, {"threads": "2"}, {"precision": "int4"}, {"max_seq_length": -5},
                                    {"truncate_dim": 0}, {"truncate_dim": 2.5}])
def test_bad_load_arguments(kwargs):
    with pytest.raises(gpuembed.InvalidInputError) as info:
        gpuembed.Embedder(MODELS / "minilm-l6-random", **kwargs)
    assert info.value.code == gpuembed.ErrorCode.INVALID_INPUT


@pytest.mark.parametrize("sentences", [None, 3, ["ok", None], [b"bytes"], b"bytes", ["ok", 1.5]])
def test_encode_rejects_non_text(e, sentences):
    with pytest.raises(gpuembed.InvalidInputError) as info:
        e.encode(sentences)
    assert info.value.code == gpuembed.ErrorCode.INVALID_INPUT
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True, 10**9])
def test_encode_rejects_bad_batch_size(e, batch_size):
    with pytest.raises(gpuembed.InvalidInputError, match="batch_size"):
        e.encode(["a"], batch_size=batch_size)


@pytest.mark.parametrize("truncate_dim", [0, -3, 1.5, True, "8"])
def test_encode_rejects_bad_truncate_dim(e, truncate_dim):
    with pytest.raises(gpuembed.InvalidInputError, match="truncate_dim"):
        e.encode(["a"], truncate_dim=truncate_dim)


def test_lone_surrogate_is_invalid_input(e):
    with pytest.raises(gpuembed.InvalidInputError, match=r"sentences\[1\]"):
        e.encode(["fine", "bad \udc80 text"])
    with pytest.raises(gpuembed.InvalidInputError):
        e.tokenize("bad \udc80 text")


def test_unknown_prompt_name(e):
    # sentence-transformers 6 always has "query" and "document" (empty unless the model sets them): the message
    # lists the available names
    with pytest.raises(gpuembed.InvalidInputError, match="query"):
        e.encode(["a"], prompt_name="no-such-prompt")
    with pytest.raises(gpuembed.InvalidInputError, match="must be a str"):
        e.encode(["a"], prompt_name=3)


def test_text_over_the_size_limit(e):
    with pytest.raises(gpuembed.InvalidInputError, match="exceeds the limit"):
        e.encode(["x" * (64 * 1024 * 1024 + 1)])


def test_awkward_text_is_not_an_error(e):
    out = e.encode(["", " ", "\x00\x07", "\ufeff", "🍕" * 1000])
    assert out.shape == (5, e.dimension) and all(abs(float((r * r).sum()) - 1) < 1e-4 for r in out)

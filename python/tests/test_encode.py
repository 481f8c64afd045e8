"""gpuembed.Embedder.encode against sentence-transformers: recorded outputs (tests/golden, made with
sentence-transformers 6.0.1) always; the same library run live in the same test with scripts/test_python.sh --live-st."""
import numpy as np
import pytest

import gpuembed
from conftest import MODEL_NAMES, MODELS, golden, st_features

TOLERANCE = 1e-4


@pytest.fixture(scope="module", params=MODEL_NAMES)
def model(request):
    return request.param, gpuembed.Embedder(MODELS / request.param)


def golden_texts(name):
    return [s["text"] for s in golden(name)["sentences"]]


def test_matches_sentence_transformers(model, sentence_transformers_encode):
    name, e = model
    texts = golden_texts(name)
    ours = e.encode(texts, batch_size=16)
    theirs = sentence_transformers_encode(MODELS / name, texts, batch_size=16)
    assert ours.dtype == np.float32 and theirs.dtype == np.float32
    assert ours.shape == theirs.shape == (len(texts), e.dimension)
    err = float(np.abs(ours - theirs).max())
    print(f"[python] {name}: {len(texts)} texts, max abs error vs sentence-transformers {err:.3g}")
    assert err < TOLERANCE


def test_normalize_embeddings_matches_sentence_transformers(sentence_transformers_encode):
    # tiny-bert-cls has no Normalize module, so normalize_embeddings=True changes its output.
    name = "tiny-bert-cls"
    e = gpuembed.Embedder(MODELS / name)
    texts = golden_texts(name)[:24]
    ours = e.encode(texts, batch_size=5, normalize_embeddings=True)
    theirs = sentence_transformers_encode(MODELS / name, texts, batch_size=5, normalize=True)
    assert np.abs(np.linalg.norm(e.encode(texts[:3]), axis=1) - 1).max() > 1e-3  # really unnormalized without it
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert float(np.abs(ours - theirs).max()) < TOLERANCE


@pytest.mark.parametrize("prompt_name", [None, "query", "passage", "none"])
def test_prompts_match_sentence_transformers(sentence_transformers_encode, prompt_name):
    # st-prompts-wmean (tools/gen_st_models.py): prompts query/passage/none, default "query", weighted-mean pooling
    # that leaves the prompt's tokens out (include_prompt: false).
    name = "st-prompts-wmean"
    e = gpuembed.Embedder(MODELS / name)
    texts = golden_texts("tiny-bert-cls")[:12]
    ours = e.encode(texts, batch_size=4, prompt_name=prompt_name)
    theirs = sentence_transformers_encode(MODELS / name, texts, batch_size=4, prompt_name=prompt_name)
    err = float(np.abs(ours - theirs).max())
    print(f"[python] {name} prompt_name={prompt_name}: max abs error vs sentence-transformers {err:.3g}")
    assert err < TOLERANCE
    if prompt_name == "passage":  # really a different prompt than the default
        assert float(np.abs(ours - e.encode(texts, batch_size=4)).max()) > 1e-3


def test_matches_golden_file(model):
    name, e = model
    g = golden(name)
    ours = e.encode([s["text"] for s in g["sentences"]])
    ref = np.array([s["embedding"] for s in g["sentences"]], dtype=np.float32)
    assert float(np.abs(ours - ref).max()) < TOLERANCE


def test_normalize_embeddings_matches_golden_file():
    # tiny-bert-cls has no Normalize module; sentence-transformers' normalize_embeddings=True is an L2 normalization
    # of the rows it would return otherwise (its golden file).
    g = golden("tiny-bert-cls")
    e = gpuembed.Embedder(MODELS / "tiny-bert-cls")
    texts = [s["text"] for s in g["sentences"]][:24]
    ref = np.array([s["embedding"] for s in g["sentences"]][:24], dtype=np.float32)
    assert np.abs(np.linalg.norm(ref, axis=1) - 1).max() > 1e-3  # really unnormalized without it
    ours = e.encode(texts, batch_size=5, normalize_embeddings=True)
    assert float(np.abs(ours - ref / np.linalg.norm(ref, axis=1, keepdims=True)).max()) < TOLERANCE


def st_feature_cases():
    for name, m in st_features()["models"].items():
        for i, case in enumerate(m["cases"]):
            yield pytest.param(name, case, id=f"{name}-{i}")


@pytest.mark.parametrize("name,case", list(st_feature_cases()))
def test_prompts_and_modules_match_golden_file(name, case):
    # Prompts (by name, literal, default), weighted-mean / last-token pooling, Dense modules, sharded weights,
    # truncate_dim per call (normalized after the cut when asked).
    texts = st_features()["sentences"]
    e = gpuembed.Embedder(MODELS / name)
    ours = e.encode(texts, batch_size=4, prompt_name=case.get("prompt_name"), prompt=case.get("prompt"),
                    normalize_embeddings=case.get("normalize_embeddings"), truncate_dim=case.get("truncate_dim"))
    ref = np.array(case["embeddings"], dtype=np.float32)
    assert ours.shape == ref.shape
    err = float(np.abs(ours - ref).max())
    print(f"[python] {name} {case.get('prompt_name', case.get('prompt'))}: max abs error vs recorded {err:.3g}")
    assert err < TOLERANCE


def test_truncate_dim_on_the_embedder_equals_per_call():
    case = next(c for c in st_features()["models"]["st-prompts-wmean"]["cases"] if "truncate_dim" in c)
    texts = st_features()["sentences"]
    e = gpuembed.Embedder(MODELS / "st-prompts-wmean", truncate_dim=case["truncate_dim"])
    assert e.dimension == case["truncate_dim"]
    ours = e.encode(texts, batch_size=4, normalize_embeddings=True)
    assert float(np.abs(ours - np.array(case["embeddings"], dtype=np.float32)).max()) < TOLERANCE


def test_single_string_gives_1d_row_of_batch(model):
    name, e = model
    texts = golden_texts(name)[:10]
    batch = e.encode(texts)
    one = e.encode(texts[3])
    assert one.shape == (e.dimension,) and one.dtype == np.float32
    assert float(np.abs(one - batch[3]).max()) <= 1e-6


@pytest.mark.parametrize("batch_size", [1, 3, 32, 1000])
def test_batch_size_does_not_change_rows(model, batch_size):
    name, e = model
    texts = golden_texts(name)
    ref = e.encode(texts, batch_size=32)
    assert float(np.abs(e.encode(texts, batch_size=batch_size) - ref).max()) <= 1e-6


def test_empty_list_and_tuple_and_generator(model):
    name, e = model
    assert e.encode([]).shape == (0, e.dimension)
    texts = ("alpha", "beta gamma")
    ref = e.encode(list(texts))
    assert np.array_equal(e.encode(texts), ref)
    assert np.array_equal(e.encode(t for t in texts), ref)


def test_progress_bar_reports_to_stderr(model, capsys):
    name, e = model
    e.encode(["a", "b", "c"], batch_size=2, show_progress_bar=True)
    assert "3/3" in capsys.readouterr().err


def test_tokenize_matches_golden_ids(model):
    name, e = model
    for s in golden(name)["sentences"][:40]:
        t = e.tokenize(s["text"])
        assert t["ids"] == s["input_ids"] and t["tokens"] == s["tokens"]
    assert [t["ids"] for t in e.tokenize(["a", "b"])] == [e.tokenize("a")["ids"], e.tokenize("b")["ids"]]


def test_token_embeddings_match_golden(model):
    name, e = model
    for te in golden(name)["token_embeddings"]:
        ours = e.token_embeddings(te["text"])
        ref = np.array(te["token_embeddings"], dtype=np.float32)
        assert ours.shape == ref.shape
        assert float(np.abs(ours - ref).max()) < TOLERANCE


def test_dimension_and_info(model):
    name, e = model
    g = golden(name)
    assert e.dimension == e.get_sentence_embedding_dimension() == g["dim"]
    info = e.info
    assert info["dimension"] == g["dim"] and info["hidden_size"] == g["hidden_size"]
    assert info["num_layers"] == g["num_hidden_layers"] and info["max_seq_length"] == g["max_seq_length"]
    assert info["pooling"] == g["pooling_mode"] and info["normalize"] == g["normalize"]
    assert info["precision"] == "fp32" and info["backend"].startswith("cpu")

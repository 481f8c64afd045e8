"""gpuembed.Index over the C++ index, and the GIL released during inference."""
import threading
import time

import numpy as np
import pytest

import gpuembed
from conftest import MODELS

PASSAGES = ["How to bake bread at home", "The stock market fell today", "Cats sleep most of the day",
            "A recipe for sourdough loaves", "Interest rates were raised"]


@pytest.fixture(scope="module")
def e():
    return gpuembed.Embedder(MODELS / "minilm-l6-random")


def test_search_matches_numpy_cosine(e):
    vectors = e.encode(PASSAGES)
    index = gpuembed.Index(e.dimension)
    index.add(vectors)
    assert len(index) == len(PASSAGES) and index.dimension == e.dimension
    q = e.encode("bread recipe")
    hits = index.search(q, 3)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = unit @ (q / np.linalg.norm(q))
    assert [h[0] for h in hits] == list(np.argsort(-scores)[:3])
    np.testing.assert_allclose([h[1] for h in hits], np.sort(scores)[::-1][:3], atol=1e-5)
    np.testing.assert_allclose(index.vectors(), unit, atol=1e-6)


def test_add_one_vector_and_k_larger_than_size(e):
    index = gpuembed.Index(e.dimension)
    index.add(e.encode("only one"))
    assert len(index.search(e.encode("query"), 10)) == 1


@pytest.mark.parametrize("dtype,atol", [("float32", 0), ("float16", 1e-3)])
def test_save_and_load(e, tmp_path, dtype, atol):
    index = gpuembed.Index(e.dimension)
    index.add(e.encode(PASSAGES))
    index.save(str(tmp_path / "i.gpeidx"), dtype)
    loaded = gpuembed.Index.load(str(tmp_path / "i.gpeidx"))
    assert len(loaded) == len(index)
    np.testing.assert_allclose(loaded.vectors(), index.vectors(), atol=atol)


def test_index_errors(e, tmp_path):
    with pytest.raises(gpuembed.InvalidInputError):
        gpuembed.Index(0)
    index = gpuembed.Index(e.dimension)
    with pytest.raises(gpuembed.InvalidInputError, match="shape"):
        index.add(np.zeros((2, 5), dtype=np.float32))
    with pytest.raises(gpuembed.InvalidInputError, match="1-D"):
        index.search(np.zeros((2, e.dimension), dtype=np.float32), 1)
    with pytest.raises(gpuembed.InvalidInputError):
        index.save(str(tmp_path / "x"), "int8")
    (tmp_path / "bad.gpeidx").write_bytes(b"not an index at all, not at all")
    with pytest.raises(gpuembed.ModelInvalidError):
        gpuembed.Index.load(str(tmp_path / "bad.gpeidx"))
    with pytest.raises(gpuembed.ModelNotFoundError):
        gpuembed.Index.load(str(tmp_path / "absent.gpeidx"))


def test_gil_released_during_encode():
    # One thread runs a long encode; the main thread keeps stamping the clock. With the GIL held through inference
    # the main thread would stall for the whole call, so the longest gap between its stamps would span it.
    e = gpuembed.Embedder(MODELS / "minilm-l6-random", threads=1)
    def make(n):
        return ["a longer sentence of several clauses, written for the thread test, number %d, " % i * 4 for i in range(n)]

    # Size the call to about 1.5 s on this machine, so scheduler pauses of a loaded machine stay far below half of it.
    start = time.perf_counter()
    e.encode(make(40), batch_size=40)
    texts = make(min(4000, max(40, int(40 * 1.5 / (time.perf_counter() - start)))))
    window = {}

    def work():
        window["start"] = time.perf_counter()
        e.encode(texts, batch_size=64)  # the GIL is taken back only briefly between batches
        window["end"] = time.perf_counter()

    worker = threading.Thread(target=work)
    stamps = []
    worker.start()
    while worker.is_alive():
        stamps.append(time.perf_counter())
    worker.join()
    inside = [t for t in stamps if window["start"] <= t <= window["end"]]
    duration = window["end"] - window["start"]
    gaps = np.diff([window["start"], *inside, window["end"]])
    print(f"[python] encode took {duration:.3f} s; main thread stamped {len(inside)} times, longest gap {gaps.max():.4f} s")
    assert duration > 0.05
    # Held, the GIL would leave one gap as long as the call; released, gaps are scheduler-sized (milliseconds).
    assert gaps.max() < duration / 2


def test_two_threads_share_one_embedder(e):
    texts = [f"text number {i}" for i in range(64)]
    ref = e.encode(texts)
    results = [None, None]

    def run(slot):
        results[slot] = e.encode(texts)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        assert float(np.abs(r - ref).max()) <= 1e-6

"""The Ray Data example on a local 2-CPU Ray cluster: every output row equals the single-process embedding of its
text, and the output is complete when an embedder actor is killed mid-run (Ray restarts it and retries the batch).
Run by scripts/test_ray.sh."""
import json
import os
import pathlib
import signal
import sys
import threading
import time

import numpy as np
import pytest
import ray

import gpuembed

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import embed_corpus  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = str(ROOT / ".cache/models/minilm-l6-random")
WORDS = "graph node edge query answer bread river market city music science history language light".split()


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """3 JSON Lines shards, 1,200 rows of varied lengths; returns (files, {id: text})."""
    folder = tmp_path_factory.mktemp("corpus")
    rows, files = {}, []
    for shard in range(3):
        path = folder / f"shard-{shard}.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for i in range(400):
                doc_id = f"doc-{shard}-{i:03d}"
                text = " ".join(WORDS[(i * 7 + k * (shard + 3)) % len(WORDS)] for k in range(3 + (i * 13) % 40))
                rows[doc_id] = text
                f.write(json.dumps({"id": doc_id, "text": text}) + "\n")
        files.append(str(path))
    return files, rows


@pytest.fixture(scope="module")
def reference(corpus):
    _, rows = corpus
    ids = sorted(rows)
    vectors = gpuembed.Embedder(MODEL, threads=1).encode([rows[i] for i in ids])
    return dict(zip(ids, vectors))


def check_output(output, reference):
    ids, vectors = embed_corpus.read_embeddings(output)
    assert len(ids) == len(set(ids)), "duplicate rows in the output"
    assert set(ids) == set(reference), f"{len(set(reference) - set(ids))} rows missing"
    worst = max(float(np.abs(v - reference[i]).max()) for i, v in zip(ids, vectors))
    assert worst <= 1e-6, f"a row differs from the single-process embedding by {worst}"
    return worst


def run(corpus, output, **kwargs):
    files, _ = corpus
    return embed_corpus.embed_corpus(MODEL, files, str(output), actors=2, rows_per_batch=50, cpus_per_actor=0.75,
                                     **kwargs)


def test_every_row_equals_single_process(cluster, corpus, reference, tmp_path):
    start = time.perf_counter()
    assert run(corpus, tmp_path / "out") == len(reference)
    worst = check_output(tmp_path / "out", reference)
    print(f"[ray] {len(reference)} rows, 2 actors, {time.perf_counter() - start:.1f} s, max abs diff {worst:.2g}")


def embedder_actor_pids():
    pids = []
    for cmdline in pathlib.Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = cmdline.read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if title.startswith("ray::MapWorker(MapBatches(EmbedBatch))"):
            pids.append((int(cmdline.parent.name), title))
    return pids


def test_complete_after_an_actor_is_killed(cluster, corpus, reference, tmp_path):
    result = {}
    worker = threading.Thread(target=lambda: result.update(rows=run(corpus, tmp_path / "out")))
    worker.start()
    deadline = time.time() + 120
    victim = None
    while victim is None and time.time() < deadline and worker.is_alive():
        busy = [pid for pid, title in embedder_actor_pids() if title.endswith(".submit")]  # inside a batch
        victim = busy[0] if busy else None
        time.sleep(0.2)
    assert victim is not None, "no embedder actor was seen working on a batch"
    assert worker.is_alive(), "the run finished before the actor could be killed"
    os.kill(victim, signal.SIGKILL)
    killed_at = time.time()
    worker.join(timeout=300)
    assert not worker.is_alive(), "the run did not finish after the actor was killed"
    assert not pathlib.Path(f"/proc/{victim}").exists()
    assert result.get("rows") == len(reference)
    worst = check_output(tmp_path / "out", reference)
    print(f"[ray] killed actor pid {victim} mid-run; finished {time.time() - killed_at:.1f} s later with all "
          f"{len(reference)} rows (max abs diff {worst:.2g})")

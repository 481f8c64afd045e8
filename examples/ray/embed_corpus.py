"""Embeds a sharded corpus on a Ray cluster with Ray Data and writes embeddings + ids to Parquet.

    python examples/ray/embed_corpus.py --model .cache/models/minilm-l6-random \
        --input 'corpus/shard-*.jsonl' --output embeddings/ --actors 2 [--address auto]

Input: JSON Lines shards, one {"id": ..., "text": "..."} per line (any number of files; Ray reads them in parallel).
Output: Parquet files with columns `id` (as in the input) and `embedding` (fixed-size list of float32).
Each actor of the pool loads the model once (gpuembed.Embedder) and embeds the batches Ray hands it; a batch
whose actor dies is retried on another actor, so the output stays complete.
"""
import argparse
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import ray

import gpuembed


class EmbedBatch:
    """One model load per actor; each call embeds one batch of rows."""

    def __init__(self, model_dir, threads, batch_size):
        self.embedder = gpuembed.Embedder(model_dir, threads=threads)
        self.batch_size = batch_size

    def __call__(self, batch: pa.Table) -> pa.Table:
        texts = batch.column("text").to_pylist()
        vectors = self.embedder.encode(texts, batch_size=self.batch_size)
        flat = pa.array(vectors.reshape(-1), type=pa.float32())
        return pa.table({"id": batch.column("id"),
                         "embedding": pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1])})


def embed_corpus(model_dir, inputs, output, actors=2, rows_per_batch=256, threads=1, batch_size=32,
                 cpus_per_actor=None, io_cpus=0.25):
    """Runs the pipeline on the connected Ray cluster; returns the number of rows written."""
    if __name__ != "__main__":
        # Imported (by a test or an application): ship EmbedBatch by value, workers need not import this file.
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    # Reading and writing are light next to inference: they reserve io_cpus, so actors can take the other CPUs.
    ds = ray.data.read_json(inputs, num_cpus=io_cpus)
    ds = ds.map_batches(EmbedBatch, fn_constructor_args=(model_dir, threads, batch_size), batch_format="pyarrow",
                        batch_size=rows_per_batch, compute=ray.data.ActorPoolStrategy(size=actors),
                        num_cpus=cpus_per_actor if cpus_per_actor is not None else (threads or 1))
    # Ray Data's actor pools restart an actor that dies (node lost, OOM kill) and run its batch again
    # (max_restarts and max_task_retries default to -1 there); test_embed_corpus.py kills one mid-run.
    ds.write_parquet(output, ray_remote_args={"num_cpus": io_cpus})
    return pq.read_table(output).num_rows


def read_embeddings(output):
    """(ids, float32 [n, dim]) from the Parquet output, in file order."""
    table = pq.read_table(output)
    dim = table.schema.field("embedding").type.list_size
    vectors = table.column("embedding").combine_chunks().flatten().to_numpy().reshape(-1, dim)
    return table.column("id").to_pylist(), np.ascontiguousarray(vectors, dtype=np.float32)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--input", required=True, nargs="+", help="JSON Lines shards (paths or globs)")
    p.add_argument("--output", required=True, help="folder for the Parquet files")
    p.add_argument("--actors", type=int, default=2, help="embedder actors (each loads the model once)")
    p.add_argument("--threads", type=int, default=1, help="CPU threads per actor")
    p.add_argument("--cpus-per-actor", type=float, default=None, help="CPUs each actor reserves (default: --threads)")
    p.add_argument("--rows-per-batch", type=int, default=256, help="rows per map_batches call")
    p.add_argument("--address", default=None, help="Ray cluster address (default: start a local one)")
    args = p.parse_args()
    import glob
    files = sorted(f for pattern in args.input for f in (glob.glob(pattern) or [pattern]))
    ray.init(address=args.address)
    start = time.perf_counter()
    n = embed_corpus(args.model, files, args.output, args.actors, args.rows_per_batch, args.threads,
                     cpus_per_actor=args.cpus_per_actor)
    seconds = time.perf_counter() - start
    print(f"{n} rows from {len(files)} shards in {seconds:.1f} s ({n / seconds:.0f} rows/s) with {args.actors} actors "
          f"-> {args.output}")


if __name__ == "__main__":
    main()

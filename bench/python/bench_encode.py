"""encode() of 10,000 texts: gpuembed's Python package vs sentence-transformers on the CPU, same model folder,
same thread count, same texts, measured alternately in one run.

    python bench/python/bench_encode.py --threads 2 [--texts 10000] [--rounds 2] [--model DIR]

Each side runs in its own process and venv (gpuembed: scripts/python_env.sh; sentence-transformers:
scripts/pyref_env.sh torch), loads the model once, warms up on 64 texts, then times encode(texts, batch_size=32).
"""
import argparse
import json
import os
import pathlib
import platform
import random
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORDS = ("the of and to in is was for on that with as by at from his her an be this which or are had not but "
         "model text vector search graph node edge query answer bread market river mountain city music science "
         "history language computer network energy water light system process result study people world").split()


def make_texts(n, seed=1234):
    # Sentence-like lengths (4 to 32 words), mixed, so batching by length matters as in use.
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.choice([4, 8, 12, 16, 24, 32])))
            for _ in range(n)]


def worker(args):
    texts = make_texts(args.texts)
    if args.worker == "gpuembed":
        import gpuembed
        model = gpuembed.Embedder(args.model, threads=args.threads)
        encode = model.encode
        backend = model.info["backend"]
    else:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        torch.set_num_threads(args.threads)
        model = SentenceTransformer(args.model, device="cpu")
        encode = lambda t, batch_size: model.encode(t, batch_size=batch_size, convert_to_numpy=True)
        backend = f"torch {torch.__version__}"
    encode(texts[:64], batch_size=32)
    start, cpu_start = time.perf_counter(), time.process_time()
    out = encode(texts, batch_size=32)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({"side": args.worker, "seconds": seconds, "cpu_seconds": cpu_seconds, "texts": len(out),
                      "backend": backend, "load_average": os.getloadavg()[0]}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(ROOT / ".cache/models/minilm-l6-random"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--texts", type=int, default=10000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--worker", choices=["gpuembed", "st"])
    args = p.parse_args()
    if args.worker:
        return worker(args)
    pythons = {
        "gpuembed": subprocess.run([str(ROOT / "scripts/python_env.sh")], check=True, capture_output=True, text=True).stdout.strip(),
        "st": subprocess.run([str(ROOT / "scripts/pyref_env.sh"), "torch"], check=True, capture_output=True, text=True).stdout.strip(),
    }
    results = {"gpuembed": [], "st": []}
    cpu = {"gpuembed": [], "st": []}
    for r in range(args.rounds):
        for side in ("gpuembed", "st"):
            line = subprocess.run([pythons[side], __file__, "--worker", side, "--model", args.model, "--threads",
                                   str(args.threads), "--texts", str(args.texts)], check=True, capture_output=True,
                                  text=True).stdout.strip().splitlines()[-1]
            res = json.loads(line)
            results[side].append(res["seconds"])
            cpu[side].append(res["cpu_seconds"])
            print(f"round {r + 1} {side:9s} {res['seconds']:.2f} s wall, {res['cpu_seconds']:.2f} s CPU "
                  f"(load average {res['load_average']:.1f}; {res['backend']})", flush=True)
    ours, theirs = statistics.median(results["gpuembed"]), statistics.median(results["st"])
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    print(f"{args.texts} texts, {args.threads} threads, {cpu_model}: gpuembed {ours:.2f} s ({args.texts / ours:.0f} texts/s), "
          f"sentence-transformers {theirs:.2f} s ({args.texts / theirs:.0f} texts/s), ratio {theirs / ours:.2f}x; "
          f"CPU seconds {statistics.median(cpu['gpuembed']):.1f} vs {statistics.median(cpu['st']):.1f}, "
          f"ratio {statistics.median(cpu['st']) / statistics.median(cpu['gpuembed']):.2f}x")


if __name__ == "__main__":
    sys.exit(main())

"""gpuembed: sentence embeddings from sentence-transformers model folders on a native C++ engine.

    import gpuembed
    model = gpuembed.Embedder("models/all-MiniLM-L6-v2")
    vectors = model.encode(["The quick brown fox", "A lazy dog"])   # float32 [2, dimension]
    index = gpuembed.Index(model.dimension)
    index.add(vectors)
    index.search(model.encode("a fast fox"), k=1)                     # [(id, score)]

`encode` takes sentence-transformers' arguments and returns what SentenceTransformer.encode returns (a NumPy
float32 array; one str gives a 1-D array). Inference runs with the GIL released, so threads embed in parallel
with other Python work. Failures raise gpuembed.Error subclasses whose `.code` is the C++ ErrorCode.
"""
import sys

from . import _core
from ._core import ErrorCode, Index
from ._errors import (BackendUnavailableError, DeviceLostError, Error, InternalError, InvalidInputError,
                      ModelInvalidError, ModelNotFoundError, OutOfMemoryError)

__all__ = ["Embedder", "Index", "ErrorCode", "Error", "ModelNotFoundError", "ModelInvalidError", "InvalidInputError",
           "BackendUnavailableError", "DeviceLostError", "InternalError", "OutOfMemoryError"]
__version__ = "0.1.0"


def _texts(sentences):
    if isinstance(sentences, str):
        return [sentences], True
    if isinstance(sentences, (bytes, bytearray)):
        raise InvalidInputError("sentences must be str or a sequence of str, got bytes (decode it first)")
    try:
        texts = list(sentences)
    except TypeError:
        raise InvalidInputError(f"sentences must be str or a sequence of str, got {type(sentences).__name__}") from None
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise InvalidInputError(f"sentences[{i}] is {type(t).__name__}, expected str")
    return texts, False


def _raise_if_not_utf8(texts):
    # Only a str with lone surrogates cannot cross into C++ (nanobind then raises a bare TypeError).
    for i, t in enumerate(texts):
        try:
            t.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InvalidInputError(f"sentences[{i}] cannot be encoded as UTF-8 ({e.reason} at {e.start})") from None


def _check_truncate_dim(value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidInputError(f"truncate_dim must be a positive int or None, got {value!r}")


class _StderrProgress:
    def __init__(self, total):
        self.total = total

    def __call__(self, done, total):
        sys.stderr.write(f"\rBatches: {done}/{total} texts")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


class Embedder:
    """A sentence-transformers model folder (config.json, model.safetensors, tokenizer files, modules.json)."""

    def __init__(self, path, threads=0, precision="fp32", max_seq_length=0, truncate_dim=None):
        """threads: 0 = automatic (all cores or one, whichever measures faster), N = exactly N.
        precision: "fp32" (exact), "bf16" (bfloat16 matmuls where the CPU has native support) or "int8" (int8
        matmuls, weights per output channel and activations per row; needs oneDNN).
        max_seq_length: 0 = the model's sentence_bert_config.json value, else tokens per text.
        truncate_dim: None = the full dimension, else the first truncate_dim values of every embedding (Matryoshka),
        as SentenceTransformer(truncate_dim=...)."""
        if not isinstance(path, (str, bytes)) and not hasattr(path, "__fspath__"):
            raise InvalidInputError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise InvalidInputError(f"threads must be an int >= 0, got {threads!r}")
        if isinstance(max_seq_length, bool) or not isinstance(max_seq_length, int) or max_seq_length < 0:
            raise InvalidInputError(f"max_seq_length must be an int >= 0, got {max_seq_length!r}")
        _check_truncate_dim(truncate_dim)
        import os
        self._core = _core.Embedder(os.fsdecode(path), threads, str(precision), max_seq_length, truncate_dim or 0)

    def encode(self, sentences, batch_size=32, normalize_embeddings=None, prompt_name=None, show_progress_bar=False,
               prompt=None, truncate_dim=None):
        """Embeds one str (-> float32 [dimension]) or a sequence of str (-> float32 [n, dimension]).

        As SentenceTransformer.encode: texts are sorted longest first and run batch_size per forward pass; rows come
        back in input order. normalize_embeddings=True L2-normalizes the output; None/False leave it as the model's
        modules say (a model with a Normalize module always returns unit vectors). prompt_name picks one of the
        model's prompts (config_sentence_transformers.json; default: its default_prompt_name), prompt is a literal
        prompt instead ("" for none); an unknown name raises InvalidInputError listing the model's prompts.
        truncate_dim keeps the first truncate_dim values of each row (before normalize_embeddings, as
        sentence-transformers does); None: the Embedder's truncate_dim."""
        texts, single = _texts(sentences)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidInputError(f"batch_size must be a positive int, got {batch_size!r}")
        for name, value in (("prompt_name", prompt_name), ("prompt", prompt)):
            if value is not None and not isinstance(value, str):
                raise InvalidInputError(f"{name} must be a str or None, got {type(value).__name__}")
        _check_truncate_dim(truncate_dim)
        progress = _StderrProgress(len(texts)) if show_progress_bar else None
        try:
            out = self._core.encode(texts, [len(t) for t in texts], batch_size, bool(normalize_embeddings), progress,
                                    prompt_name, prompt, truncate_dim or 0)
        except TypeError:
            _raise_if_not_utf8(texts)
            raise
        return out[0] if single else out

    def tokenize(self, sentences):
        """{"ids": [...], "tokens": [...]} for one str, a list of them for a sequence (with [CLS]/[SEP], truncated
        at max_seq_length, as the model sees them)."""
        texts, single = _texts(sentences)
        try:
            out = [self._core.tokenize(t) for t in texts]
        except TypeError:
            _raise_if_not_utf8(texts)
            raise
        return out[0] if single else out

    def token_embeddings(self, sentence):
        """The transformer's last hidden state for one text: float32 [tokens, hidden_size]."""
        texts, single = _texts(sentence)
        if not single:
            raise InvalidInputError("token_embeddings takes one str")
        return self._core.token_embeddings(texts[0])

    @property
    def dimension(self):
        """Length of each embedding."""
        return self._core.dimension

    def get_sentence_embedding_dimension(self):
        """sentence-transformers' name for `dimension`."""
        return self._core.dimension

    @property
    def info(self):
        """Model summary: sizes, pooling, normalize, max_seq_length, the backend that runs, precision."""
        return self._core.info()

    def __repr__(self):
        i = self.info
        return f"gpuembed.Embedder({i['path']!r}, dimension={i['dimension']}, backend={i['backend']!r})"

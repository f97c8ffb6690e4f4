"""The default model as an ONNX graph (float32, or int8 weights), run by ONNX Runtime without torch.

Derived once from the converted sentence-transformers folder (`e5_convert.default_model_dir`), so
it needs no model hub: the BERT encoder with its mean pooling and L2 normalisation is exported to
ONNX (with torch, once). Precision `fp32` then has ONNX Runtime's transformer optimiser fuse each
layer's attention, the embeddings with their layer norm, and the residual layer norms into single
kernels (the same vectors as torch, fewer passes over memory); `int8` quantises the unfused graph's
matrix weights and token embeddings per channel with ONNX Runtime's dynamic quantiser (activations
are quantised per batch). Each precision has its own folder,
`models/<converted folder>-v<EXPORT_FORMAT>-onnx-<precision>/`, holding the graph, its weights (a file beside it, memory-mapped when run) and the folder's `tokenizer.json`.
Like the conversion, it is built in a staging folder and renamed into place; a marker written last
records the source folder's own marker, so a reconverted source is exported again.

Running it needs only onnxruntime, tokenizers and numpy: no torch and no sentence-transformers,
whose imports were most of a cold start.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import uuid
import warnings
from pathlib import Path

import numpy as np

from .e5_convert import ModelConversionError, default_model_dir, move_into_place, read_marker

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "int8")
MARKER_FILE = "e5_onnx.json"
EXPORT_FORMAT = 4  # bump when the recipe changes, so cached folders are rebuilt
GRAPH_FILE = "model.onnx"
# The weights beside the graph, not inside it: ONNX Runtime then memory-maps them instead of copying
# them out of the protobuf (session start 0.13 s instead of 1.6 s of CPU, 140 MB instead of 870 MB).
WEIGHTS_FILE = GRAPH_FILE + ".data"
TOKENIZER_FILE = "tokenizer.json"
OPSET = 17
MAX_TOKENS = 512


def onnx_model_dir(cache_root: Path | None = None, precision: str = "fp32") -> Path:
    """The ONNX folder of `precision` in the cache, exported once from the converted model when missing or stale."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown ONNX precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    source = default_model_dir(cache_root)
    # The recipe's format is in the name, so branches or installs on another recipe keep their own folder.
    dest = source.parent / f"{source.name}-v{EXPORT_FORMAT}-onnx-{precision}"
    if is_complete(dest, source):
        return dest
    if dest.exists():
        log.warning("rebuilding %s: no matching completion marker", dest)
    return export_onnx(source, dest, precision)


def is_complete(folder: Path, source: Path) -> bool:
    marker = _read_json(folder / MARKER_FILE)
    complete = marker is not None and marker.get("format") == EXPORT_FORMAT and marker.get("source_marker") == read_marker(source)
    return complete and all((folder / name).is_file() for name in (GRAPH_FILE, WEIGHTS_FILE, TOKENIZER_FILE))


WEIGHTS = {"fp32": "float32, as converted; fused attention", "int8": "int8 per channel, 7-bit range (MatMul, Gather)"}


def export_onnx(source: Path, dest: Path, precision: str = "fp32") -> Path:
    """Export the sentence-transformers folder `source` (a BERT encoder, mean pooling, normalised)
    to an ONNX folder of `precision` ("fp32" or "int8") at `dest`; returns `dest`. Never leaves
    `dest` half-written."""
    started = time.perf_counter()
    log.info("exporting %s to %s ONNX in %s (once, about half a minute)", source, precision, dest)
    staging = dest.parent / f".{dest.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        staging.mkdir(parents=True)
        graph = staging / "encoder.onnx"
        if precision == "int8":
            fp32 = staging / "encoder-fp32.onnx"
            # quantised from the unfused graph: the quantiser's int8 attention (QAttention) moved
            # vectors further (min cosine over the letters' sentences 0.963 against 0.976) for no speed
            _export_fp32(source, fp32, fuse=False)
            _quantise(fp32, graph)
            fp32.unlink()
        else:
            _export_fp32(source, graph)
        _save_with_external_weights(graph, staging / GRAPH_FILE)
        graph.unlink()
        shutil.copyfile(source / TOKENIZER_FILE, staging / TOKENIZER_FILE)
        prompts = (_read_json(source / "config_sentence_transformers.json") or {}).get("prompts", {})
        marker = {
            "format": EXPORT_FORMAT,
            "weights": WEIGHTS[precision],
            "opset": OPSET,
            "prompts": prompts,
            "source": source.name,
            "source_marker": read_marker(source),
            "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (staging / MARKER_FILE).write_text(json.dumps(marker, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        move_into_place(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("exported the %s ONNX model in %.1f s", precision, time.perf_counter() - started)
    return dest


def _export_fp32(source: Path, path: Path, *, fuse: bool = True) -> None:
    import torch
    from transformers import AutoModel

    # Eager attention exports as plain MatMul/Softmax, which `_fuse` recognises; the default
    # (SDPA) export's masking pattern (IsNaN/Where) is left unfused.
    attention = {"attn_implementation": "eager"} if fuse else {}
    encoder = AutoModel.from_pretrained(str(source), add_pooling_layer=False, dtype=torch.float32, **attention).eval()

    class Sentence(torch.nn.Module):
        """Encoder, mean pooling over real tokens, L2 normalisation: sentence-transformers' modules."""

        def __init__(self):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    example = (torch.tensor([[0, 6, 2], [0, 2, 1]]), torch.tensor([[1, 1, 1], [1, 1, 0]]))
    dynamic = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "sentence_embedding": {0: "batch"}}
    traced = path.with_name(path.name + ".traced") if fuse else path
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on code paths this fixed graph never takes
        torch.onnx.export(
            Sentence(), example, str(traced), input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
            dynamic_axes=dynamic, opset_version=OPSET, dynamo=False,
        )
    if fuse:
        _fuse(traced, path, heads=encoder.config.num_attention_heads, hidden=encoder.config.hidden_size)
        traced.unlink()


def _fuse(traced: Path, path: Path, *, heads: int, hidden: int) -> None:
    """Fuse attention, embeddings + layer norm and residual + layer norm into ONNX Runtime's kernels.
    Measured on the letters (texts per CPU-second, float32, interleaved): 1.08-1.17x the unfused graph,
    vectors equal to 1e-6."""
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(str(traced), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1)
    if not fused.get_fused_operator_statistics().get("Attention"):
        raise ModelConversionError("ONNX Runtime's optimiser found no attention to fuse in the exported encoder")
    fused.save_model_to_file(str(path))


def _quantise(fp32: Path, path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Chosen by measurement on the letters (cosine to float32, 120 passages, one core):
    #   per tensor, int8, MatMul+Gather      min 0.983  13.2 texts/s per core
    #   per tensor, uint8                    min 0.990  11.5
    #   per channel, int8                    min 0.988  13.0
    #   per channel, 7-bit, MatMul only      min 0.993  13.2  (407 MB: float32 embeddings)
    #   per channel, 7-bit, MatMul+Gather    min 0.995  12.5  (118 MB; this one)
    #   float32 ONNX                         min 1.000   7.9
    # 7-bit weights avoid the overflow of AVX2's u8*s8 instruction on CPUs without VNNI.
    root = logging.getLogger()  # the quantiser logs a line per tensor through the root logger
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(fp32), str(path), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True, op_types_to_quantize=["MatMul", "Gather"],
        )
    finally:
        root.setLevel(level)


def _save_with_external_weights(graph: Path, path: Path) -> None:
    """The graph at `path`, its weights in one file beside it (WEIGHTS_FILE), read by ONNX Runtime by mapping."""
    import onnx

    model = onnx.load(str(graph))
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=WEIGHTS_FILE, size_threshold=1024)
    (path.parent / WEIGHTS_FILE).chmod(0o644)  # onnx writes it private; the model cache is shared


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class OnnxEncoder:
    """Runs an exported folder: tokenizer.json, then the graph; one call per batch."""

    def __init__(self, folder: Path, *, threads: int | None = None):
        import onnxruntime
        from tokenizers import Tokenizer

        marker = _read_json(Path(folder) / MARKER_FILE)
        if marker is None:
            raise ModelConversionError(f"{folder} is not an exported ONNX model folder (no {MARKER_FILE})")
        self.prompts: dict[str, str] = dict(marker.get("prompts") or {})
        self.tokenizer = Tokenizer.from_file(str(Path(folder) / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        pad = self.tokenizer.token_to_id("<pad>")
        self.tokenizer.enable_padding(pad_id=1 if pad is None else pad, pad_token="<pad>")
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # Idle threads sleep instead of spinning: on a machine whose cores are shared, spinning
        # burns CPU that other work needs (measured: 1.07x the texts per CPU-second under load).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(Path(folder) / GRAPH_FILE), options, providers=["CPUExecutionProvider"])
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors of one batch (padded to its longest text)."""
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

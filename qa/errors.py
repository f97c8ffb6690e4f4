"""Any error as one line for the user: what failed and why, never a traceback.

The entry points (the CLI, the chat) report every error through `describe`, so an error kind
is turned into words in this one place, not at each call site. qa's own errors already say
what and why; an operating-system error is named by its file and its reason (the disk is
full, the folder is read-only); anything else is a bug in qa and says so.

>>> describe(FileNotFoundError(2, "No such file or directory", "/tmp/out/report.json"))
'/tmp/out/report.json: No such file or directory'
>>> describe(OSError(28, "No space left on device", "index/letters/a.npz"))
'index/letters/a.npz: No space left on device (the disk is full)'
>>> describe(ValueError("not a date:\\n  2020-13-01"))
'not a date: 2020-13-01'
>>> describe(KeyError("passage_id"))
"unexpected error (KeyError: 'passage_id'); this is a bug in qa"
>>> describe(RuntimeError("Error in faiss::write_index at index_write.cpp:499: write error in /srv/index/dense.faiss: 4051 != 1536000 (No space left on device)"))
'/srv/index/dense.faiss: No space left on device (the disk is full)'
"""

from __future__ import annotations

import errno
import os
import re

_HINTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is mounted read-only",
}


# What libraries say when a file cannot be written or read, without an errno of their own:
# FAISS (a C++ error carrying the system's reason) and numpy (a short write).
_FAISS_IO = re.compile(r"(?:write|read) error in (?P<path>.+?): .*\((?P<reason>[^()]+)\)\s*$", re.DOTALL)
_SHORT_WRITE = re.compile(r"\d+ requested and \d+ written")


def describe(error: BaseException) -> str:
    """`error` as one line of plain words."""
    if isinstance(error, OSError) and error.strerror:
        names = [str(name) for name in (error.filename, error.filename2) if name is not None]
        return _one_line(f"{' -> '.join(names)}: {_reason(error.strerror)}" if names else _reason(error.strerror))
    if isinstance(error, OSError) and _SHORT_WRITE.fullmatch(str(error)):
        return f"a file could not be written whole ({error}); is the disk full?"
    if isinstance(error, RuntimeError) and (io := _FAISS_IO.search(str(error))):
        return _one_line(f"{io['path']}: {_reason(io['reason'])}")
    if isinstance(error, MemoryError):
        return "out of memory"
    if isinstance(error, (ValueError, OSError)) or _is_qa_error(error):
        return _one_line(str(error) or type(error).__name__)
    return _one_line(f"unexpected error ({type(error).__name__}: {error}); this is a bug in qa")


def _reason(strerror: str) -> str:
    """The system's reason, with what it means where that is not plain."""
    hint = next((hint for code, hint in _HINTS.items() if os.strerror(code) == strerror), None)
    return f"{strerror} ({hint})" if hint else strerror


def _is_qa_error(error: BaseException) -> bool:
    """An error class qa defines (its messages are written for the user)."""
    return type(error).__module__.split(".")[0] == "qa"


def _one_line(text: str) -> str:
    return " ".join(text.split())

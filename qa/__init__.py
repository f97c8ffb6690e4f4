"""qa: extractive, cited question answering over UN Security Council letters in Chinese.

    from qa import Engine, Filters
    engine = Engine.open()                               # loads index/, or builds it
    engine.search("执笔方制度", k=5)                      # ranked Hit records with citations
    engine.ask("比利时担任主席期间安理会举行了多少次公开会议？")  # a Response with quoted Answers
"""

from .documents import Letter, Passage, Signatory
from .results import Answer, Hit, Response

__all__ = ["Answer", "Engine", "Filters", "Hit", "Letter", "Passage", "Response", "Settings", "Signatory"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # The engine pulls in torch and sentence-transformers; load them only when asked for,
    # so that `qa corpus` and `qa show` start at once.
    if name in ("Engine", "Filters"):
        from . import engine

        return getattr(engine, name)
    if name == "Settings":
        from .config import Settings

        return Settings
    raise AttributeError(f"module 'qa' has no attribute {name!r}")

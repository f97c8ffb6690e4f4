"""qa: extractive, cited question answering over UN Security Council letters in Chinese."""

from .documents import Letter, Passage, Signatory

__all__ = ["Letter", "Passage", "Signatory"]
__version__ = "0.1.0"

"""Small data sources written by the tests themselves, for the data layer's tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runtime.config.data import DataConfig
from runtime.data.sampler import Sampler


def data(**fields: Any) -> DataConfig:
    return DataConfig.model_validate(fields)


def sampler(steps: int = 100, seq_len: int = 16, **fields: Any) -> Sampler:
    return Sampler(data(**fields), steps, seq_len)


def markov(seed: int = 0, **fields: Any) -> dict[str, Any]:
    """A small Markov language: quick to generate, with ~60k train tokens."""
    return {"kind": "markov", "tokens": 60_000, "document": 256, "alphabet": 16,
            "entropy": 2.0, "seed": seed, **fields}


def write_graded_jsonl(path: Path, n_documents: int = 60) -> Path:
    """Documents whose text is their score, so a window shows where it came from."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(n_documents):
            score = (i * 37) % n_documents
            text = f"<{score:03d}>" * 10
            f.write(json.dumps({"text": text, "quality": score}) + "\n")
    return path

"""Reading the user's data: tokenizers, token files, text files and Hugging Face datasets.

`tokenizers` and `datasets` are optional: they are imported only when a source names a
tokenizer or a dataset, and a source that needs one that is not installed is a clear error.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.data.sources import files

if TYPE_CHECKING:   # numpy is imported where tokens are read: compiling a spec needs none
    import numpy as np

# (document name, text, score or None)
TextDocument = tuple[str, str, float | None]

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def tokenizer_vocab_size(path: str) -> int:
    return _tokenizer(path).get_vocab_size(with_added_tokens=True)


def encode(texts: list[str], tokenizer_json: str) -> list[np.ndarray]:
    """Each text's token ids (join_documents casts them to the split's dtype)."""
    import numpy as np
    return [np.asarray(e.ids) for e in _tokenizer(tokenizer_json).encode_batch(texts)]


def decode(tokens: np.ndarray, tokenizer_json: str | None) -> str:
    import numpy as np
    if tokenizer_json is None:
        return np.asarray(tokens, dtype=np.uint8).tobytes().decode("utf-8", "replace")
    return _tokenizer(tokenizer_json).decode([int(t) for t in tokens])


def _tokenizer(path: str) -> Any:
    found = files.matching_files(path)
    if len(found) != 1:
        raise ValueError(f"{path!r} names {len(found)} files; a tokenizer is one JSON file")
    return _load_tokenizer(str(found[0].resolve()), files.file_digest(found[0]))


@functools.cache
def _load_tokenizer(path: str, digest: str) -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise ValueError("a tokenizer needs the tokenizers package "
                         "(pip install tokenizers)") from None
    try:
        return Tokenizer.from_file(path)
    except Exception as error:  # the library raises bare Exceptions for malformed files
        raise ValueError(f"{path} is not a tokenizers JSON file: {error}") from None


def check_token_file(path: Path, dtype: str) -> None:
    """ValueError unless `path` holds a flat array of token ids."""
    import numpy as np
    if path.suffix == ".npy":
        array = np.load(path, mmap_mode="r")
        if array.ndim != 1 or array.dtype.kind not in "iu":
            raise ValueError(f"{path} holds a {array.ndim}-d {array.dtype} array; token files "
                             "hold one-dimensional integer arrays")
        return
    size, itemsize = path.stat().st_size, np.dtype(dtype).itemsize
    if size == 0 or size % itemsize:
        raise ValueError(f"{path} has {size} bytes, not a whole number of {dtype} tokens")


def token_file(path: Path, dtype: str) -> np.ndarray:
    import numpy as np
    if path.suffix == ".npy":
        return np.load(path, mmap_mode="r")
    return np.memmap(path, dtype=dtype, mode="r")


def text_documents(pattern: str, documents: str, text_field: str,
                   score_field: str | None) -> Iterator[TextDocument]:
    for name, path in files.named_files(pattern):
        if path.suffix == ".jsonl":
            yield from _jsonl_documents(name, path, text_field, score_field)
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if documents == "file":
            pieces = [text]
        elif documents == "paragraph":
            pieces = [p.strip() for p in _PARAGRAPH_BREAK.split(text)]
        else:
            pieces = text.splitlines()
        for index, piece in enumerate(p for p in pieces if p.strip()):
            yield f"{name}#{index}", piece, None


def _jsonl_documents(name: str, path: Path, text_field: str,
                     score_field: str | None) -> Iterator[TextDocument]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{where}: not JSON ({error.msg})") from None
            yield (f"{name}#{number}", _field(record, text_field, str, where),
                   None if score_field is None
                   else float(_field(record, score_field, (int, float), where)))


def _field(record: Any, field: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = record.get(field) if isinstance(record, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{where}: expected a {'string' if kind is str else 'number'} "
                         f"under {field!r}, found {json.dumps(value)[:40]}")
    return value


def check_datasets_installed() -> None:
    try:
        import datasets  # noqa: F401
    except ImportError:
        raise ValueError("huggingface sources need the datasets package "
                         "(pip install datasets)") from None


def dataset_fingerprint(dataset: str, subset: str | None, split: str,
                        val_split: str | None) -> str:
    return "hf:" + ",".join(load_dataset(dataset, subset, s)._fingerprint
                            for s in filter(None, (split, val_split)))


def dataset_documents(dataset: str, subset: str | None, split: str, text_field: str,
                      score_field: str | None) -> Iterator[TextDocument]:
    table = load_dataset(dataset, subset, split)
    where = f"dataset {dataset!r} split {split!r}"
    for column in filter(None, (text_field, score_field)):
        if column not in table.column_names:
            raise ValueError(f"{where} has no column {column!r} "
                             f"(it has {', '.join(table.column_names)})")
    texts = table[text_field]
    scores = table[score_field] if score_field else [None] * len(texts)
    for index, (text, score) in enumerate(zip(texts, scores)):
        yield f"{split}:{index}", text, score


@functools.cache
def load_dataset(dataset: str, subset: str | None, split: str) -> Any:
    """A split of a dataset from the local cache, or a `save_to_disk` directory; never
    from the network."""
    os.environ["HF_HUB_OFFLINE"] = os.environ["HF_DATASETS_OFFLINE"] = "1"
    import datasets
    import huggingface_hub.constants

    # The libraries read those variables once, when first imported: if something imported
    # them earlier, their flags are set here too.
    datasets.config.HF_HUB_OFFLINE = huggingface_hub.constants.HF_HUB_OFFLINE = True

    where = f"dataset {dataset!r}" + (f" (subset {subset!r})" if subset else "")
    try:
        local = files.expand(dataset)
        if (local / "dataset_dict.json").exists() or (local / "state.json").exists():
            loaded = datasets.load_from_disk(str(local))
            return loaded[split] if isinstance(loaded, datasets.DatasetDict) else loaded
        return datasets.load_dataset(dataset, subset, split=split)
    except KeyError:
        raise ValueError(f"{where} has no split {split!r}") from None
    except Exception as error:  # the library's errors for a missing dataset vary by version
        raise ValueError(f"{where}, split {split!r}, is not available offline (claimlab never "
                         "downloads: cache it once with datasets.load_dataset, or name a "
                         f"save_to_disk directory): {type(error).__name__}: "
                         f"{str(error).splitlines()[0][:200]}") from None

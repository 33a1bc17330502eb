"""The configs of sources that read the user's data: token files, text files and Hugging
Face datasets. Each is pinned to its data by a fingerprint (see configs.py)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from runtime.config.base import PositiveInt
from runtime.data.sources import files, user
from runtime.data.sources.draws import BYTES, TOKEN_IDS, Draws

# Fields that text and Hugging Face sources share, described once here.
TextField = Annotated[str, Field(
    description="the key (a .jsonl record's, or a dataset's column) that holds a document's text")]
ScoreField = Annotated[str | None, Field(
    description="the key that holds a document's score, which `order: ascending` and "
                "`descending` sort by; none: the documents are unscored")]


class _Pinned(Draws):
    """A source of the user's data: text tokenised as bytes or with a `tokenizer` JSON
    file, pinned to the data's contents by `fingerprint`."""

    tokenizer: str | None = None
    """a tokenizers JSON file that encodes the text; none: UTF-8 bytes"""
    fingerprint: str | None = None
    """a digest of the data's contents, filled in when the spec compiles: leave it out"""

    @field_validator("tokenizer")
    @classmethod
    def _tokenizer_loads(cls, path: str | None) -> str | None:
        if path is not None:
            user.tokenizer_vocab_size(path)
        return path

    @property
    def tokenizer_json(self) -> str | None:
        return self.tokenizer

    @property
    def vocabulary(self) -> int:
        return BYTES if self.tokenizer is None else user.tokenizer_vocab_size(self.tokenizer)

    @abstractmethod
    def _current_fingerprint(self) -> str:
        """A digest of the data as it is now."""

    @model_validator(mode="after")
    def _fingerprint_matches(self) -> _Pinned:
        current = self._current_fingerprint()
        if self.fingerprint is None:
            # Not a field the spec sets: kept out of `model_fields_set`, so a sweep that
            # changes the data fingerprints the new data.
            object.__setattr__(self, "fingerprint", current)
        elif self.fingerprint != current:
            raise ValueError(f"the data changed since this run was planned (fingerprint "
                             f"{self.fingerprint}, now {current}); compile the spec again")
        return self


class _Files(_Pinned):
    path: str
    """a file or glob (`data/**/*.txt`), relative to the directory claimlab runs in"""

    @field_validator("path")
    @classmethod
    def _path_names_files(cls, path: str) -> str:
        files.matching_files(path)
        return path

    def _current_fingerprint(self) -> str:
        return files.fingerprint(self.path, self.tokenizer)


class TokenFileSource(_Files):
    """Token ids the user has already made: flat `.bin` files of `dtype` (as nanoGPT writes
    them) or one-dimensional `.npy` arrays. Validation is `val_path` when given, else the
    last `val_fraction` of each split's tokens. `tokenizer`, when given, decodes samples and
    measures bits per byte."""

    kind: Literal["tokens"]
    """token ids the user has made, in `.bin` or `.npy` files"""
    val_path: str | None = None
    """a file or glob of validation tokens; none: the last `val_fraction` of each file"""
    dtype: Literal["uint16", "uint32"] = "uint16"
    """the integer type of a `.bin` file's token ids"""
    vocab_size: PositiveInt
    """how many token ids the files use (each id is below it); model.vocab must cover it"""

    @field_validator("val_path")
    @classmethod
    def _val_path_names_files(cls, path: str | None) -> str | None:
        if path is not None:
            files.matching_files(path)
        return path

    @model_validator(mode="after")
    def _files_hold_tokens(self) -> TokenFileSource:
        for pattern in filter(None, (self.path, self.val_path)):
            for path in files.matching_files(pattern):
                user.check_token_file(path, self.dtype)
        tokenizer_ids = user.tokenizer_vocab_size(self.tokenizer) if self.tokenizer else 0
        if tokenizer_ids > self.vocab_size:
            raise ValueError(f"the tokenizer has {tokenizer_ids} ids, more than vocab_size "
                             f"{self.vocab_size}")
        return self

    @property
    def vocabulary(self) -> int:
        return self.vocab_size

    @property
    def tokenization(self) -> str:
        return self.tokenizer or TOKEN_IDS

    def _current_fingerprint(self) -> str:
        return files.fingerprint(self.path, self.val_path, self.tokenizer)


class TextSource(_Files):
    """Text files, tokenised as bytes or with `tokenizer`. A `.jsonl` file holds one
    document per line, its text under `text_field` and, optionally, a score under
    `score_field`; other files are split into documents by `documents`."""

    kind: Literal["text"]
    """text files, tokenised as bytes or with `tokenizer`"""
    documents: Literal["file", "paragraph", "line"] = "file"
    """what one document is in a file that is not `.jsonl`: the whole file, each paragraph
    (text between blank lines) or each line"""
    text_field: TextField = "text"
    score_field: ScoreField = None

    @property
    def scored(self) -> bool:
        return self.score_field is not None

    @model_validator(mode="after")
    def _scores_need_jsonl(self) -> TextSource:
        if self.score_field is not None and not all(
                p.suffix == ".jsonl" for p in files.matching_files(self.path)):
            raise ValueError("score_field reads .jsonl files; every file of path must be one")
        return self


class HuggingFaceSource(_Pinned):
    """A Hugging Face dataset already in the local cache (or saved with `save_to_disk`):
    nothing is downloaded. Validation is `val_split` when given, else documents of `split`
    held out by hash like every other source."""

    kind: Literal["huggingface"]
    """a Hugging Face dataset from the local cache, never downloaded"""
    dataset: str
    """the dataset's name in the local cache, or a `save_to_disk` directory"""
    subset: str | None = None
    """the dataset's configuration (subset) name, if it has several"""
    split: str = "train"
    """the split trained on"""
    val_split: str | None = None
    """the split held out for validation; none: documents of `split` held out by hash"""
    text_field: TextField = "text"
    score_field: ScoreField = None

    @property
    def scored(self) -> bool:
        return self.score_field is not None

    @field_validator("dataset")
    @classmethod
    def _datasets_is_installed(cls, dataset: str) -> str:
        user.check_datasets_installed()
        return dataset

    def _current_fingerprint(self) -> str:
        tokenizer = files.fingerprint(self.tokenizer) if self.tokenizer else ""
        return user.dataset_fingerprint(self.dataset, self.subset, self.split,
                                        self.val_split) + tokenizer

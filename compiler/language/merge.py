"""Deep merge of spec documents, placements included: what `extends`, profiles and `--set` do.

Mappings merge key by key and the later document wins; anything else (a list, a number, a
string) replaces what was there whole; `null` removes the key, as in JSON Merge Patch
(RFC 7396), so an overlay can drop a sweep axis or a section that a fragment set. Each merged
value keeps the placement of the document that wrote it, so an error in a value that came
from a fragment points into the fragment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compiler.language.locations import Placement, SourceMap, YamlPath
from compiler.language.yaml_source import Document


def merge(base: Document, overlay: Document) -> Document:
    """`overlay` merged over `base`; the root keeps `base`'s placement."""
    placements = dict(base.source.placements)
    data = _merge(base.data, overlay.data, (), placements, overlay.source.placements)
    return Document(data, SourceMap(placements))


def replace_at(document: Document, path: YamlPath, value: Document,
               key: Placement) -> Document:
    """`document` with `value` put at `path` (whose key was written at `key`), creating the
    mappings on the way; a `null` value removes the key. `path` may step into lists."""
    placements = dict(document.source.placements)
    _drop(placements, path)
    if value.data is not None:
        placements.update({(*path, *inner): placement
                           for inner, placement in value.source.placements.items()})
        placements[path] = Placement(key.key, value.source.placements[()].value)
    return Document(_put(document.data, path, value.data), SourceMap(placements))


def _merge(data: Any, value: Any, path: YamlPath, placements: dict[YamlPath, Placement],
           overlay: Mapping[YamlPath, Placement]) -> Any:
    if not isinstance(value, Mapping):
        _drop(placements, path)
        placements.update((p, placement) for p, placement in overlay.items()
                          if p[:len(path)] == path)
        return value
    if not isinstance(data, Mapping):
        _drop(placements, path)
        data = {}
    if path and path in overlay:
        placements[path] = overlay[path]
    result = dict(data)
    for key, item in value.items():
        child = (*path, key)
        if item is None:
            result.pop(key, None)
            _drop(placements, child)
        else:
            result[key] = _merge(data.get(key), item, child, placements, overlay)
    return result


def _put(data: Any, path: YamlPath, value: Any) -> Any:
    head, rest = path[0], path[1:]
    if isinstance(data, list) and isinstance(head, int) and 0 <= head < len(data):
        result: Any = list(data)
    elif isinstance(data, Mapping) and isinstance(head, str):
        result = dict(data)
    else:
        result = {}   # apply_sets has checked that the list items on the way exist
    inner = result.get(head) if isinstance(result, dict) else result[head]
    new = _put(inner, rest, value) if rest else value
    if new is None and isinstance(result, dict):
        result.pop(head, None)
    else:
        result[head] = new
    return result


def _drop(placements: dict[YamlPath, Placement], path: YamlPath) -> None:
    for stale in [p for p in placements if p[:len(path)] == path]:
        del placements[stale]

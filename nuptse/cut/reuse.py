"""When earlier feature-extraction output may be reused, and when it must not.

A rerun of feature extraction reuses what an earlier run wrote (finished
shards, or the lines of a manifest being resumed). That is only right when
the output would be the same: the same cut content (not just the same ids),
the same extractor configuration and the same storage. This module computes
the fingerprints that decide it, and refuses a resume with an error naming the
first mismatch instead of returning stale features.

It also knows which feature writers can continue an existing archive; for the
others a resume starts over without ever publishing the earlier partial
manifest under the final name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Optional

logger = logging.getLogger(__name__)

#: writers whose existing data survives opening them again, with the arguments that do so
APPENDABLE_WRITERS = {
    "lilcom_chunky": {"mode": "ab"},
    "lilcom_files": {},
    "numpy_files": {},
    "lilcom_url": {},
    "memory_lilcom": {},
    "memory_raw": {},
    "memory_npy": {},
}


class StaleResultError(ValueError):
    """Earlier output does not match the current inputs, so it cannot be reused."""


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=repr).encode()


def cut_fingerprint(cut_dict: dict) -> str:
    """A digest of everything in a cut that decides its features (not the features field)."""
    content = {k: v for k, v in cut_dict.items() if k != "features"}
    return hashlib.sha1(_canonical(content)).hexdigest()


def _describe(fn: Any) -> Any:
    if fn is None:
        return None
    if hasattr(fn, "to_dict"):
        try:
            return fn.to_dict()
        except Exception:  # noqa: BLE001 - a description only
            pass
    return f"{type(fn).__module__}.{getattr(fn, '__qualname__', type(fn).__qualname__)}"


def run_config(extractor, writer_cls, augment_fn=None, mix_eagerly: bool = True) -> dict:
    """What, besides the cuts, decides a run's output."""
    return {
        "extractor": extractor.to_dict(),
        "storage_type": getattr(writer_cls, "name", str(writer_cls)),
        "augment_fn": _describe(augment_fn),
        "mix_eagerly": bool(mix_eagerly),
    }


def shard_digest(cut_dicts: Iterable[dict], config: dict) -> str:
    """Names a shard by its cuts' full content and the run config."""
    h = hashlib.sha1()
    for d in cut_dicts:
        h.update(_canonical(d))
        h.update(b"\0")
    h.update(_canonical(config))
    return h.hexdigest()[:10]


def _config_path(manifest_path: Any) -> str:
    return f"{os.fspath(manifest_path)}.run.json"


def _salvaged_bytes(path: str) -> bytes:
    """A file's content; for gzip every byte that decompresses, even from a cut-off stream."""
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(b"\x1f\x8b"):  # not gzip (a ``.partial`` name hides the suffix)
        return raw
    out = bytearray()
    while raw:
        d = zlib.decompressobj(wbits=31)
        try:
            out += d.decompress(raw)
        except zlib.error:
            break
        if not d.eof:
            break
        raw = d.unused_data
    return bytes(out)


def _read_lines(path: str) -> Iterator[dict]:
    """Parsed lines of a manifest being resumed; a line a crash cut off ends the file."""
    for line in _salvaged_bytes(path).splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            return
        if isinstance(item, dict):
            yield item


class ResumeGuard:
    """Checks a manifest being resumed against the current run.

    ``ResumeGuard(manifest_path, config, storage_path)`` reads what an earlier
    run recorded (its ``<manifest>.run.json`` and the cut lines already
    written). :meth:`check_config` raises :class:`StaleResultError` if the
    extractor or storage differ; :meth:`check_cut` raises if a cut that will be
    skipped changed since it was written.
    """

    def __init__(self, manifest_path: Any, config: dict, storage_path: Any) -> None:
        self.manifest_path = os.fspath(manifest_path)
        self.config = dict(config, storage_path=os.fspath(storage_path))
        partial = self.manifest_path + ".partial"
        self.source: Optional[str] = None
        for candidate in (partial, self.manifest_path):
            if os.path.exists(candidate):
                self.source = candidate
                break
        self.stored: dict[str, str] = {}
        self.features: Optional[dict] = None
        if self.source is not None:
            for item in _read_lines(self.source):
                if "id" not in item:
                    raise StaleResultError(
                        f"{self.source}: a line without an 'id' field; it is not a cut manifest "
                        "this run can resume (pass overwrite=True to start over)"
                    )
                self.stored[item["id"]] = cut_fingerprint(item)
                if self.features is None and isinstance(item.get("features"), dict):
                    self.features = item["features"]

    @property
    def has_earlier_output(self) -> bool:
        return bool(self.stored)

    def check_config(self) -> None:
        where = self.source or self.manifest_path
        cfg_path = _config_path(self.manifest_path)
        if os.path.exists(cfg_path):
            with open(cfg_path, "rb") as f:
                earlier = json.loads(f.read())
            for key in sorted(set(earlier) | set(self.config)):
                if earlier.get(key) != self.config.get(key):
                    raise StaleResultError(
                        f"{where} was written with {key}={earlier.get(key)!r}, but this run has "
                        f"{key}={self.config.get(key)!r}; its features would be stale. Pass "
                        "overwrite=True (or another manifest_path) to compute them again."
                    )
        feats = self.features
        if feats is None:
            return
        extractor = self.config["extractor"]
        checks = {
            "type": extractor.get("feature_type"),
            "storage_type": self.config["storage_type"],
        }
        for field, now in checks.items():
            if now is not None and feats.get(field) is not None and feats.get(field) != now:
                raise StaleResultError(
                    f"{where} holds features with {field}={feats.get(field)!r}, but this run "
                    f"has {field}={now!r}; its features would be stale. Pass overwrite=True "
                    "(or another manifest_path) to compute them again."
                )

    def check_cut(self, cut_dict: dict) -> None:
        cid = cut_dict.get("id")
        stored = self.stored.get(cid)
        if stored is not None and stored != cut_fingerprint(cut_dict):
            raise StaleResultError(
                f"cut {cid!r} differs from the one whose features {self.source} already holds "
                "(same id, different content); pass overwrite=True to compute them again"
            )

    def record_config(self) -> None:
        """Write ``<manifest>.run.json`` for a later resume to check against."""
        path = _config_path(self.manifest_path)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(_canonical(self.config))
        os.replace(tmp, path)

    def discard_earlier_output(self) -> None:
        """Remove a final manifest whose data the writer is about to truncate.

        Call it once the new writer is open (holding the path's lock and having
        restarted the ``.partial`` file).
        """
        if os.path.exists(self.manifest_path):
            if self.stored:
                logger.warning("%s: discarded; its cuts are computed again", self.manifest_path)
            os.unlink(self.manifest_path)
        self.stored = {}


def discard_manifest_on_storage(manifest_path: Any, storage_path: Any) -> None:
    """Remove a published manifest whose features live in ``storage_path``.

    Called before a run that truncates ``storage_path``: if that run is killed,
    the old manifest would otherwise stay published, pointing at deleted data.
    A manifest whose features are stored elsewhere is left alone.
    """
    path = os.fspath(manifest_path)
    if not os.path.exists(path):
        return
    first = next(_read_lines(path), None)
    feats = first.get("features") if isinstance(first, dict) else None
    stored = feats.get("storage_path") if isinstance(feats, dict) else None
    if not isinstance(stored, str) or not stored:
        return
    target = os.path.realpath(os.fspath(storage_path))
    if os.path.realpath(stored).startswith(target):
        logger.warning("%s: removed; its features in %s are being overwritten", path, stored)
        os.unlink(path)

"""Array shards: each item is a ``.llc`` (lilcom) or ``.npy`` member plus its manifest."""

from __future__ import annotations

from io import BytesIO
from typing import Any, Optional

import numpy as np

from nuptse.shar.errors import SharError
from nuptse.shar.utils import manifest_json_bytes, to_shar_placeholder
from nuptse.shar.writers.tar import FieldTarWriter, TarWriter

ARRAY_COMPRESSIONS = ("lilcom", "numpy")


def encode_array(value: np.ndarray, compression: str, tick_power: int = -5) -> tuple[bytes, str]:
    """``(bytes, extension)`` of ``value`` stored with ``compression``."""
    if compression == "lilcom":
        if not np.issubdtype(value.dtype, np.floating):
            raise SharError(
                f"lilcom compresses floating-point arrays only, got dtype {value.dtype}; use "
                "'numpy' for this field"
            )
        import lilcom

        # lilcom quantizes its input in place: give it a private copy.
        buf = np.array(value, dtype=np.float32, order="C", copy=True)
        if not np.isfinite(buf).all():
            raise SharError("lilcom cannot store NaN or infinite values; use 'numpy'")
        return lilcom.compress(buf, tick_power=tick_power), ".llc"
    out = BytesIO()
    np.save(out, np.asarray(value), allow_pickle=False)
    return out.getvalue(), ".npy"


class ArrayTarWriter(FieldTarWriter):
    """Write numpy arrays (lilcom-compressed or as ``.npy``) into tar shards.

    Each :meth:`write` adds ``<key>.llc`` or ``<key>.npy`` followed by
    ``<key>.json``, the Features/Array manifest with a ``"shar"`` storage
    placeholder.  lilcom suits log-domain features (error <= 2**(tick_power-1)).

    >>> import tempfile, os, numpy as np
    >>> from nuptse.cut import Array
    >>> d = tempfile.mkdtemp()
    >>> a = Array(storage_type="memory_npy", storage_path="", storage_key=b"", shape=[2])
    >>> with ArrayTarWriter(os.path.join(d, "x.%06d.tar"), shard_size=5) as w:
    ...     w.write("k", np.ones(2, dtype=np.float32), a)
    >>> os.listdir(d)
    ['x.000000.tar']
    """

    def __init__(
        self,
        pattern: Any,
        shard_size: Optional[int] = 1000,
        compression: str = "numpy",
        lilcom_tick_power: int = -5,
        shard_offset: int = 0,
    ):
        if compression not in ARRAY_COMPRESSIONS:
            raise SharError(
                f"unknown array compression {compression!r}; expected one of {ARRAY_COMPRESSIONS}",
                shard=pattern,
            )
        self.compression = compression
        self.lilcom_tick_power = lilcom_tick_power
        self.tar_writer = TarWriter(pattern, shard_size, shard_offset=shard_offset)

    def write(self, key: str, value: np.ndarray, manifest: Any) -> None:
        """Store ``value`` with its manifest (Features, Array or TemporalArray)."""
        if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
            value = value.numpy()
        try:
            data, ext = encode_array(np.asarray(value), self.compression, self.lilcom_tick_power)
        except SharError as e:
            raise SharError(e.reason, shard=self.tar_writer.pattern, member=key) from None
        self.write_encoded(key, data, ext, manifest)

    def write_encoded(self, key: str, data: bytes, ext: str, manifest: Any) -> None:
        """Store already-encoded ``.llc``/``.npy`` bytes with ``manifest``."""
        self.tar_writer.write(f"{key}{ext}", data)
        placeholder = to_shar_placeholder(manifest)
        self.tar_writer.write(f"{key}.json", manifest_json_bytes(placeholder), count=False)

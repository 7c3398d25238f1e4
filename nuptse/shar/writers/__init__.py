"""Shar writers: tar shards, audio/array/JSON-lines fields and the combined SharWriter."""

from nuptse.shar.writers.array import ArrayTarWriter
from nuptse.shar.writers.audio import AudioTarWriter
from nuptse.shar.writers.jsonl import JsonlShardWriter
from nuptse.shar.writers.shar import SharWriter, resolve_writer
from nuptse.shar.writers.tar import TarWriter

__all__ = [
    "ArrayTarWriter",
    "AudioTarWriter",
    "JsonlShardWriter",
    "SharWriter",
    "TarWriter",
    "resolve_writer",
]

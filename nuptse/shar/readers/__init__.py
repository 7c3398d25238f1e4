"""Shar readers: validating tar iteration and the lazy shard-by-shard cut iterator."""

from nuptse.shar.readers.lazy import LazySharIterator, discover_shards
from nuptse.shar.readers.tar import TarIterator, iter_tar_members

__all__ = ["LazySharIterator", "TarIterator", "discover_shards", "iter_tar_members"]

"""nuptse: speech data preparation for PyTorch."""

__version__ = "0.1.0"

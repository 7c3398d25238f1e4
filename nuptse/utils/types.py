"""Type aliases and numeric constants of :mod:`nuptse.utils`."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TypeVar, Union

logger = logging.getLogger(__name__)

Pathlike = Union[Path, str]
T = TypeVar("T")
Decibels = float

#: Magnitude of the most negative 16-bit sample; divides int16 PCM into [-1, 1).
INT16MAX = 32768
#: Floor added before taking logs of energies.
EPSILON = 1e-10
LOG_EPSILON = math.log(EPSILON)
#: Value that custom arrays are padded with.
DEFAULT_PADDING_VALUE = 0

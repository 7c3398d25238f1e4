"""Corpus preparation recipes: turn a corpus folder into manifests.

Each ``prepare_<corpus>`` reads a corpus in its published layout and returns
(and, with ``output_dir``, writes) the same manifests as lhotse's recipe of
the same name; ``download_<corpus>`` fetches and unpacks it where it has a
public URL.  Heavy imports happen inside the functions, so importing this
package is cheap.

>>> from nuptse.recipes import prepare_librispeech, prepare_musan
"""

from nuptse.recipes.aishell import download_aishell, prepare_aishell
from nuptse.recipes.ami import download_ami, prepare_ami
from nuptse.recipes.commonvoice import download_commonvoice, prepare_commonvoice
from nuptse.recipes.librispeech import download_librispeech, prepare_librispeech
from nuptse.recipes.ljspeech import download_ljspeech, prepare_ljspeech
from nuptse.recipes.musan import download_musan, prepare_musan
from nuptse.recipes.tedlium import download_tedlium, prepare_tedlium
from nuptse.recipes.timit import download_timit, prepare_timit
from nuptse.recipes.voxceleb import download_voxceleb1, download_voxceleb2, prepare_voxceleb
from nuptse.recipes.yesno import download_yesno, prepare_yesno

__all__ = [
    "download_aishell",
    "download_ami",
    "download_commonvoice",
    "download_librispeech",
    "download_ljspeech",
    "download_musan",
    "download_tedlium",
    "download_timit",
    "download_voxceleb1",
    "download_voxceleb2",
    "download_yesno",
    "prepare_aishell",
    "prepare_ami",
    "prepare_commonvoice",
    "prepare_librispeech",
    "prepare_ljspeech",
    "prepare_musan",
    "prepare_tedlium",
    "prepare_timit",
    "prepare_voxceleb",
    "prepare_yesno",
]

"""Build of nuptse's one optional C extension; everything else is in pyproject.toml.

``nuptse.features.kaldi._native`` holds three fused loops of the Kaldi
layers' short path.  It is optional: where no C compiler is found the build goes on
without it and the layers use torch ops, with the same results.
"""

import sys

from setuptools import Extension, setup

# No floating-point contraction: the loops must round as torch's ops do.
if sys.platform == "win32":
    flags = ["/O2", "/fp:precise"]
else:
    flags = ["-O3", "-ffp-contract=off", "-fno-math-errno"]

setup(
    ext_modules=[
        Extension(
            "nuptse.features.kaldi._native",
            sources=["nuptse/features/kaldi/_native.c"],
            extra_compile_args=flags,
            optional=True,
        )
    ]
)

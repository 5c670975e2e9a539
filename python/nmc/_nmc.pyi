# Types of the native half of the package (python/src/lib.rs). The public
# API is `nmc` itself (nmc/__init__.py, annotated); these functions hand
# back plain dicts that it wraps.
from typing import Callable, Optional

import numpy as np

__version__: str

# A diagnostic: (JSON object as `nmc check --format json` prints it, rendered text).
_Diag = tuple[str, str]

def run(
    path: str,
    threads: int,
    exact: bool,
    math: str,
    templates: Optional[str],
    mechanisms: Optional[str],
    output_dir: Optional[str],
    progress: Optional[Callable[[float, float, float], None]],
) -> dict: ...
def check(paths: list[str]) -> list[_Diag]: ...
def compile(paths: list[str]) -> dict: ...
def analyze(
    path: Optional[str],
    columns: Optional[tuple[list[str], list[int], list[int], list[float]]],
    config: Optional[str],
    network: Optional[str],
    group_by: str,
    bin: float,
    smooth: float,
    figures: Optional[str],
) -> dict: ...
def read_spikes(path: str) -> dict: ...

"""mkdocs hook: the figures of ``benchmarks/results`` become part of the site.

Every ``benchmarks/results/**/*.png`` is added to the site's files under the same path
(``benchmarks/results/learning_quick/success.png``), so that a page links it as
``benchmarks/results/learning_quick/success.png`` without a copy in ``docs/``, and
``mkdocs build --strict`` checks the link.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

RESULTS = "benchmarks/results"


def on_files(files: Files, config: Any, **kwargs: Any) -> Files:
    """mkdocs event: add the result figures to the files of the site."""
    root = Path(config["config_file_path"]).parent
    for path in sorted((root / RESULTS).rglob("*.png")):
        uri = path.relative_to(root).as_posix()
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files

"""The README and the documentation site stay consistent with the repository.

Fast checks, no site build: the README's results table is the benchmark's own table, its
relative links point at files, every page is in the site's navigation, the section numbers
that docstrings cite exist, and the hook that generates option tables renders parsers.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
RESULTS_BLOCK = re.compile(r"<!-- results: (\w+) -->\n(.*?)\n<!-- /results -->", re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _mkdocs_config() -> dict[str, Any]:
    class Loader(yaml.SafeLoader):
        pass

    # mkdocs' own tags (``!relative $config_dir``) are plain strings here.
    Loader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_scalar(node))
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)


def _nav_pages(nav: Any) -> set[str]:
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, list):
        return set().union(*(_nav_pages(item) for item in nav))
    if isinstance(nav, dict):
        return set().union(*(_nav_pages(value) for value in nav.values()))
    return set()


def _options_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_options_hook", DOCS / "hooks/options.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _summary(table_md: Path) -> str:
    """The first two blocks of a benchmark's table.md: its header line and main table."""
    blocks = table_md.read_text(encoding="utf-8").split("\n\n")
    return "\n\n".join(blocks[:2]).strip("\n")


def test_readme_results_block_is_the_benchmark_table() -> None:
    blocks = RESULTS_BLOCK.findall(_readme())
    assert blocks, "README.md has no <!-- results: NAME --> ... <!-- /results --> block"
    for name, content in blocks:
        table_md = ROOT / "benchmarks/results" / name / "table.md"
        assert table_md.is_file(), f"README.md: results block {name!r} has no {table_md}"
        assert content.strip("\n") == _summary(table_md), (
            f"README.md: the results block {name!r} differs from the header line and first "
            f"table of {table_md.relative_to(ROOT)}; copy them again"
        )


def test_readme_keeps_the_two_commands() -> None:
    text = _readme()
    for command in (
        "pip install . && python -m ctpg.train --preset quick",
        'pip install ".[test]" && python -m pytest',
        'pip install ".[docs]" && mkdocs serve',
    ):
        assert f"```bash\n{command}\n```" in text, f"README.md: missing fenced command {command}"


def test_readme_relative_links_exist() -> None:
    for target in LINK.findall(_readme()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = ROOT / target.split("#")[0]
        assert path.exists(), f"README.md links to {target}, which does not exist"


def test_every_page_is_in_the_nav() -> None:
    config = _mkdocs_config()
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    in_nav = _nav_pages(config["nav"])
    assert pages - in_nav == set(), f"pages missing from the nav of mkdocs.yml: {pages - in_nav}"
    assert in_nav - pages == set(), f"nav entries without a page: {in_nav - pages}"


def test_snippets_point_at_files() -> None:
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r'^--8<-- "([^"]+)"$', page.read_text(encoding="utf-8"), re.M):
            assert (ROOT / target).is_file(), f"{page.name}: snippet {target} does not exist"


def test_no_hand_written_test_counts() -> None:
    for path in [README, *DOCS.rglob("*.md")]:
        text = path.read_text(encoding="utf-8")
        found = re.findall(r"\b\d+ (?:passed|failed|skipped)\b", text)
        assert not found, f"{path.relative_to(ROOT)}: test counts go stale: {found}"


def test_algorithm_section_numbers() -> None:
    """Docstrings cite "docs/algorithm.md, section 3.3" and the like."""
    headings = re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", (DOCS / "algorithm.md").read_text(), re.M)
    assert headings == ["1", "2", "3", "3.1", "3.2", "3.3", "3.4", "3.5", "4", "5"]


def _toy_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="toy")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run <dir>")
    p.add_argument("--mode", choices=("a", "b"), help="a | b, default %(default)s", default="a")
    p.add_argument("--widths", nargs="+", type=int, metavar="W", help="RUN_DIR/*_x widths")
    p.add_argument("--out", required=True, help="where")
    p.add_argument("--flag", action="store_true", help="a switch")
    p.add_argument("--hidden", help=argparse.SUPPRESS)
    return p


def test_options_hook_renders_a_parser() -> None:
    hook = _options_hook()
    lines = hook.parser_table(_toy_parser()).splitlines()
    assert lines[0] == "| option | value | default | meaning |"
    assert lines[1] == "| --- | --- | --- | --- |"
    rows = {line.split(" | ")[0][2:]: line for line in lines[2:]}
    assert set(rows) == {"`RUN_DIR`", "`--mode`", "`--widths`", "`--out`", "`--flag`"}
    assert rows["`RUN_DIR`"] == "| `RUN_DIR` |  |  | a run &lt;dir&gt; |"
    assert rows["`--mode`"] == r"| `--mode` | `{a,b}` | `a` | a \| b, default a |"
    assert rows["`--widths`"] == r"| `--widths` | `W [W ...]` |  | RUN\_DIR/\*\_x widths |"
    assert rows["`--out`"] == "| `--out` | `OUT` |  | required; where |"
    assert rows["`--flag`"] == "| `--flag` |  |  | a switch |"


def test_options_hook_renders_subcommands() -> None:
    hook = _options_hook()
    p = argparse.ArgumentParser(prog="tool")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("sweep", help="a grid of runs")
    sub.add_parser("plot", help="figures")
    table = hook.parser_table(p)
    assert "| `sweep` |  | a grid of runs |" in table
    assert "| `plot` |  | figures |" in table


def test_options_placeholders_name_known_commands() -> None:
    hook = _options_hook()
    for page in DOCS.rglob("*.md"):
        for command in hook.PLACEHOLDER.findall(page.read_text(encoding="utf-8")):
            assert command in hook.PARSERS, f"{page.name}: unknown options placeholder {command}"


def test_options_hook_finds_the_train_parser() -> None:
    pytest.importorskip("ctpg")
    hook = _options_hook()
    table = hook.options_table("train")
    assert "`--preset`" in table and "`--sharing`" in table
    assert hook.replace_placeholders("a\n<!-- options: train -->\nb") == f"a\n{table}\nb"
    with pytest.raises(ValueError, match="unknown command"):
        hook.load_parser("no-such-command")

"""mkdocs hook: option tables generated from the command line's argparse parsers.

A page writes a placeholder such as ``<!-- options: train -->`` where the table of a
command's options belongs; at build time the placeholder is replaced by a markdown table
rendered from that command's ``argparse.ArgumentParser`` (option strings, value or choices,
default, help text), so that the table cannot drift from the parser. The renderer,
``parser_table``, works for any parser: it walks ``parser._actions``.

The package must be importable while the site builds (``pip install .`` or, from a
checkout with the extension built, ``PYTHONPATH=python mkdocs build``).
"""

from __future__ import annotations

import argparse
import html
import importlib
import re
from collections.abc import Callable
from typing import Any

PLACEHOLDER = re.compile(r"<!--\s*options:\s*([\w-]+)\s*-->")

# ----------------------------------------------------------------------------------------
# WHERE THE PARSERS COME FROM: the only place that names the command line's modules.
# For each command, the first "module:function" that imports is used, so both the package
# layout (ctpg.cli.train, ...) and the single-module one (ctpg.cli) work.
PARSERS: dict[str, tuple[str, ...]] = {
    "train": ("ctpg.cli.train:build_parser", "ctpg.cli:build_parser"),
    "export": ("ctpg.cli.export:build_parser", "ctpg.cli:build_export_parser"),
    "sweep": ("ctpg.cli.sweep:build_parser", "ctpg.sweep:build_parser"),
}


def load_parser(command: str) -> argparse.ArgumentParser:
    """The ``argparse`` parser of ``command`` (a key of ``PARSERS``)."""
    if command not in PARSERS:
        raise ValueError(f"options: unknown command {command!r}; known: {sorted(PARSERS)}")
    errors = []
    for candidate in PARSERS[command]:
        module_name, _, function_name = candidate.partition(":")
        try:
            build: Callable[[], argparse.ArgumentParser] = getattr(
                importlib.import_module(module_name), function_name
            )
        except (ImportError, AttributeError) as error:
            errors.append(f"{candidate}: {error}")
            continue
        return build()
    raise ImportError(
        f"options: no parser for {command!r} could be imported ({'; '.join(errors)}); "
        "install the package (pip install .) or build with PYTHONPATH=python"
    )


# ----------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """``text`` as the content of one markdown table cell (no markup, no HTML)."""
    text = html.escape(" ".join(text.split()), quote=False)
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", text)


def _code(text: str) -> str:
    """``text`` as inline code inside a table cell."""
    return "`" + text.replace("|", "\\|") + "`"


def _value(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if action.nargs == 0:
        return ""
    formatter = parser._get_formatter()
    default_metavar = action.dest if not action.option_strings else action.dest.upper()
    return formatter._format_args(action, default_metavar)


def _default(action: argparse.Action) -> str:
    value: Any = action.default
    if value is None or value is False or value == argparse.SUPPRESS or action.nargs == 0:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if not action.help:
        return ""
    return parser._get_formatter()._expand_help(action)


def _rows(parser: argparse.ArgumentParser) -> list[tuple[str, str, str, str]]:
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name in action.choices:
                rows.append((_code(name), "", "", _cell(helps.get(name, ""))))
            continue
        name = ", ".join(action.option_strings) or str(action.metavar or action.dest)
        value = _value(parser, action)
        if value == name:  # a positional argument names its own value
            value = ""
        meaning = _cell(_help(parser, action))
        if action.required and action.option_strings:
            meaning = "required" + ("; " + meaning if meaning else "")
        default = _default(action)
        rows.append(
            (_code(name), _code(value) if value else "", _code(default) if default else "", meaning)
        )
    return rows


def parser_table(parser: argparse.ArgumentParser) -> str:
    """A markdown table of every option and positional argument of ``parser``."""
    rows = _rows(parser)
    with_default = any(row[2] for row in rows)
    header = ["option", "value", "default", "meaning"] if with_default else None
    header = header or ["option", "value", "meaning"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for option, value, default, meaning in rows:
        cells = [option, value, default, meaning] if with_default else [option, value, meaning]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


_tables: dict[str, str] = {}


def options_table(command: str) -> str:
    """The (cached) table of ``command``'s options."""
    if command not in _tables:
        _tables[command] = parser_table(load_parser(command))
    return _tables[command]


def replace_placeholders(markdown: str) -> str:
    """``markdown`` with every ``<!-- options: NAME -->`` replaced by its table."""
    return PLACEHOLDER.sub(lambda match: options_table(match.group(1)), markdown)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """mkdocs event: fill in the option tables of a page."""
    return replace_placeholders(markdown)

"""The ``ctpg train`` options, generated from the config dataclasses.

A walk over ``dataclasses.fields`` of ``TrainConfig`` and its sub-configs makes every scalar
or tuple field an option, its help the field's docstring, its name and rules the field's
``option(...)`` metadata (``ctpg.config.options``). A small walker of our own rather than
tyro or jsonargparse: the option names of the command line are short and flat
(``--base``, ``--lr``, ``--no-hindsight``), a few options set two fields or only apply with
another value, and the fixed-on-resume rule is a property of the field; the library's
generated names (``--agent.net.base``) would need an override per field to keep them.

``Option.apply`` turns the given options into a config; a ``ValueError`` of a config's own
validation comes back naming the option instead of the field.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import textwrap
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from ctpg.cli.args import non_negative
from ctpg.config import TrainConfig
from ctpg.config.options import OPTION_KEY

_TRANSPARENT = ("agent",)  # sub-configs whose name is not part of the option name
_NONE = "none"


@dataclass(frozen=True)
class Option:
    """One command-line option over one config field."""

    path: str
    """The field's dotted path from ``TrainConfig`` (``agent.net.base``)."""
    flags: tuple[str, ...]
    """The option's names (``--base``)."""
    kind: Any
    """The field's type hint."""
    help: str
    """One line of help (the first sentence of the field's docstring)."""
    on_resume: str
    """"fixed" or "may change"."""
    choices: tuple[str, ...] | None
    requires: tuple[str, Any] | None
    also: tuple[str, ...]
    const: Any

    @property
    def dest(self) -> str:
        """The argparse attribute of the option."""
        return self.path.replace(".", "__")

    @property
    def name(self) -> str:
        """The option as the user writes it (its first flag)."""
        return self.flags[0]

    @property
    def is_flag(self) -> bool:
        return _base_type(self.kind) is bool


def train_options() -> list[Option]:
    """Every option of the config tree, in field order."""
    return list(_walk(TrainConfig, ""))


def option_of(path: str) -> Option:
    """The option over the field at ``path``."""
    for opt in train_options():
        if opt.path == path:
            return opt
    raise KeyError(path)


def _walk(cls: type, prefix: str, requires: tuple[str, Any] | None = None) -> Iterator[Option]:
    hints = typing.get_type_hints(cls)
    docs = _field_docs(cls)
    requires = getattr(cls, "OPTION_REQUIRES", requires)
    for f in dataclasses.fields(cls):
        kind, path = hints[f.name], f"{prefix}{f.name}"
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            yield from _walk(kind, f"{path}.", requires)
            continue
        spec = dict(f.metadata.get(OPTION_KEY, {}))
        if not spec.get("cli", True):
            continue
        yield Option(
            path=path,
            flags=tuple(spec.get("flags") or (_auto_flag(path),)),
            kind=kind,
            help=_first_sentence(docs.get(f.name, "")),
            on_resume=spec.get("on_resume", "fixed"),
            choices=spec.get("choices") or _literal_choices(kind),
            requires=spec.get("requires") or requires,
            also=tuple(spec.get("also", ())),
            const=spec.get("const"),
        )


def _auto_flag(path: str) -> str:
    parts = [p for p in path.split(".") if p not in _TRANSPARENT]
    return "--" + "-".join(parts).replace("_", "-")


@cache
def _field_docs(cls: type) -> dict[str, str]:
    """The docstring under each field of a dataclass (from its source)."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    body = ast.parse(source).body[0]
    assert isinstance(body, ast.ClassDef)
    docs: dict[str, str] = {}
    for node, following in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def _first_sentence(doc: str) -> str:
    end = doc.find(". ")
    return doc if end < 0 else doc[: end + 1]


def _literal_choices(kind: Any) -> tuple[str, ...] | None:
    if typing.get_origin(kind) is typing.Literal:
        return tuple(typing.get_args(kind))
    return None


def _optional(kind: Any) -> bool:
    return typing.get_origin(kind) in (typing.Union, types.UnionType) and type(None) in (
        typing.get_args(kind)
    )


def _base_type(kind: Any) -> Any:
    """int, float, str or bool of a hint (the item type of a tuple, the type of X | None)."""
    if _optional(kind):
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    if typing.get_origin(kind) is tuple:
        kind = typing.get_args(kind)[0]
    if typing.get_origin(kind) is typing.Literal:
        kind = type(typing.get_args(kind)[0])
    return kind


def _parser_of(kind: Any) -> Any:
    """argparse ``type`` of a field: its scalar type, with "none" for an optional one."""
    scalar = _base_type(kind)
    if scalar is int:  # every integer field is a count, a size or a step (finer bounds: the
        scalar = non_negative  # config's own validation)
    if not _optional(kind):
        return scalar

    def parse(text: str) -> Any:
        return None if text.lower() == _NONE else scalar(text)

    parse.__name__ = f"{getattr(scalar, '__name__', 'value')} or none"
    return parse


def add_options(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    """One argparse argument per option, grouped by sub-config; every default is None (the
    value comes from the preset)."""
    groups: dict[str, Any] = {}
    for opt in options:
        section = opt.path.rsplit(".", 1)[0] if "." in opt.path else "run"
        group = groups.get(section) or parser.add_argument_group(f"{section} options")
        groups[section] = group
        kwargs: dict[str, Any] = {"dest": opt.dest, "default": None, "help": opt.help}
        if opt.is_flag:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = _parser_of(opt.kind)
            if opt.choices:
                kwargs["choices"] = opt.choices
            if typing.get_origin(opt.kind) is tuple:
                kwargs["nargs"] = "+"
            elif opt.const is not None:
                kwargs["nargs"], kwargs["const"] = "?", opt.const
            kwargs["metavar"] = _metavar(opt)
        group.add_argument(*opt.flags, **kwargs)


def _metavar(opt: Option) -> str | None:
    if opt.choices:
        return "{" + ",".join(opt.choices) + "}"
    return opt.path.rsplit(".", 1)[-1].upper()


def given(args: argparse.Namespace, options: Sequence[Option]) -> dict[Option, Any]:
    """The options given on the command line, with their values in the field's type."""
    out = {}
    for opt in options:
        value = getattr(args, opt.dest, None)
        if value is not None:
            out[opt] = tuple(value) if isinstance(value, list) else value
    return out


def read(cfg: Any, path: str) -> Any:
    """The value at a dotted ``path`` of a config."""
    for part in path.split("."):
        cfg = getattr(cfg, part)
    return cfg


def shown(value: Any) -> Any:
    """A value as messages show it (tuples as lists, as YAML writes them)."""
    return list(value) if isinstance(value, tuple) else value


def apply(cfg: TrainConfig, values: dict[Option, Any]) -> TrainConfig:
    """``cfg`` with the given options set (and the fields they also set, unless given);
    a ``ValueError`` of a config's validation names the option."""
    changes: dict[str, Any] = {}
    for opt, value in values.items():
        for other in opt.also:
            changes.setdefault(other, value)
    changes.update({opt.path: value for opt, value in values.items()})
    by_path = {opt.path: opt for opt in values}
    return _replace(cfg, "", changes, by_path)


def _replace(cfg: Any, prefix: str, changes: dict[str, Any], by_path: dict[str, Option]) -> Any:
    """Rebuild ``cfg`` (at ``prefix``) with ``changes`` applied below it, deepest first."""
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cfg):
        path = f"{prefix}{f.name}"
        if any(p.startswith(path + ".") for p in changes):
            kwargs[f.name] = _replace(getattr(cfg, f.name), path + ".", changes, by_path)
        elif path in changes:
            kwargs[f.name] = changes[path]
    if not kwargs:
        return cfg
    try:
        return dataclasses.replace(cfg, **kwargs)
    except ValueError as error:
        raise ValueError(_blame(str(error), prefix, by_path)) from None


def _blame(message: str, prefix: str, by_path: dict[str, Option]) -> str:
    """A validation message ("field: ...") with the field replaced by its option, when the
    option was given."""
    field, _, rest = message.partition(": ")
    field = field.rsplit(".", 1)[-1]
    opt = by_path.get(f"{prefix}{field}")
    return f"{opt.name}: {rest}" if opt is not None and rest else message

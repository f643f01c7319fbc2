"""A run's configuration as a plain dict and as YAML: ``dump_yaml`` / ``load_yaml`` write and
read the exact resolved configuration (config.yaml of a run)."""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml  # type: ignore[import-untyped, unused-ignore]

from ctpg.config.checks import check
from ctpg.config.run import TrainConfig

T = TypeVar("T")


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain nested dict of a config (tuples become lists)."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        return value

    return typing.cast(dict[str, Any], plain(cfg))


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build dataclass ``cls`` from a nested dict; unknown keys raise ValueError."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - names
    check(not unknown, cls.__name__, f"unknown keys {sorted(unknown)}")
    kwargs = {key: _coerce(hints[key], value) for key, value in data.items()}
    return cls(**kwargs)


def _coerce(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return from_dict(hint, value)  # type: ignore[arg-type]
    if origin is tuple and isinstance(value, (list, tuple)):
        args = typing.get_args(hint)
        item = args[0] if args else Any
        return tuple(_coerce(item, v) for v in value)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            if dataclasses.is_dataclass(arg) and isinstance(value, dict):
                return from_dict(arg, value)  # type: ignore[arg-type]
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


FINGERPRINT_KEY = "env_fingerprint"
"""The key of config.yaml under which a run records what its env was
(``ctpg.envs.adapter.env_fingerprint``): task names, spaces, episode limit, versions."""


def dump_yaml(
    cfg: TrainConfig, path: str | Path, fingerprint: dict[str, Any] | None = None
) -> None:
    """Write the resolved configuration to ``path`` (with the env's fingerprint, if given)."""
    data = to_dict(cfg)
    if fingerprint is not None:
        data[FINGERPRINT_KEY] = fingerprint
    Path(path).write_text(yaml.safe_dump(data, sort_keys=False))


def _read(path: str | Path) -> dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text())
    check(isinstance(data, dict), str(path), "is not a configuration mapping")
    return typing.cast(dict[str, Any], data)


def load_yaml(path: str | Path) -> TrainConfig:
    """Read a configuration written by ``dump_yaml`` (without the fingerprint)."""
    data = _read(path)
    data.pop(FINGERPRINT_KEY, None)
    return from_dict(TrainConfig, data)


def load_fingerprint(path: str | Path) -> dict[str, Any] | None:
    """The env fingerprint a config.yaml records (None for a file without one)."""
    value = _read(path).get(FINGERPRINT_KEY)
    return typing.cast(dict[str, Any], value) if isinstance(value, dict) else None

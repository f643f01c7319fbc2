"""python/ctpg/_core.pyi describes the compiled module: the same public names and,
for every function and method, the same parameter names in the same order."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ctpg import _core

STUB = Path(_core.__file__).with_name("_core.pyi")


def stub_signatures() -> dict[str, list[str] | None]:
    """Qualified name -> parameter names (None for properties and classes)."""
    out: dict[str, list[str] | None] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                out[prefix + node.name] = None
                visit(node.body, prefix + node.name + ".")
            elif isinstance(node, ast.FunctionDef):
                decorators = [ast.unparse(d) for d in node.decorator_list]
                if any(d == "property" or d.endswith(".setter") for d in decorators):
                    out[prefix + node.name] = None
                else:
                    out[prefix + node.name] = [a.arg for a in node.args.args if a.arg != "self"]

    visit(ast.parse(STUB.read_text()).body, "")
    return out


def runtime_parameters(fn: object) -> list[str]:
    """Parameter names from the signature line pybind11 puts first in __doc__."""
    first = (fn.__doc__ or "").splitlines()[0]
    inside = first[first.index("(") + 1 : first.rindex(") ->")]
    names = re.findall(r"(?:^|, )(\w+):", inside)
    return [n for n in names if n != "self"]


def runtime_names() -> dict[str, object]:
    out: dict[str, object] = {}
    for name in dir(_core):
        if name.startswith("_"):
            continue
        obj = getattr(_core, name)
        out[name] = obj
        if isinstance(obj, type):
            for attr, value in vars(obj).items():
                if not attr.startswith("_") or attr == "__init__":
                    out[f"{name}.{attr}"] = value
    return out


def test_stub_has_exactly_the_public_names() -> None:
    assert set(stub_signatures()) == set(runtime_names())


@pytest.mark.parametrize("name", sorted(k for k, v in stub_signatures().items() if v is not None))
def test_stub_parameters_match(name: str) -> None:
    obj = runtime_names()[name]
    fn = obj.__func__ if isinstance(obj, staticmethod) else obj
    assert stub_signatures()[name] == runtime_parameters(fn)

"""Build dataclasses-json models from validated dicts, equal to `Model.from_dict(d)`, faster.

`from_dict` inspects every field's type on every call, for every record. Here the
same inspection runs once per model class and becomes a small generated function. It assumes a
dict that passed the model's JSON Schema; tests/test_builders.py checks that the result equals
`from_dict` on every fixture and on generated variations.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_builders: dict[type, Callable[[dict[str, Any]], Any]] = {}


def build(model: type[T], data: dict[str, Any]) -> T:
    """`model.from_dict(data)` for a dict that satisfies the model's schema."""
    builder = _builders.get(model) or _compile(model)
    return builder(data)  # type: ignore[no-any-return]


def json_name(model: type, f: dataclasses.Field[Any]) -> str:
    own = f.metadata.get("dataclasses_json", {})
    class_config = getattr(model, "dataclass_json_config", None) or {}
    letter_case = own.get("letter_case") or class_config.get("letter_case")
    return str(letter_case(f.name)) if letter_case else f.name


def unwrap_optional(hint: Any) -> Any:
    """X for `X | None`; any other hint as it is."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _convert(hint: Any, ns: dict[str, Any], counter: list[int]) -> str | None:
    """The name of a one-argument converter for values of `hint`, or None for 'as is'."""
    hint = unwrap_optional(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        name = f"_build_{hint.__name__}"
        ns[name] = _builders.get(hint) or _compile(hint)
        return name
    if hint is float:
        ns["_float"] = _to_float
        return "_float"
    if hint is int:
        ns["_int"] = _to_int
        return "_int"
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint) or (Any,)
        inner = _convert(item, ns, counter)
        if inner is None:
            ns["_list"] = list
            return "_list"
        counter[0] += 1
        name = f"_list_{counter[0]}"
        ns[name] = eval(f"lambda v: [{inner}(x) for x in v]", ns)
        return name
    return None


def _to_float(value: Any) -> Any:
    return float(value) if type(value) is int else value


def _to_int(value: Any) -> Any:
    return int(value) if type(value) is float else value


def _value(key: str, convert: str | None, default: Any, ns: dict[str, Any], name: str) -> str:
    """The expression for an optional field: its default when absent or null, else converted."""
    get = f"d.get({key!r})"
    if default is None and convert == "_float":  # inline: no call for the commonest field
        return f"(float(v) if type(v := {get}) is int else v)"
    if default is None and convert == "_int":
        return f"(int(v) if type(v := {get}) is float else v)"
    if default is None:
        return f"(None if (v := {get}) is None else {convert}(v))"
    ns[f"_default_{name}"] = default
    return f"(_default_{name} if (v := {get}) is None else {convert}(v))"


def _compile(model: type) -> Callable[[dict[str, Any]], Any]:
    hints = typing.get_type_hints(model)
    ns: dict[str, Any] = {"_model": model}
    counter = [0]
    args = []
    fields = dataclasses.fields(model)
    for f in fields:
        key = json_name(model, f)
        decoder = f.metadata.get("dataclasses_json", {}).get("decoder")
        if decoder is not None:
            ns[f"_decode_{f.name}"] = decoder
            convert: str | None = f"_decode_{f.name}"
        else:
            convert = _convert(hints[f.name], ns, counter)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required:
            value = f"{convert}(d[{key!r}])" if convert else f"d[{key!r}]"
        elif f.default_factory is not dataclasses.MISSING:
            converted = f"{convert}(v)" if convert else "v"
            value = f"(_factory_{f.name}() if (v := d.get({key!r})) is None else {converted})"
            ns[f"_factory_{f.name}"] = f.default_factory
        elif convert:
            value = _value(key, convert, _default(f), ns, f.name)
        elif f.default is None:
            value = f"d.get({key!r})"
        else:
            value = f"d.get({key!r}, _default_{f.name})"
            ns[f"_default_{f.name}"] = f.default
        args.append((f.name, value))
    # Positional arguments when every field goes to __init__ in order (cheaper than keywords).
    positional = all(f.init for f in fields)
    call = ", ".join(
        value if positional else f"{f.name}={value}"
        for f, (_, value) in zip(fields, args, strict=True)
        if f.init  # from_dict leaves init=False fields to their defaults too
    )
    source = f"def _build(d):\n    return _model({call})\n"
    exec(source, ns)
    builder: Callable[[dict[str, Any]], Any] = ns["_build"]
    _builders[model] = builder
    return builder


def _default(f: dataclasses.Field[Any]) -> Any:
    return None if f.default is dataclasses.MISSING else f.default

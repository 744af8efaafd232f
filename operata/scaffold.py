"""A new Operata detail-type from sample events: `python -m operata schemas update --new-type`.

For each detail-type in the samples that has no schema, it writes
- schemas/<detail-type>.json: a starting schema inferred from the samples (nothing required);
- operata_lambda/events/<module>.py: models read from that schema, a `render` listing every
  field under the reference header, a `summarise` with the top-level fields, and EVENT_TYPE;
- the module's line in operata_lambda/events/registry.py;
- the samples as events/source/<detail-type>.json (then <detail-type>-2.json, ...).
The caller appends the schema changelog line. `make fixtures` then writes the rest.

Numbers: every JSON number is "number" in the schema and `float` in the model (the
builders turn 3 into 3.0, the report prints it as 3). A sample cannot tell a count from a
measure that happened to be whole, and a field typed "integer" would reject every record once
Operata sends 3.5; widening a type later is a major schema version and a redrive.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from operata.model_check import camel, pascal, snake
from operata_lambda.events.common import EventType, Model, Treatment
from operata_lambda.rendering.safe import TRACE_KEYS

LINE_WIDTH = 100  # ruff's line-length in pyproject.toml
INDENT = "    "

# Names an attribute must not take (the Model base's methods, what a class body calls), and
# names a variable of `render` must not take (what the module imports, the builtins it uses).
_ATTRIBUTES_TAKEN = {n for n in dir(Model) if not n.startswith("__")} | {"field", "config"}
_VARIABLES_TAKEN = {"num", "number", "text", "lines", "detail", *dir(builtins)}
# Keys the JSON line writes itself (operata_lambda/rendering/lines.py): a summary leaves them.
_LINE_KEYS = {*TRACE_KEYS, "source", "keptAt"}


# Keys that name personal data (the whole key, or a camelCase ending), and the treatment a new
# type starts with: the masking one where the value identifies a person or a place, `shown`
# where the existing types show it (docs/personal-data.md says why for each). A person reviews
# them with the rest of the module.
PERSONAL_KEYS: list[tuple[re.Pattern[str], Treatment]] = [
    (re.compile(r"(?i:callerid|phone)|.*Phone"), Treatment.PHONE),
    (re.compile(r"(?i:ip)|.*(?:Ip|IpAddress)"), Treatment.ADDRESS),
    (re.compile(r"(?i:url)|.*Url"), Treatment.URL),
    (re.compile(r"(?i:serialnumber)"), Treatment.LAST_THREE),
    (re.compile(r"(?i:email|city|deviceid|groupid)|.*Email"), Treatment.HIDDEN),
    (re.compile(r"(?i:message|fqdn|label)"), Treatment.FREE_TEXT),
    (re.compile(r"(?i:username|friendlyname|agent|region|country|isp)"), Treatment.SHOWN),
]
PERSONAL_TABLE = Path("docs") / "personal-data.md"


class ScaffoldError(Exception):
    """Something that stops a type from being written: one line saying what and how to fix."""


# --- names -------------------------------------------------------------------------------


def module_name(detail_type: str) -> str:
    name = snake(detail_type)
    if not name.isidentifier() or keyword.iskeyword(name):
        name = f"type_{name}"
    return name


def title(detail_type: str) -> str:
    """'QueueHealthSummary' -> 'Queue Health Summary'."""
    between = r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])"
    spaced = re.sub(between, " ", detail_type)
    return " ".join(re.split(r"[\s_.-]+", spaced)).strip()


def label(key: str) -> str:
    """A field's label in the report: 'longestWaitSec' -> 'Longest Wait Sec'."""
    return " ".join(word[:1].upper() + word[1:] for word in snake(key).split("_")) or "Field"


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


# --- the models, from the schema ---------------------------------------------------------


@dataclass
class Field:
    key: str  # the JSON name
    attribute: str
    python: str  # the annotation, without `| None`
    kind: str  # "number", "value", "object", "objects" (a list of models)
    model: ModelClass | None = None

    @property
    def renamed(self) -> bool:
        return camel(self.attribute) != self.key


@dataclass
class ModelClass:
    name: str
    fields: list[Field] = field(default_factory=list)


class _Models:
    """The model classes for a schema, each named once (a repeated name gets its parent's)."""

    def __init__(self, root: str) -> None:
        self.classes: list[ModelClass] = []
        self.names = {root, "Model", "EventType", "Any"}

    def build(self, name: str, described: dict[str, Any]) -> ModelClass:
        model = ModelClass(name)
        taken = set(_ATTRIBUTES_TAKEN)
        for key, child in sorted(described.get("properties", {}).items()):
            attribute = snake(key)
            if not attribute.isidentifier() or keyword.iskeyword(attribute):
                attribute = f"field_{attribute}" if attribute[:1].isdigit() else f"{attribute}_"
            model.fields.append(self._field(key, _unique(attribute, taken), child, name))
        self.classes.append(model)  # after its children: each class is defined before use
        return model

    def _class_name(self, key: str, parent: str) -> str:
        name = pascal(key)
        if not name[:1].isalpha():
            name = f"Part{name}"
        if name in self.names:
            name = _unique(parent + name, self.names)
        self.names.add(name)
        return name

    def _field(self, key: str, attribute: str, described: Any, parent: str) -> Field:
        kinds = _kinds(described)
        if kinds == {"object"} and described.get("properties"):
            model = self.build(self._class_name(key, parent), described)
            return Field(key, attribute, model.name, "object", model)
        if kinds == {"array"} and isinstance(described.get("items"), dict):
            items = described["items"]
            # a list that holds nulls among its objects stays as it is (shown as JSON)
            if _kinds(items) == {"object"} and items.get("properties") and not _nullable(items):
                model = self.build(self._class_name(_singular(key), parent), items)
                return Field(key, attribute, f"list[{model.name}]", "objects", model)
            return Field(key, attribute, f"list[{_scalar(items)}]", "value")
        kind = "number" if kinds == {"number"} else "value"
        return Field(key, attribute, _scalar(described), kind)


def _kinds(described: Any) -> set[str]:
    """The JSON types a schema node allows, null left out."""
    kind = described.get("type") if isinstance(described, dict) else None
    return set(kind if isinstance(kind, list) else [kind]) - {None, "null"}


def _nullable(described: dict[str, Any]) -> bool:
    kind = described.get("type")
    return "null" in (kind if isinstance(kind, list) else [kind])


_SIMPLE = {"string": "str", "number": "float", "integer": "float", "boolean": "bool"}


def _scalar(described: Any) -> str:
    kinds = _kinds(described)
    if kinds and kinds <= set(_SIMPLE):
        return " | ".join(dict.fromkeys(_SIMPLE[k] for k in sorted(kinds)))
    if kinds == {"object"}:
        return "dict[str, Any]"
    if kinds == {"array"}:
        return "list[Any]"
    return "Any"


# --- the module's text -------------------------------------------------------------------


def _fits(line: str) -> bool:
    return len(line) <= LINE_WIDTH


def _field_lines(f: Field) -> list[str]:
    annotation = f"{INDENT}{f.attribute}: {f.python} | None = "
    if not f.renamed:
        return [annotation + "None"]
    one = f"default=None, metadata=config(field_name={json.dumps(f.key)})"
    if _fits(f"{annotation}field({one})"):
        return [f"{annotation}field({one})"]
    if _fits(f"{INDENT * 2}{one}"):
        return [f"{annotation}field(", f"{INDENT * 2}{one}", f"{INDENT})"]
    metadata = f"{INDENT * 2}metadata=config(field_name={json.dumps(f.key)}),"
    return [f"{annotation}field(", f"{INDENT * 2}default=None,", metadata, f"{INDENT})"]


def _class_text(model: ModelClass) -> str:
    lines = ["@dataclass", f"class {model.name}(Model):"]
    for f in model.fields:
        lines += _field_lines(f)
    if not model.fields:
        lines.append(f"{INDENT}pass")
    return "\n".join(lines)


def _append(code_indent: str, expression: str) -> list[str]:
    """`lines.append(expression)`, as ruff formats it."""
    line = f"{code_indent}lines.append({expression})"
    if _fits(line):
        return [line]
    inner = f"{code_indent}{INDENT}{expression}"
    suffix = "" if _fits(inner) else "  # noqa: E501"
    return [f"{code_indent}lines.append(", inner + suffix, f"{code_indent})"]


class _Renderer:
    """The statements of `render`: every field under its label, nested parts indented."""

    def __init__(self) -> None:
        self.variables = set(_VARIABLES_TAKEN)
        self.statements: list[str] = []

    def variable(self, name: str) -> str:
        return _unique(f"{name}_" if keyword.iskeyword(name) else name, self.variables)

    def model(self, model: ModelClass, var: str, pad: str, code: str) -> None:
        for f in model.fields:
            value = f"{var}.{f.attribute}"
            heading = f"{pad}{label(f.key)}"
            if f.kind == "object" and f.model is not None:
                inner = self.variable(f.attribute.strip("_") or "part")
                self.statements.append(f"{code}{inner} = {value} or {f.model.name}()")
                self.statements += _append(code, f'"{heading}:"')
                self.model(f.model, inner, pad + "  ", code)
            elif f.kind == "objects" and f.model is not None:
                item = self.variable(_singular(f.attribute))
                counter = self.variable("n")
                self.statements += _append(code, f'"{heading}:"')
                self.statements.append(
                    f"{code}for {counter}, {item} in enumerate({value} or [], 1):"
                )
                self.statements += _append(code + INDENT, f'f"{pad}  {{{counter}}}."')
                self.model(f.model, item, pad + "    ", code + INDENT)
            else:
                form = "num" if f.kind == "number" else "text"
                self.statements += _append(code, f'f"{heading}: {{{form}({value})}}"')


def _singular(attribute: str) -> str:
    name = attribute.strip("_") or "item"
    return name[:-1] if name.endswith("s") and len(name) > 1 else f"{name}_item"


def _contact_id_path(described: dict[str, Any], prefix: str = "") -> str | None:
    """The dotted path of the first string field named like a contact id, outside arrays."""
    found: list[str] = []
    for key, child in sorted(described.get("properties", {}).items()):
        path = f"{prefix}{key}"
        if _kinds(child) == {"string"} and key.lower().endswith("contactid"):
            found.append(path)
        elif _kinds(child) == {"object"}:
            inner = _contact_id_path(child, f"{path}.")
            if inner:
                found.append(inner)
    return min(found, key=lambda p: (p.count("."), p)) if found else None


def personal_fields(described: dict[str, Any], prefix: str = "") -> dict[str, Treatment]:
    """Every property named like personal data, by dotted path ([] for an array's items)."""
    found: dict[str, Treatment] = {}
    for key, child in sorted((described.get("properties") or {}).items()):
        path = f"{prefix}.{key}" if prefix else key
        treatment = next((t for pattern, t in PERSONAL_KEYS if pattern.fullmatch(key)), None)
        if treatment is not None:
            found[path] = treatment
        if isinstance(child, dict):
            found |= personal_fields(child, path)
            if isinstance(child.get("items"), dict):
                found |= personal_fields(child["items"], f"{path}[]")
    return found


def _summary_lines(root: str, model: ModelClass, contact_id: str | None) -> list[str]:
    entries = []
    for f in model.fields:
        if f.kind not in {"number", "value"} or f.key in _LINE_KEYS or f.python.startswith("list"):
            continue
        value = f"number(detail.{f.attribute})" if f.kind == "number" else f"detail.{f.attribute}"
        entries.append(f"{INDENT * 2}{json.dumps(f.key)}: {value},")
    lines = [f"def summarise(detail: {root}) -> dict[str, Any]:"]
    if contact_id and "." in contact_id:
        walk: list[str] = []
        var = "detail"
        current = model
        for key in contact_id.split(".")[:-1]:
            (f,) = [f for f in current.fields if f.key == key]
            assert f.model is not None
            inner = f"{var}.{f.attribute} or {f.model.name}()"
            var = f"part_{len(walk)}"
            walk.append(f"{INDENT}{var} = {inner}")
            current = f.model
        (last,) = [f for f in current.fields if f.key == contact_id.split(".")[-1]]
        lines += walk
        entries.insert(0, f'{INDENT * 2}"contactId": {var}.{last.attribute},')
    elif contact_id:
        entries = [e for e in entries if not e.startswith(f'{INDENT * 2}"contactId":')]
        (f,) = [f for f in model.fields if f.key == contact_id]
        entries.insert(0, f'{INDENT * 2}"contactId": detail.{f.attribute},')
    if not entries:
        return [*lines, f"{INDENT}return {{}}"]
    return [*lines, f"{INDENT}return {{", *entries, f"{INDENT}}}"]


def _event_type_fields() -> set[str]:
    return {f.name for f in dataclasses.fields(EventType)}


def module_text(detail_type: str, schema: dict[str, Any]) -> str:
    """The starting module of a detail-type: models, render, summarise, EVENT_TYPE."""
    root = pascal(detail_type)
    if not root[:1].isalpha():
        root = f"Type{root}"
    models = _Models(root)
    root_model = models.build(root, schema)
    contact_id = _contact_id_path(schema)

    renderer = _Renderer()
    renderer.model(root_model, "detail", "  ", INDENT)
    heading = f"{title(detail_type)} Details:"
    render = [f"def render(detail: {root}) -> list[str]:", f'{INDENT}lines = ["{heading}"]']
    render += [*renderer.statements, f"{INDENT}return lines"]
    summarise = _summary_lines(root, root_model, contact_id)

    body = "\n".join([*render, *summarise])
    classes = "\n\n\n".join(_class_text(c) for c in models.classes)
    formatters = sorted(h for h in ("num", "number", "text") if re.search(rf"\b{h}\(", body))
    renamed = any(f.renamed for c in models.classes for f in c.fields)
    uses_treatment = bool(personal_fields(schema)) and "personal" in _event_type_fields()
    common = ["EventType", "Model", *(["config"] if renamed else [])]
    common += ["Treatment"] if uses_treatment else []
    event_type = [
        f"{INDENT}detail_type={json.dumps(detail_type)},",
        f"{INDENT}title={json.dumps(title(detail_type))},",
        f"{INDENT}model={root},",
        f"{INDENT}render=render,",
        f"{INDENT}summarise=summarise,",
    ]
    if contact_id and "contact_id" in _event_type_fields():
        event_type.append(f"{INDENT}contact_id={json.dumps(contact_id)},")
    personal = personal_fields(schema)
    if "personal" in _event_type_fields():
        if personal:
            event_type.append(f"{INDENT}personal={{")
            for path, t in personal.items():
                entry = f"{INDENT * 2}{json.dumps(path)}: Treatment.{t.name},"
                event_type.append(entry if _fits(entry) else f"{entry}  # noqa: E501")
            event_type.append(f"{INDENT}}},")
        else:
            event_type.append(f"{INDENT}personal={{}},")
    imports = [
        "from __future__ import annotations",
        "",
        f"from dataclasses import dataclass{', field' if renamed else ''}",
        "from typing import Any",
        "",
        f"from operata_lambda.events.common import {', '.join(sorted(common))}",
    ]
    if formatters:
        imports.append(f"from operata_lambda.events.text import {', '.join(formatters)}")
    parts = [
        f'"""{detail_type}: written from sample events by `schemas update --new-type`."""',
        "\n".join(imports),
        "# --- the model " + "-" * 75,
        classes,
        "# --- rendering " + "-" * 75,
        "\n".join(render),
        "\n".join(summarise),
        "EVENT_TYPE = EventType(\n" + "\n".join(event_type) + "\n)",
    ]
    # ruff's layout: one blank line after the docstring and after the imports, two elsewhere
    return "\n\n".join(parts[:3]) + "\n\n\n" + "\n\n\n".join(parts[3:]) + "\n"


# --- the registry ------------------------------------------------------------------------


def add_to_registry(registry: Path, module: str) -> None:
    """List `module` in registry.py: its import, and its place at the end of TYPE_MODULES."""
    source = registry.read_text(encoding="utf-8")
    imports = re.search(r"from operata_lambda\.events import \(\n((?:    \w+,\n)+)\)", source)
    modules = re.search(r"TYPE_MODULES = \(\n((?:    \w+,\n)+)\)", source)
    if imports is None or modules is None:
        raise ScaffoldError(
            f"{registry}: cannot find the import list and TYPE_MODULES as written by this tool; "
            f"add {module} to both by hand"
        )
    names = sorted({*re.findall(r"\w+", imports.group(1)), module})
    listed = [*re.findall(r"\w+", modules.group(1)), module]
    source = (
        source[: modules.start(1)]
        + "".join(f"    {name},\n" for name in listed)
        + source[modules.end(1) :]
    )
    source = (
        source[: imports.start(1)]
        + "".join(f"    {name},\n" for name in names)
        + source[imports.end(1) :]
    )
    registry.write_text(source, encoding="utf-8")


# --- the whole type ----------------------------------------------------------------------


@dataclass
class Written:
    detail_type: str
    files: list[Path]


def write_type(
    root: Path, detail_type: str, schema: dict[str, Any], events: list[dict[str, Any]]
) -> Written:
    """The module, the registry line and the samples of a new type (the schema is written by
    the caller); nothing is written when the type's module or samples already exist."""
    events_dir = root / "operata_lambda" / "events"
    module = module_name(detail_type)
    module_file = events_dir / f"{module}.py"
    if module_file.exists():
        raise ScaffoldError(
            f"{module_file} already exists: {detail_type} has a module but no schema; "
            f"write schemas/{detail_type}.json by hand, or move the module away"
        )
    source_dir = root / "events" / "source"
    samples = [
        source_dir / f"{detail_type}{'' if n == 1 else f'-{n}'}.json"
        for n in range(1, len(events) + 1)
    ]
    taken = [p for p in samples if p.exists()]
    if taken:
        raise ScaffoldError(f"{taken[0]} already exists: move it away or rename the sample")
    text = module_text(detail_type, schema)
    table = root / PERSONAL_TABLE
    personal = personal_fields(schema) if "personal" in _event_type_fields() else {}
    if personal and not table.is_file():
        raise ScaffoldError(f"{table} not found: it lists every type's personal fields")
    add_to_registry(events_dir / "registry.py", module)
    module_file.write_text(text, encoding="utf-8")
    source_dir.mkdir(parents=True, exist_ok=True)
    for path, event in zip(samples, events, strict=True):
        path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written = [module_file, events_dir / "registry.py", *samples]
    if personal:
        add_personal_rows(table, detail_type, personal)
        written.append(table)
    return Written(detail_type, written)


def add_personal_rows(table: Path, detail_type: str, personal: dict[str, Treatment]) -> None:
    """The type's personal fields as rows at the end of the table of docs/personal-data.md."""
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    last = max(i for i, line in enumerate(lines) if line.startswith("| ") and "` |" in line)
    rows = [
        f"| {detail_type} | `{path}` | {t.value} | named like personal data: review the "
        "treatment (written by schemas update --new-type) |\n"
        for path, t in personal.items()
    ]
    table.write_text("".join([*lines[: last + 1], *rows, *lines[last + 1 :]]), encoding="utf-8")

"""jsonschema, the reference: the check of a schema that has no generated one, and the
explanation of a rejection (the path, the rule, the value).

The explanation costs at most a bounded amount of work whatever the record: it is jsonschema's
best_match over at most MAX_ERRORS errors, taking at most MAX_ITEM_ERRORS failing items of any
one array, and the validator it asks does not descend into a property or an array item that the
generated check of its subschema accepts (jsonschema would find no error there). For a record
with fewer errors than those bounds the choice is best_match's over every error of the record.
jsonschema is imported here, when first needed: `import handler` does not load it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from operata_lambda.validation.generated import INVALID, VALID, VALID_WITH_NEW_FIELDS, fast_check

MAX_ERRORS = 100  # errors best_match chooses from
MAX_ITEM_ERRORS = 10  # failing items of one array looked at


def closed_variant(schema: Any) -> Any:
    """A copy of the schema in which every described object allows no other properties.

    Iterative, so that a schema of any depth can be closed (the generator's recursion is what
    gives up on very deep schemas, and then this variant is needed).
    """
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(schema, root, 0)]  # (node, its parent copy, key)
    while stack:
        node, parent, key = stack.pop()
        if isinstance(node, dict):
            copy: Any = {}
            for name, value in node.items():
                copy[name] = None
                stack.append((value, copy, name))
            if "properties" in node and "additionalProperties" not in node:
                copy["additionalProperties"] = False
        elif isinstance(node, list):
            copy = [None] * len(node)
            stack += [(value, copy, index) for index, value in enumerate(node)]
        else:
            copy = node
        parent[key] = copy
    return root[0]


def reference_check(schema: Any, *, registry: Any = None) -> Callable[[Any], int]:
    """jsonschema itself (slower), for schemas without a generated check.

    Validity comes from the schema as written. The closed variant only tells whether a valid
    instance has new fields: under `not`, `if`, `oneOf` or `maxContains`, closing a subschema
    can make the whole schema accept more, so its verdict never decides validity.
    `registry` (a referencing.Registry) resolves `$ref`s to other documents.
    """
    from jsonschema import Draft202012Validator

    extra = {} if registry is None else {"registry": registry}
    as_written = Draft202012Validator(schema, **extra)
    closed_schema = closed_variant(schema)
    if closed_schema == schema:  # nothing to close: no instance can have new fields

        def check_open(instance: Any) -> int:
            return VALID if as_written.is_valid(instance) else INVALID

        return check_open
    closed = Draft202012Validator(closed_schema, **extra)

    def check(instance: Any) -> int:
        if not as_written.is_valid(instance):
            return INVALID
        return VALID if closed.is_valid(instance) else VALID_WITH_NEW_FIELDS

    return check


class Explainer:
    """Explains why an instance is invalid: jsonschema's most relevant error, within bounds."""

    def __init__(self, document: Any, *, registry: Any = None) -> None:
        extra = {} if registry is None else {"registry": registry}
        self._validator = _skipping_valid_parts()(document, **extra)

    def best_error(self, instance: Any, out_of_time: Callable[[], bool] | None = None) -> Any:
        """The most relevant of the first MAX_ERRORS errors (None when there is none); the
        walk stops early, with what it has found, once `out_of_time()` says so."""
        from jsonschema.exceptions import best_match

        errors = self._validator.iter_errors(instance)
        if out_of_time is not None:
            errors = _until(errors, out_of_time)
        return best_match(islice(errors, MAX_ERRORS))


def _until(errors: Iterator[Any], out_of_time: Callable[[], bool]) -> Iterator[Any]:
    if out_of_time():
        return
    for error in errors:
        yield error
        if out_of_time():
            return


def _skipping_valid_parts() -> Any:
    """A Draft202012Validator class whose `properties` and `items` keywords skip every value
    that the generated check of the subschema accepts (a subschema without one is walked as
    jsonschema walks it), and whose `items` stops after MAX_ITEM_ERRORS failing items."""
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    checks: dict[int, tuple[Any, Callable[[Any], int] | None]] = {}  # id(subschema) -> check
    jsonschema_items = Draft202012Validator.VALIDATORS["items"]

    def accepted(subschema: Any, value: Any) -> bool:
        found = checks.get(id(subschema))
        if found is None or found[0] is not subschema:
            found = checks[id(subschema)] = (subschema, fast_check(subschema))
        check = found[1]
        return check is not None and check(value) != INVALID

    def properties(validator: Any, properties: Any, instance: Any, schema: Any) -> Any:
        # jsonschema's own `properties` keyword, with the skip added
        if not validator.is_type(instance, "object"):
            return
        for name, subschema in properties.items():
            if name not in instance or accepted(subschema, instance[name]):
                continue
            yield from validator.descend(instance[name], subschema, path=name, schema_path=name)

    def items(validator: Any, items: Any, instance: Any, schema: Any) -> Any:
        # jsonschema's own `items` keyword (draft 2020-12), with the skip and the bound added
        if items is False or not validator.is_type(instance, "array"):
            yield from jsonschema_items(validator, items, instance, schema)
            return
        failing = 0
        for index in range(len(schema.get("prefixItems", [])), len(instance)):
            item = instance[index]
            if accepted(items, item):
                continue
            found = False
            for error in validator.descend(item, items, path=index):
                found = True
                yield error
            failing += found
            if failing >= MAX_ITEM_ERRORS:
                return

    return extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, {"properties": properties, "items": items}
    )

"""PII redaction for everything the function writes: personal fields by path, and free-text
patterns in every string.

By path (`mask_personal`, `mask_value`): each event type declares its personal fields beside
its model (EventType.personal: path -> Treatment); a value there is masked whatever its shape
(a string with extra characters, a number, a list, an object). docs/personal-data.md lists them.

In text (`redact(text)`), applied to every string and every line written:

- Phone numbers: + then 7 or more digits (spaces, dots, hyphens or brackets allowed between
  digits), anywhere, also right after letters (`Mob+61402960149`), keep the country code and
  the last three digits: +61402960149 -> +61*******149. The country code's length (1, 2 or 3
  digits) follows ITU-T E.164's assignments. The mask has a fixed width, so it does not reveal
  the number's length either. A number's exponent (1e+1234567) is not a phone number.
- A caller id without the + form (national format, or a number) is masked where it is labelled
  as one: the JSON key "callerId", the report's "Caller ID:" line and a rejection message's
  "callerId: <value>".
- IPv4 and IPv6 addresses (private ones too) become [IPv4] and [IPv6], also inside host names
  that write an IPv4 address with hyphens (ip-10-4-3-108 -> ip-[IPv4]).
- Email addresses become [email].
- Softphone (CCP) URLs keep their scheme and host only: https://host/[redacted].
"""

from __future__ import annotations

import functools
import ipaddress
import re
import string
from collections.abc import Iterator, Mapping
from typing import Any

from operata_lambda.events.common import Treatment

MASK = "*******"
LABELLED_KEYS = ("callerId", "softphoneUrl", "softphoneContextUrl")  # masked by their key
_LABELS = frozenset(LABELLED_KEYS)
IPV4 = "[IPv4]"
IPV6 = "[IPv6]"
EMAIL = "[email]"
HIDDEN = "[redacted]"

# ITU-T E.164 country codes: 1 (NANP) and 7 (Russia, Kazakhstan) have one digit; these have
# two; every other code has three (the assignments are prefix-free, so the first digits decide).
_TWO_DIGIT_CODES = frozenset(
    str(code)
    for code in (
        *(20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49),
        *(51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66),
        *(81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98),
    )
)


def country_code_length(digits: str) -> int:
    """Length of the E.164 country code that starts `digits` (the number without its +)."""
    if digits[:1] in ("1", "7"):
        return 1
    if digits[:2] in _TWO_DIGIT_CODES:
        return 2
    return 3


def mask_phone(number: str) -> str:
    """+61402960149 -> +61*******149; a number without + keeps its last three digits only."""
    digits = "".join(c for c in number if c.isdigit())
    if number.lstrip().startswith("+") and len(digits) > 3:
        return f"+{digits[: country_code_length(digits)]}{MASK}{digits[-3:]}"
    return f"{MASK}{digits[-3:]}"


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_HEX = frozenset("0123456789abcdefABCDEF")

# The scan looks for cheap signs only, each starting with a literal character: with no groups
# in the pattern, re skips quickly to those characters (named groups would disable that, about
# ten times slower). The first character tells the kind; the precise patterns below then run
# at the few positions found.
_GATE = re.compile(
    r"https?://"
    rf'|"(?:{"|".join(LABELLED_KEYS)})"\s*:\s*'
    r"|Caller ID: "
    r"|callerId: "
    r"|\+\d"
    r"|\.\d{1,3}\.\d"
    r"|-\d{1,3}-\d{1,3}-\d"
    r"|:[0-9A-Fa-f]{0,4}:"
    r"|@[A-Za-z0-9]"
)
_KIND = {
    "h": "url",
    '"': "json_key",
    "C": "text_key",
    "c": "message_key",
    "+": "phone",
    ".": "ipv4",
    "-": "dashed_ipv4",
    ":": "ipv6",
    "@": "email",
}
_URL = re.compile(r"https?://[^\s\"'<>\\]*")
_JSON_STRING = re.compile(r'(?:[^"\\]|\\.)*')
_NUMBER = re.compile(r"-?\d[\d.eE+-]*")
_QUOTED = re.compile(r"'[^']*'")  # a value as a jsonschema message quotes it
_PHONE = re.compile(r"\+\d(?:[ ().-]{0,2}\d){6,}")
_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}(?!\d)(?!\.\d)")
_DASHED_IPV4 = re.compile(rf"(?:{_OCTET}-){{3}}{_OCTET}(?!\d)")
_EMAIL_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_EMAIL_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_IPV6 = re.compile(r"[0-9A-Fa-f:]+(?:\.\d{1,3}){0,3}(?:%[\w.-]+)?")


def _url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return f"{scheme}://{redact(host)}/[redacted]"


def _caller_id(value: str) -> str:
    if sum(c.isdigit() for c in value) < 4:
        return value  # no number in it (n/a, anonymous), or masked already (*******149)
    return mask_phone(value)  # a mask masked again is the same mask


def _exponent(text: str, index: int) -> bool:
    """Whether the + at `index` is a number's exponent sign (1e+1234567)."""
    return index > 1 and text[index - 1] in "eE" and text[index - 2] in "0123456789."


def _word_before(text: str, index: int, extra: str) -> bool:
    if index > 1 and text[index - 2] == "\\":  # a JSON escape such as \n ends a word
        return False
    return index > 0 and (text[index - 1].isalnum() or text[index - 1] in extra)


def _is_ipv6(candidate: str) -> bool:
    if "::" not in candidate and candidate.count(":") < 6:
        return False  # a clock time (05:00:13): an address has :: or at least 6 colons
    try:
        ipaddress.IPv6Address(candidate.split("%", 1)[0])
    except ValueError:  # other colon-separated text
        return False
    return True


def _find(text: str, m: re.Match[str], floor: int) -> tuple[int, int, str] | None:
    """The span to replace, and its replacement, for the sign `m`; None if it is no PII."""
    at = m.start()
    kind = _KIND[text[at]]
    if kind == "url":
        url = _URL.match(text, at)
        if url and ("softphone" in url.group() or "/ccp" in url.group()):
            return at, url.end(), _url(url.group())
    elif kind == "json_key":
        if text.startswith('"', m.end()):
            value = _JSON_STRING.match(text, m.end() + 1)
            if value:
                masked = _url(value.group()) if "softphone" in m.group() else None
                return value.start(), value.end(), masked or _caller_id(value.group())
        elif number := _NUMBER.match(text, m.end()):  # a caller id sent as a number
            return number.start(), number.end(), f'"{_caller_id(number.group())}"'  # stays JSON
    elif kind == "message_key":  # detail.contact.callerId: 412345678 is not of type 'string'
        value = _QUOTED.match(text, m.end()) or _NUMBER.match(text, m.end())
        if value:
            return value.start(), value.end(), _caller_id(value.group())
    elif kind == "text_key":
        end = text.find("\n", m.end())
        end = len(text) if end < 0 else end
        return m.end(), end, _caller_id(text[m.end() : end])
    elif kind == "phone":
        phone = _PHONE.match(text, at)
        if phone and not _exponent(text, at):
            return at, phone.end(), mask_phone(phone.group())
    elif kind == "ipv4":
        start = at
        while start > floor and at - start < 3 and text[start - 1].isdigit():
            start -= 1
        before_ok = not (
            _word_before(text, start, "")
            or (start > 1 and text[start - 1] == "." and text[start - 2].isdigit())
        )
        ip = _IPV4.match(text, start) if start < at and before_ok else None
        if ip:
            return start, ip.end(), IPV4
    elif kind == "dashed_ipv4":  # a host name: ip-10-4-3-108, ec2-54-1-2-3.compute...
        start = at
        while start > floor and at - start < 3 and text[start - 1].isdigit():
            start -= 1
        ip = _DASHED_IPV4.match(text, start) if start < at else None
        if ip and not _word_before(text, start, ""):
            return start, ip.end(), IPV4
    elif kind == "email":
        start = at
        while start > floor and at - start < 64 and text[start - 1] in _EMAIL_LOCAL:
            start -= 1
        domain = _EMAIL_DOMAIN.match(text, at + 1)
        if start < at and domain:
            return start, domain.end(), EMAIL
    else:  # ipv6
        start = at
        while start > floor and at - start < 4 and text[start - 1] in _HEX:
            start -= 1
        ip = None if _word_before(text, start, "_:.%") else _IPV6.match(text, start)
        if ip:
            candidate = ip.group()
            for end in (ip.end(), ip.end() - len(candidate) + len(candidate.rstrip(":."))):
                if _is_ipv6(text[start:end]):
                    return start, end, IPV6
    return None


# --- personal fields by path --------------------------------------------------------------

_KEEPS = {Treatment.SHOWN, Treatment.FREE_TEXT}  # the free-text patterns still apply
_ASCII_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_EXACT = re.compile(rf"(?:{_ASCII_OCTET}\.){{3}}{_ASCII_OCTET}")  # as ipaddress reads one


def mask_text(value: str, treatment: Treatment) -> str:
    """One string of a personal field, masked as its treatment says."""
    if treatment is Treatment.PHONE:
        return mask_phone(value) if any(c.isdigit() for c in value) else HIDDEN
    if treatment is Treatment.ADDRESS:
        if _IPV4_EXACT.fullmatch(value.strip()):  # the usual case, without ipaddress's parse
            return IPV4
        try:
            return IPV4 if ipaddress.ip_address(value.strip()).version == 4 else IPV6
        except ValueError:
            return HIDDEN
    if treatment is Treatment.URL and "://" in value:
        return _url(value.strip())
    if treatment is Treatment.LAST_THREE and len(value) > 3:
        return f"{MASK}{value[-3:]}"
    if treatment in _KEEPS:
        return value
    return HIDDEN


def mask_value(value: Any, treatment: Treatment) -> Any:
    """A personal field's value of any shape, each string or number in it masked."""
    if treatment in _KEEPS:
        return value
    if type(value) is str:
        return mask_text(value, treatment)
    root: list[Any] = [None]
    todo: list[tuple[Any, Any, Any]] = [(root, 0, value)]
    while todo:  # iterative: a value of any depth
        parent, slot, item = todo.pop()
        if isinstance(item, dict):
            parent[slot] = copy = dict.fromkeys(item)
            todo += [(copy, k, v) for k, v in item.items()]
        elif isinstance(item, list | tuple):
            parent[slot] = copy_list = [None] * len(item)
            todo += [(copy_list, i, v) for i, v in enumerate(item)]
        elif item is None or isinstance(item, bool):
            parent[slot] = item
        else:
            parent[slot] = mask_text(str(item), treatment)
    return root[0]


def path_parts(path: str) -> list[str]:
    """contact.callerId -> [contact, callerId]; usedDevices[].label -> [usedDevices, [], label]."""
    return path.replace("[]", ".[]").split(".")


def mask_personal(value: Any, personal: Mapping[str, Treatment]) -> Any:
    """`value` (a detail) with every personal field masked; the parts changed are copies."""
    tree = _path_tree(tuple(personal.items()))
    return _mask_tree(value, tree) if tree else value


# A tree of the masked paths: {"contact": {"callerId": PHONE}, "usedDevices": {"[]": {...}}},
# so that each object on the way is copied once, whatever the number of fields under it.
_Tree = dict[str, "_Tree | Treatment"]


@functools.lru_cache(maxsize=64)
def _path_tree(personal: tuple[tuple[str, Treatment], ...]) -> _Tree:
    tree: _Tree = {}
    for path, treatment in personal:
        if treatment in _KEEPS:
            continue
        node = tree
        *parents, last = path_parts(path)
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break  # a field inside one masked whole is masked with it
            node = child
        else:
            node[last] = treatment
    return tree


def _mask_tree(value: Any, node: _Tree | Treatment) -> Any:
    """An array where one value was expected: each item; one value where an array was
    expected: as its only item."""
    if not isinstance(node, dict):
        return mask_value(value, node)
    items = node.get("[]")
    fields = {k: v for k, v in node.items() if k != "[]"} if items is not None else node
    if isinstance(value, list):
        if items is not None:
            value = _same_if_unchanged(value, [_mask_tree(v, items) for v in value])
        if fields:
            value = _same_if_unchanged(value, [_mask_tree(v, fields) for v in value])
        return value
    if items is not None:
        value = _mask_tree(value, items)
    if fields and isinstance(value, dict):
        changed = {
            key: masked
            for key in fields
            if key in value and (masked := _mask_tree(value[key], fields[key])) is not value[key]
        }
        if changed:
            value = {**value, **changed}
    return value


def _same_if_unchanged(before: list[Any], after: list[Any]) -> list[Any]:
    """The list itself when no item changed: nothing masked, nothing to copy or compare."""
    return before if all(a is b for a, b in zip(after, before, strict=True)) else after


def personal_under(personal: Mapping[str, Treatment], path: str) -> dict[str, Treatment]:
    """The personal fields inside the value at `path` (detail.contact, detail.x[3].y), by path
    from that value; "" stands for the value itself (a personal field, or inside one)."""
    at = re.sub(r"\[\d+\]", "[]", path)
    at = "" if at == "detail" else at.removeprefix("detail.")
    found: dict[str, Treatment] = {}
    for field, treatment in personal.items():
        if at == field or at.startswith((f"{field}.", f"{field}[]")):
            found[""] = treatment
        elif not at or field.startswith((f"{at}.", f"{at}[]")):
            found[field[len(at) :].lstrip(".")] = treatment
    return found


def mask_under(value: Any, personal: Mapping[str, Treatment]) -> Any:
    """A value with the personal fields personal_under found in it masked."""
    if "" in personal:
        return mask_value(value, personal[""])
    rebased = {(f"x{p}" if p.startswith("[]") else f"x.{p}"): t for p, t in personal.items()}
    return mask_personal({"x": value}, rebased)["x"]


def leaves(value: Any, limit: int = 100) -> Iterator[Any]:
    """Up to `limit` strings and numbers of a value, in order (for masking them in messages)."""
    todo = [value]
    count = 0
    while todo and count < limit:
        item = todo.pop()
        if isinstance(item, dict):
            todo += reversed(list(item.values()))
        elif isinstance(item, list | tuple):
            todo += reversed(item)
        elif item is not None and not isinstance(item, bool):
            count += 1
            yield item


def redact(text: str) -> str:
    """`text` with caller numbers, IP addresses and softphone URLs masked."""
    pieces: list[str] = []
    done = 0  # text[:done] is in pieces
    pos = 0
    search = _GATE.search
    while (m := search(text, pos)) is not None:
        found = _find(text, m, done)
        if found is None:
            pos = m.start() + 1
            continue
        start, end, replacement = found
        pieces += (text[done:start], replacement)
        done = pos = max(end, m.start() + 1)
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


# --- structured values: the one masking of a detail -----------------------------------------

# A string made only of these characters cannot hold a sign the scan looks for (each needs a
# digit, '@', ':' or '"'), so it is left as it is without a scan.
_PLAIN = string.ascii_letters + " \t\n_-.,;!?()[]{}'/+*&%#$=<>|~^`\\"
# Shapes the scan never changes (a test checks it on generated strings of these shapes): an
# ISO 8601 time, a UUID, a number written as text. Most strings of a detail are one of them.
_NOTHING_TO_MASK = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)?"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|-?[0-9]+(?:\.[0-9]+)?"
    r"|\[IPv[46]\]"
)


def _redacted_text(text: str) -> str:
    if not text.strip(_PLAIN) or _NOTHING_TO_MASK.fullmatch(text):
        return text
    return redact(text)


def _labelled(key: str, value: Any) -> Any:
    """A value under a labelled key, masked as the scan masks it in a JSON line: a number as a
    caller id, a string as a softphone URL or a caller id."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        shown = _caller_id(str(value))
        return value if shown == str(value) else shown  # a number nothing hides stays one
    if isinstance(value, str):
        return _url(value) if key != "callerId" else _caller_id(value)
    return value


def _leaf(key: str | None, value: Any) -> Any:
    """A string or a value under a labelled key as redacted; any other value as it is."""
    if key in LABELLED_KEYS:
        value = _labelled(key, value)
    return _redacted_text(value) if isinstance(value, str) else value


def _needs_redaction(value: Any) -> bool:
    """Whether redact_value would change anything in `value` (iterative: any depth)."""
    todo = [value]
    text = _redacted_text
    while todo:
        item = todo.pop()
        kind = type(item)
        if kind is dict:
            for key, child in item.items():
                if type(key) is not str or (not key.isalnum() and text(key) != key):
                    return True
                kind = type(child)
                if kind is dict or kind is list:
                    todo.append(child)
                elif key in _LABELS:
                    if _leaf(key, child) != child:
                        return True
                elif kind is str and text(child) != child:
                    return True
        elif kind is list:
            for child in item:
                kind = type(child)
                if kind is str:
                    if text(child) != child:
                        return True
                elif kind is dict or kind is list:
                    todo.append(child)
        elif kind is str:
            return bool(text(item) != item)
        elif isinstance(item, dict | list):  # a subclass: the full walk decides
            return True
    return False


def redact_value(value: Any) -> Any:
    """A JSON value with the free-text patterns masked in every string (keys too), and a value
    under a labelled key (callerId, softphoneUrl) masked as in a JSON line. A value with
    nothing to mask is returned as it is; otherwise a copy."""
    if not _needs_redaction(value):
        return value
    root: list[Any] = [None]
    todo: list[tuple[Any, Any, Any, Any]] = [(root, 0, None, value)]
    while todo:  # iterative: a value of any depth
        parent, slot, key, item = todo.pop()
        if isinstance(item, dict):
            parent[slot] = copy = dict[str, Any]()
            for k, v in item.items():
                shown = _redacted_text(str(k))
                copy[shown] = None
                todo.append((copy, shown, str(k), v))
        elif isinstance(item, list):
            parent[slot] = items = [None] * len(item)
            todo += [(items, i, None, v) for i, v in enumerate(item)]
        else:
            parent[slot] = _leaf(key, item)
    return root[0]


def masked_detail(detail: Any, personal: Mapping[str, Treatment]) -> Any:
    """A detail as the log and the archive may show it with redaction on: the type's personal
    fields masked by path, then the free-text patterns in every string. The one place those
    rules meet, so that the log and the archive cannot drift apart."""
    return redact_value(mask_personal(detail, personal))

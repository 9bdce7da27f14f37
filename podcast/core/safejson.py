"""JSON from anywhere, read one way: its size and its nesting are capped before it is parsed
(Python's parser recurses, so 100,000 opening brackets would end in a RecursionError), and
its numbers are numbers: NaN and Infinity are refused, and so are values that overflow to
infinity (1e400) and integers too long to be a time, a size or a count.

Every JSON reader of the tool goes through `loads`: a feed's chapters, a transcript, a
marker file, the model hub's file list, the review page's save, and the build's own files.
A problem is a `JsonProblem`, a ValueError with a one-line message, which each reader turns
into its own error naming the file.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

MAX_DEPTH = 64  # what a chapters file, a transcript or a file list needs is 3 or 4
OURS = 1 << 30  # the size cap of the tool's own build files: none that matters
MAX_DIGITS = 20  # an integer longer than this is no time, size or count the tool reads
_ESCAPE = re.compile(rb"\\.", re.DOTALL)  # \" \\ \n…: gone first, so a quote always opens or closes
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STRING = re.compile(rb'"[^"]*"')  # once escapes are gone, what is left of a string's content
_PAIR = re.compile(rb"\[\]|\{\}")


class JsonProblem(ValueError):
    """JSON that is not read: too large, too deep, not UTF-8, malformed, a number out of range."""


def loads(data: str | bytes, *, limit: int, depth: int = MAX_DEPTH) -> Any:
    """The value of the JSON text `data`, at most `limit` bytes long and `depth` levels deep."""
    if len(data) > limit:
        raise JsonProblem(f"over {_size(limit)}")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JsonProblem(f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    deepest = nesting(data)
    if deepest > depth:
        raise JsonProblem(f"nested {deepest:,} levels deep (at most {depth} are read)")
    try:
        return json.loads(data, parse_float=_float, parse_int=_int, parse_constant=_constant)
    except JsonProblem:
        raise
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"not JSON ({exc.msg}, line {exc.lineno} column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # a bracket our count missed would still end here
        raise JsonProblem(f"not JSON ({exc})") from None


def nesting(text: str | bytes, most: int = MAX_DEPTH) -> int:
    """How deeply the arrays and objects of `text` nest (brackets inside strings do not
    count); exact up to `most`, and beyond it too, at some cost. Done with C-speed passes
    (about half the time json.loads takes), not a Python loop over the text."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if b"\\" in data:
        data = _ESCAPE.sub(b"", data)
    # Quotes and brackets only; two quotes side by side end one string and open the next (or
    # make an empty one): dropping them joins string contents, which are dropped next anyway.
    brackets = _STRING.sub(b"", data.translate(None, _NOT_STRUCTURE).replace(b'""', b""))
    depth = 0
    while brackets and depth <= most:  # one level a pass, innermost first
        inner = _PAIR.sub(b"", brackets)
        if inner == brackets:  # unbalanced: json.loads will say where
            break
        brackets, depth = inner, depth + 1
    if not brackets:
        return depth
    return depth + max(0, *itertools.accumulate(1 if c in b"[{" else -1 for c in brackets))


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonProblem(f"the number {_short(text)} is out of range")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise JsonProblem(f"the number {_short(text)} is out of range")
    return int(text)


def _constant(name: str) -> Any:
    raise JsonProblem(f"{name} is not a number JSON allows")


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:12]}…({len(text)} characters)"


def _size(limit: int) -> str:
    return f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit:,} bytes"

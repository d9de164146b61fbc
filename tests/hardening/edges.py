"""Hypothesis strategies for the edge-value property test: requests built from the OpenAPI.

Each route of `/openapi.json` becomes one request strategy: path parameters from the seeded
world (now and then an edge value), query parameters and JSON or multipart bodies generated
from their schemas, where every leaf is a plausible value or an edge value: times at the
ends of the representable range, control and full-width characters, huge numbers, empty
and oversized strings, the wrong JSON type.
"""

from __future__ import annotations

import gzip
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from app.core.pagination import encode_cursor

Schema = dict[str, Any]

EDGE_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "1970-01-01T00:00:00Z",
    "2026-11-20T10:00:00",  # no zone
    "２０２６-１１-２０T10:00:00Z",  # full-width digits
]
EDGE_TEXT = [
    "",
    " ",
    "\x00",
    "nul\x00inside",
    "\x1b[31mred",
    "line\nbreak",
    "\u202eevil",
    "\ud800",  # a lone surrogate
    "１３８００００００００１",  # full-width digits
    "＋８６ １３８ ０００ ００２０１",
    '=HYPERLINK("http://x")',
    "é" * 300,
    "🙂" * 100,
    "'; DROP TABLE account; --",
    "../../etc/passwd",
]
EDGE_NUMBERS: list[Any] = [
    0,
    -1,
    2**31,
    2**63,
    -(2**63) - 1,
    10**30,
    1e308,
    -1e308,
    5e-324,
    1.5,
]
WRONG_TYPES: list[Any] = [None, True, [], {}, [None], {"": None}]
EDGE_QUERY = [
    *EDGE_TIMES,
    *(t for t in EDGE_TEXT if t != "\ud800"),  # a URL cannot carry a lone surrogate
    "x" * 5_000,
    "99999999999999999999999",
    "-1",
    "1e308",
    "NaN",
    "inf",
    encode_cursor(["9999-12-31T23:59:59-14:00", str(uuid.uuid4())]),
    encode_cursor([10**30]),
    encode_cursor(["\x00"]),
    encode_cursor([None, None, None]),
    "bm90IGpzb24",  # "not json"
]
# Past every max_length (and the 64 KiB a form field may hold); built when drawn, so no
# strategy's repr carries it.
OVERSIZED = st.sampled_from([5_000, 70_000]).map(lambda length: "x" * length)
ANY_EDGE = st.sampled_from([*EDGE_TIMES, *EDGE_TEXT, *EDGE_NUMBERS, *WRONG_TYPES]) | OVERSIZED
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-14))])


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None  # sent as JSON text with `\\uXXXX` escapes, lone surrogates included
    files: dict[str, Any] | None = None
    data: dict[str, str] | None = None
    encoding: str = "json"  # ingestion also takes NDJSON and gzip: "ndjson", "gzip", "bad-gzip"

    def body(self) -> tuple[bytes, dict[str, str]]:
        """The JSON body as sent: escaped (lone surrogates, NaN, 1e308 as a client may send
        them), as NDJSON lines, or gzipped (a broken gzip stream too)."""
        if self.encoding == "ndjson":
            lines = self.json.get("events") if isinstance(self.json, dict) else None
            lines = lines if isinstance(lines, list) else [self.json]
            ndjson = "\n".join(json.dumps(line) for line in lines).encode()
            return ndjson, {"Content-Type": "application/x-ndjson"}
        raw = json.dumps(self.json).encode()
        headers = {"Content-Type": "application/json"}
        if self.encoding == "gzip":
            return gzip.compress(raw), {**headers, "Content-Encoding": "gzip"}
        if self.encoding == "bad-gzip":
            return gzip.compress(raw)[:-9], {**headers, "Content-Encoding": "gzip"}
        return raw, headers

    def short(self) -> str:
        shown = repr(self.json if self.files is None else (self.data, list(self.files)))
        return f"{self.method} {self.path} {self.params} {self.encoding} {shown[:400]}"


class Generator:
    """Strategies for one OpenAPI document, with real ids for the path parameters."""

    def __init__(self, spec: Schema, path_values: dict[str, str], ids: list[str]) -> None:
        self.spec = spec
        self.path_values = path_values
        self.ids = ids

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.spec["components"]["schemas"][name]
        return schema

    def edge(self, schema: Schema) -> st.SearchStrategy[Any]:
        kind = self.resolve(schema).get("type")
        if kind in ("integer", "number"):
            return st.sampled_from(EDGE_NUMBERS) | st.integers()
        if kind in ("array", "object"):
            return st.sampled_from(WRONG_TYPES)
        return st.sampled_from([*EDGE_TIMES, *EDGE_TEXT]) | OVERSIZED | st.sampled_from(WRONG_TYPES)

    def value(self, schema: Schema, name: str = "", depth: int = 0) -> st.SearchStrategy[Any]:
        """A plausible value (first, so the first example gets past validation to the
        service), the same with one leaf swapped for an edge value (so edges reach the code
        behind validation), or an edge value for the whole."""
        plausible = self.plausible(schema, name, depth)
        one_edge = st.tuples(plausible, st.integers(0, 10**6), ANY_EDGE).map(_swap_one_leaf)
        return plausible | one_edge | self.edge(schema)

    def plausible(self, schema: Schema, name: str, depth: int) -> st.SearchStrategy[Any]:
        schema = self.resolve(schema)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                branches = [b for b in schema[key] if self.resolve(b).get("type") != "null"]
                return st.one_of([self.plausible(b, name, depth) for b in branches or schema[key]])
        if "allOf" in schema:
            return self.plausible(schema["allOf"][0], name, depth)
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if "const" in schema:
            return st.just(schema["const"])
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return self.obj(schema, depth)
        if kind == "array":
            item = self.plausible(schema.get("items", {}), name, depth + 1)
            return st.lists(item, max_size=0 if depth > 2 else 2)
        if kind == "integer":
            low, high = schema.get("minimum", 1), schema.get("maximum")
            return st.integers(min_value=low, max_value=high)
        if kind == "number":
            return st.floats(allow_nan=False, allow_infinity=False)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        return self.text(schema, name)

    def text(self, schema: Schema, name: str) -> st.SearchStrategy[Any]:
        fmt, lowered = schema.get("format"), name.lower()
        if fmt == "date-time" or lowered.endswith("_at") or lowered in ("at", "from", "to"):
            return st.datetimes(timezones=ZONES).map(datetime.isoformat)
        if fmt == "date" or lowered.endswith("_on"):
            return st.dates().map(lambda d: d.isoformat())
        if fmt == "uuid" or lowered.endswith("_id") or lowered in ("user", "lesson", "person"):
            return st.sampled_from(self.ids)
        if "phone" in lowered:
            return st.sampled_from(["+8613800000777", "13800000778", "+12015550123"])
        return st.sampled_from(["demo", "A1", "1"]) | st.text(max_size=12)

    def obj(self, schema: Schema, depth: int) -> st.SearchStrategy[dict[str, Any]]:
        props: dict[str, Schema] = schema.get("properties", {})
        required = set(schema.get("required", []))
        fixed = {k: self.plausible(v, k, depth + 1) for k, v in props.items() if k in required}
        optional = {
            k: self.plausible(v, k, depth + 1) for k, v in props.items() if k not in required
        }
        return st.fixed_dictionaries(fixed, optional=optional)

    def request(self, method: str, path: str, op: Schema) -> st.SearchStrategy[Request]:
        content = op.get("requestBody", {}).get("content", {})
        encodings = ["json", "ndjson", "gzip", "bad-gzip"]
        return st.builds(
            Request,
            method=st.just(method.upper()),
            path=self.path(path, op),
            params=self.query(op),
            json=self.json_body(op),
            encoding=st.sampled_from(encodings if "application/x-ndjson" in content else ["json"]),
            **self.form(op),
        )

    def path(self, path: str, op: Schema) -> st.SearchStrategy[str]:
        names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        real = {n: self.path_values.get(n, str(uuid.uuid5(uuid.NAMESPACE_URL, n))) for n in names}
        edgy = st.sampled_from(["0", "１", "99999999999999999999", "%00", "x" * 300, "-"])
        parts = {n: st.sampled_from([v] * 6) | edgy for n, v in real.items()}  # mostly real
        return st.fixed_dictionaries(parts).map(lambda found: path.format(**found))

    def query(self, op: Schema) -> st.SearchStrategy[dict[str, str]]:
        params = [p for p in op.get("parameters", []) if p["in"] == "query"]
        options = {
            p["name"]: self.plausible(p.get("schema", {}), p["name"], 0).map(_query_text)
            | st.sampled_from(EDGE_QUERY)
            for p in params
        }
        return st.fixed_dictionaries({}, optional=options)

    def _body(self, op: Schema, media: str) -> Schema | None:
        content = op.get("requestBody", {}).get("content", {})
        found: Schema | None = content.get(media, {}).get("schema")
        return found

    def json_body(self, op: Schema) -> st.SearchStrategy[Any]:
        schema = self._body(op, "application/json")
        return st.none() if schema is None else self.value(schema)

    def form(self, op: Schema) -> dict[str, st.SearchStrategy[Any]]:
        schema = self._body(op, "multipart/form-data")
        if schema is None:
            return {}
        props = self.resolve(schema).get("properties", {})
        files, fields = {}, {}
        for name, prop in props.items():
            prop = self.resolve(prop)
            if prop.get("format") == "binary" or prop.get("contentMediaType"):
                files[name] = st.tuples(
                    st.sampled_from(["lesson.mp4", "", "a\x00b.csv", "..", "x" * 300]),
                    st.sampled_from([b"", b"\x00" * 64, b"PK\x03\x04junk", b"id,name\n1,=cmd\n"]),
                    st.sampled_from(["video/mp4", "text/html", "application/zip", ""]),
                )
            else:
                fields[name] = self.value(prop, name).map(_query_text).filter(_encodable)
        return {
            "files": st.fixed_dictionaries(files),
            "data": st.fixed_dictionaries({}, optional=fields),
        }


def _swap_one_leaf(drawn: tuple[Any, int, Any]) -> Any:
    """The plausible value with its `index`-th leaf (mod the leaf count) replaced by `edge`."""
    value, index, edge = drawn
    paths = list(_leaves(value, ()))
    if not paths:
        return edge
    return _replaced(value, paths[index % len(paths)], edge)


def _leaves(value: Any, path: tuple[Any, ...]) -> Any:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    else:
        yield path


def _replaced(value: Any, path: tuple[Any, ...], edge: Any) -> Any:
    if not path:
        return edge
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, edge)}
    return [_replaced(item, rest, edge) if i == head else item for i, item in enumerate(value)]


def _encodable(text: str) -> bool:
    return "\ud800" not in text


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)

"""The OneRoster filter grammar, parsed by lark and compiled to SQLAlchemy on whitelisted fields.

`filter=familyName='Smith' AND dateLastModified>'2026-01-01'`: a field, an operator
(= != > >= < <= ~) and a single-quoted value, joined by AND (binding tighter) and OR.
Nothing of the text reaches SQL but bound values; an unknown field or a malformed filter
is a `StatusInfoError` (400) naming it.
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError
from sqlalchemy import Boolean, ColumnElement, Date, DateTime, Integer, Uuid, and_, false, or_
from sqlalchemy.sql.type_api import TypeEngine

from app.core.ids import parse_id
from app.oneroster.errors import StatusInfoError

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr ("OR" and_expr)*
?and_expr: comparison ("AND" comparison)*
comparison: FIELD OP VALUE
FIELD: /[A-Za-z][A-Za-z0-9_.]*/
OP: ">=" | "<=" | "!=" | "=" | ">" | "<" | "~"
VALUE: /'[^']*'/
%import common.WS
%ignore WS
"""
_PARSER = Lark(GRAMMAR, parser="lalr", lexer="contextual")

Columns = Mapping[str, ColumnElement[Any]]


def parse(text: str) -> Tree[Token]:
    try:
        return _PARSER.parse(text)
    except LarkError as exc:
        raise StatusInfoError(400, "invalid_filter_field", f"malformed filter: {exc}") from None


def compile_filter(text: str, columns: Columns) -> ColumnElement[bool]:
    return _compile(parse(text), columns)


def _compile(tree: Tree[Token], columns: Columns) -> ColumnElement[bool]:
    if tree.data == "or_expr":
        return or_(*(_compile(child, columns) for child in _trees(tree)))
    if tree.data == "and_expr":
        return and_(*(_compile(child, columns) for child in _trees(tree)))
    field, op, raw = (str(token) for token in tree.children)
    column = columns.get(field)
    if column is None:
        raise StatusInfoError(400, "invalid_filter_field", f"cannot filter on {field!r}")
    return _comparison(column, op, raw[1:-1], field)


def _trees(tree: Tree[Token]) -> list[Tree[Token]]:
    return [child for child in tree.children if isinstance(child, Tree)]


def _comparison(column: ColumnElement[Any], op: str, text: str, field: str) -> ColumnElement[bool]:
    if op == "~":
        if _is_typed(column.type):
            raise StatusInfoError(400, "invalid_filter_field", f"'~' needs a text field: {field}")
        contains: ColumnElement[bool] = column.icontains(text, autoescape=True)
        return contains
    value = _value(column.type, text, field)
    if value is _NO_MATCH:
        return false() if op != "!=" else column.is_not(None)
    if isinstance(value, bool) and op not in ("=", "!="):
        raise StatusInfoError(400, "invalid_filter_field", f"{field} takes only = or !=")
    compared: ColumnElement[bool] = OPERATORS[op](column, value)
    return compared


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_NO_MATCH = object()  # an id that is no id matches nothing


def _is_typed(kind: TypeEngine[Any]) -> bool:
    return isinstance(kind, Uuid | DateTime | Date | Boolean | Integer) or _is_datetime(kind)


def _is_datetime(kind: TypeEngine[Any]) -> bool:
    impl = getattr(kind, "impl", None)
    return isinstance(impl, DateTime)


def _value(kind: TypeEngine[Any], text: str, field: str) -> Any:
    try:
        if isinstance(kind, Uuid):
            parsed: uuid.UUID | None = parse_id(text)
            return _NO_MATCH if parsed is None else parsed
        if isinstance(kind, DateTime) or _is_datetime(kind):
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if isinstance(kind, Date):
            return date.fromisoformat(text)
        if isinstance(kind, Integer):
            return int(text)
        if isinstance(kind, Boolean):
            return {"true": True, "false": False}[text.lower()]
    except (ValueError, KeyError):
        raise StatusInfoError(
            400, "invalid_filter_field", f"{field}: {text!r} is not a value of this field"
        ) from None
    return text

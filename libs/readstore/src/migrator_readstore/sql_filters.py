"""Translating the portable filter subset into SQLite SQL over JSON documents (bound parameters only)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_FIELD = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
_COMPARISONS = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">="}


def field_expr(name: str) -> str:
    """The SQL expression for a (dotted) document field; ``_id`` is the key column."""
    if name == "_id":
        return "_id"
    if not _FIELD.match(name):
        raise ValueError(f"invalid field name {name!r}")
    return f"json_extract(doc, '$.{name}')"


def sql_value(value: Any) -> Any:
    """Python value → what json_extract yields for it (JSON booleans come back as 1/0)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dict, list)):
        raise ValueError("filters compare scalars only")
    return value


def where_sql(where: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
    """``(sql, params)`` for a filter; ``"1"`` when there is none."""
    clauses: list[str] = []
    params: list[Any] = []
    for name, condition in (where or {}).items():
        expr = field_expr(name)
        if isinstance(condition, Mapping):
            for op, operand in condition.items():
                clause, values = _operator(expr, name, op, operand)
                clauses.append(clause)
                params.extend(values)
        elif condition is None:
            clauses.append(f"{expr} IS NULL")  # like MongoDB: null or missing
        else:
            clauses.append(f"{expr} = ?")
            params.append(sql_value(condition))
    return (" AND ".join(clauses) or "1"), params


def _operator(expr: str, name: str, op: str, operand: Any) -> tuple[str, list[Any]]:
    if op in _COMPARISONS:
        return f"{expr} {_COMPARISONS[op]} ?", [sql_value(operand)]
    if op == "$in":
        values = [sql_value(v) for v in operand]
        if not values:
            return "0", []
        return f"{expr} IN ({', '.join('?' for _ in values)})", values
    if op == "$ne":
        if operand is None:
            return f"{expr} IS NOT NULL", []
        return f"({expr} IS NULL OR {expr} != ?)", [sql_value(operand)]
    if op == "$exists":
        path = "'$'" if name == "_id" else f"'$.{name}'"
        return (f"json_type(doc, {path}) IS {'NOT ' if operand else ''}NULL"), []
    raise ValueError(f"unsupported filter operator {op}")


def order_sql(sort: Any) -> str:
    """``ORDER BY`` for ``[(field, 1 | -1)]`` (empty: insertion order)."""
    parts = [f"{field_expr(f)} {'DESC' if d < 0 else 'ASC'}" for f, d in sort]
    return f" ORDER BY {', '.join(parts)}" if parts else " ORDER BY rowid"


def set_sql(fields: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """``json_set(doc, ...)`` replacing each top-level field (MongoDB ``$set`` semantics)."""
    import json

    args: list[str] = []
    params: list[Any] = []
    for name, value in fields.items():
        if name == "_id" or not re.match(r"^[A-Za-z0-9_]+$", name):
            raise ValueError(f"invalid top-level field {name!r}")
        args.append(f"'$.{name}', json(?)")
        params.append(json.dumps(value))
    return f"json_set(doc, {', '.join(args)})", params

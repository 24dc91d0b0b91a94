"""A refused request says what is wrong in the API's words, whether the bus or HTTP refused it."""

from __future__ import annotations

import pytest
from migrator_platform.rpc import describe
from pydantic import BaseModel, ValidationError

pytestmark = pytest.mark.unit


class Target(BaseModel):
    path: str
    limit: int


class Request(BaseModel):
    target: Target
    name: str


def errors() -> list[dict[str, object]]:
    with pytest.raises(ValidationError) as refused:
        Request.model_validate({"target": {"limit": "many"}})
    return list(refused.value.errors())  # type: ignore[arg-type]


def test_each_problem_is_named_by_its_field_path() -> None:
    assert describe(errors()) == (
        "target.path: Field required; target.limit: Input should be a valid integer, unable to parse "
        "string as an integer; name: Field required"
    )


def test_over_http_where_in_the_request_is_left_out_but_a_field_named_like_it_is_kept() -> None:
    located = [{**e, "loc": ("body", *e["loc"])} for e in errors()]  # as FastAPI reports them
    assert describe(located, located=True) == describe(errors())
    assert describe([{"loc": ("query", "limit"), "msg": "too big"}], located=True) == "limit: too big"


def test_no_more_than_five_problems_are_listed() -> None:
    many = [{"loc": (f"f{i}",), "msg": "bad"} for i in range(8)]
    assert describe(many) == "; ".join(f"f{i}: bad" for i in range(5))

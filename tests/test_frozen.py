"""`@frozen` (backpain_cli/frozen.py) behaves as dataclass(frozen=True) does.

Each class below is made twice, by `@frozen` and by the standard library, and the same
values are compared through both: ==, !=, hash, repr, immutability, and what the
dataclasses functions see. The package's own classes are then checked to be made by it.
"""

from __future__ import annotations

import ast
import dataclasses
import math
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

import backpain_cli
from backpain_cli.frozen import frozen

T = TypeVar("T")
PACKAGE = Path(backpain_cli.__file__).parent


def both(body: dict[str, Any], annotations: dict[str, Any],
         bases: tuple[type, ...] = ()) -> tuple[type, type]:
    """The class `body` describes, made by @frozen and by dataclass(frozen=True)."""
    def make(decorate: Any) -> type:
        namespace = {"__annotations__": dict(annotations), **body}
        return decorate(type("Made", bases, namespace))  # type: ignore[no-any-return]

    return make(frozen), make(dataclasses.dataclass(frozen=True))


SHAPES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "none": ({}, {}),
    "one": ({}, {"a": Any}),
    "three": ({"c": ()}, {"a": Any, "b": Any, "c": Any}),
    "options": ({"b": dataclasses.field(default=0, compare=False),
                 "c": dataclasses.field(default=0, repr=False),
                 "d": dataclasses.field(default=0, hash=False)},
                {"a": Any, "b": Any, "c": Any, "d": Any}),
}
VALUES = st.one_of(st.integers(), st.floats(allow_nan=True), st.text(max_size=5),
                   st.none(), st.tuples(st.integers()), st.booleans())


@pytest.mark.parametrize("shape", SHAPES)
@given(data=st.data())
def test_equality_hash_and_repr_as_dataclasses_make_them(shape: str, data: Any) -> None:
    body, annotations = SHAPES[shape]
    ours, theirs = both(body, annotations)
    names = list(annotations)
    first = data.draw(st.lists(VALUES, min_size=len(names), max_size=len(names)))
    second = data.draw(st.one_of(st.just(first),
                                 st.lists(VALUES, min_size=len(names), max_size=len(names))))
    a, b = ours(*first), ours(*second)
    x, y = theirs(*first), theirs(*second)
    assert (a == b) == (x == y)
    assert (a != b) == (x != y)
    assert (a == a) == (x == x)  # a NaN field: the same object equals itself
    assert repr(a) == repr(x)
    hashable = all(not isinstance(v, float) or not math.isnan(v) for v in first)
    if hashable:
        assert hash(a) == hash(x)
    assert (a == first) is False and (a == x) is False  # another class is never equal


def test_immutability_and_the_dataclasses_functions() -> None:
    ours, _ = both({"c": ()}, {"a": Any, "b": Any, "c": Any})
    value: Any = ours(1, "two")
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.a = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        del value.a
    assert [f.name for f in dataclasses.fields(value)] == ["a", "b", "c"]
    assert dataclasses.replace(value, b="three") == ours(1, "three")
    assert dataclasses.asdict(value) == {"a": 1, "b": "two", "c": ()}
    assert dataclasses.is_dataclass(value)
    assert ours.__eq__.__qualname__ == "Made.__eq__"
    assert ours.__match_args__ == ("a", "b", "c")  # type: ignore[attr-defined]


def test_a_subclass_inherits_fields_and_is_never_equal_to_its_base() -> None:
    @frozen
    class Base:
        a: int

    @frozen
    class Child(Base):
        b: int = 0

    assert Child(1, 2) == Child(1, 2) and Child(1) != Base(1) and Base(1) != Child(1)
    assert repr(Child(1, 2)) == "test_a_subclass_inherits_fields_and_is_never_equal_to_its_" \
        "base.<locals>.Child(a=1, b=2)"
    assert hash(Child(1, 2)) == hash((1, 2))


def test_a_generic_class_and_a_recursive_value() -> None:
    @frozen
    class Box(Generic[T]):
        items: Any

    box = Box[int]([1])
    box.items.append(box)
    assert repr(box).endswith("Box(items=[1, ...])")
    assert Box([1]) == Box([1]) and hash(Box((1,))) == hash(((1,),))


@pytest.mark.parametrize("own", [
    {"__repr__": lambda self: "mine"},
    {"__eq__": lambda self, other: True},  # __hash__ made from the fields, as dataclasses do
    {"__eq__": lambda self, other: True, "__hash__": lambda self: 7},
    {"__hash__": lambda self: 7},
])
def test_methods_the_class_defines_itself_are_kept_as_dataclasses_keep_them(
        own: dict[str, Any]) -> None:
    ours, theirs = both(dict(own), {"a": Any})
    a, b, x, y = ours(1), ours(2), theirs(1), theirs(2)
    assert repr(a).replace("Made", "") == repr(x).replace("Made", "")
    assert (a == b, hash(a)) == (x == y, hash(x))


def test_every_frozen_class_of_the_package_is_made_by_frozen() -> None:
    """One way to make a frozen record: a `@dataclass(frozen=True)` would compile its
    methods again (the start-up budget), so none is left."""
    left = [f"{path.relative_to(PACKAGE)}:{node.lineno}"
            for path in sorted(PACKAGE.rglob("*.py"))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "dataclass"
            and any(k.arg == "frozen" for k in node.keywords)]
    assert left == []

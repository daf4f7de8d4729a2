"""`@frozen`: the package's frozen dataclass, with ==, hash and repr shared rather than compiled.

Python 3.11's dataclasses write each generated method as source text and compile it: six
for a frozen class (__init__, __repr__, __eq__, __hash__, __setattr__, __delattr__), about
0.35 ms a class. The package has some 130 frozen classes and `review SESSION` imports 72
of them, so compiling came to a quarter of its start-up budget (12 times a bare interpreter
start, docs/performance in the README). `@frozen` lets dataclasses make __init__ and the
frozen __setattr__/__delattr__ as usual, and gives each class ==, hash and repr made from
closures over its field names, which cost nothing to make (Python 3.13 compiles a class's
methods in one go, which would make this unnecessary).

They behave as dataclass(frozen=True)'s own (tests/test_frozen.py compares the two on the
same values): equal when of the same class with equal field values compared as a tuple (so
the same NaN object equals itself), the hash of that tuple, and `Name(field=value, ...)`
with a recursive value shown as `...`; the fields' compare, hash and repr options are
honoured, and so is an __eq__, __hash__ or __repr__ the class defines itself.
`dataclasses.fields`, `replace`, `asdict` and `is_dataclass` see a dataclass. A class
without a docstring gets `Name(field, ...)`, without the types dataclasses would add.
"""

from __future__ import annotations

import dataclasses
import inspect
import operator
import reprlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


def _values(names: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of these attributes of an object (attrgetter gives a bare value for one)."""
    if not names:
        return lambda _: ()
    if len(names) == 1:
        get = operator.attrgetter(names[0])
        return lambda obj: (get(obj),)
    return operator.attrgetter(*names)


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def frozen(cls: type[T]) -> type[T]:
    """`cls` as `dataclass(frozen=True)` makes it, with shared ==, hash and repr."""
    # What the class defines itself stays, as with dataclasses: an __eq__ or __repr__ of its
    # own, and a __hash__ of its own (not the None that defining __eq__ implies).
    body = dict(cls.__dict__)
    own_hash = "__hash__" in body and not (body["__hash__"] is None and "__eq__" in body)
    if cls.__doc__ is None:
        # dataclasses would write `Name(field: type, ...)` as the docstring, through
        # inspect.signature (about 0.05 ms a class); the fields' names do as well.
        cls.__doc__ = f"{cls.__name__}({', '.join(inspect.get_annotations(cls))})"
    made = dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)
    fields = dataclasses.fields(made)  # type: ignore[arg-type]
    compared = _values([f.name for f in fields if f.compare])
    hashed = _values([f.name for f in fields if (f.compare if f.hash is None else f.hash)])
    shown = [f.name for f in fields if f.repr]

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return bool(compared(self) == compared(other))
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inner})"

    for method in (__eq__, __hash__, __repr__):
        name = method.__name__
        if name in body and (name != "__hash__" or own_hash):
            continue
        method.__qualname__ = f"{made.__qualname__}.{name}"
        setattr(made, name, method)
    return made

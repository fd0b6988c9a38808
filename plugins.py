"""Plug-in points: small classes registered by name, like urlwatch's filters and reporters.

A plug-in point (page judges, noise rules, notifiers, report formats) is a subclass of
Plugin with a Registry of its own. Every subclass of it that sets `name` registers itself
when its module is imported; the config names a registered class by its name, or any
class by its import path ("package.module:ClassName"), which also works in the child
processes of a big crawl.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar, Generic, TypeVar

from .errors import BadInput

T = TypeVar("T", bound=type)


class UnknownPlugin(BadInput):
    """A name in the config that is neither registered nor an importable class of the right kind."""


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind  # "page judge", "notifier", ...: for messages
        self.base: type | None = None  # the plug-in point, set when it is defined
        self._classes: dict[str, T] = {}

    def add(self, cls: T) -> None:
        name = getattr(cls, "name", None)
        if name:
            self._classes[name] = cls

    def names(self) -> list[str]:
        return list(self._classes)

    def classes(self) -> list[T]:
        return list(self._classes.values())

    def get(self, spec: str, key: str) -> T:
        """The class that `spec` names (a registered name or "module:Class"); `key` is the
        config key that named it, for the error message."""
        if spec in self._classes:
            return self._classes[spec]
        if ":" not in spec:
            raise UnknownPlugin(f"{key}: no {self.kind} named {spec!r} (known: {', '.join(self._classes)}; "
                                "or give a class as 'package.module:ClassName')")
        module_name, _, class_name = spec.partition(":")
        try:
            found = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as error:
            raise UnknownPlugin(f"{key}: cannot load {spec!r}: {error}") from None
        base = self.base or object
        if not (isinstance(found, type) and issubclass(found, base)):
            raise UnknownPlugin(f"{key}: {spec!r} is not a {self.kind} (a subclass of {base.__qualname__})")
        return found  # type: ignore[return-value]


class Plugin:
    """A plug-in point when it sets `registry`; a plug-in of that point when it sets `name`."""

    name: ClassVar[str] = ""
    registry: ClassVar[Registry[Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "registry" in cls.__dict__:
            cls.registry.base = cls
        else:
            cls.registry.add(cls)

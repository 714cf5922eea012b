"""Who is asking: the type every selector and service takes as ``user``.

A structural type, so ``common`` does not import ``users``: the logged-in ``users.User``,
Django's ``AnonymousUser`` (``pk`` None, not authenticated) or None for system callers.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias


class _Caller(Protocol):
    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...


Viewer: TypeAlias = _Caller | None

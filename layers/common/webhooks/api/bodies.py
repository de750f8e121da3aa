"""What every request and response body of the API shares."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict


# Models build their validators on first use (defer_build), so a cold start pays only for the route it serves.
class Output(BaseModel):
    model_config = ConfigDict(defer_build=True)

    @classmethod
    def from_fields(cls, source: object, **overrides: Any) -> Self:
        """The view of a domain object: each field this view declares, read from the object's field of the
        same name, unless given in `overrides`. Only declared fields are read, so nothing else of the
        object (a secret, say) can reach an answer."""
        names = [name for name in cls.model_fields if name not in overrides and hasattr(source, name)]
        return cls.model_validate({name: getattr(source, name) for name in names} | overrides)


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

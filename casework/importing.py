"""Idempotent upserts of reference rows: unchanged rows are left alone, changed ones updated."""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models


@dataclass
class SyncResult:
    label: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_keys: list[Any] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def __str__(self) -> str:
        return (
            f"{self.label}: {self.total} rows "
            f"({self.created} created, {self.updated} updated, {self.unchanged} unchanged)"
        )


def sync_rows(
    *,
    label: str,
    queryset: models.QuerySet,
    key: Callable[[models.Model], Any],
    rows: Iterable[tuple[Any, dict[str, Any]]],
) -> SyncResult:
    """Make the rows of ``queryset`` match ``rows`` (key, field values), without deleting.

    Existing objects are matched by ``key(obj)``; only fields whose value differs are written,
    so a second run writes nothing.
    """
    model = queryset.model
    existing = {key(obj): obj for obj in queryset}
    result = SyncResult(label=label)
    to_create, to_update, update_fields = [], [], set()
    for row_key, values in rows:
        obj = existing.get(row_key)
        if obj is None:
            to_create.append(model(**values))
            result.created += 1
            continue
        differs = [name for name, value in values.items() if getattr(obj, name) != value]
        if differs:
            for name in differs:
                setattr(obj, name, values[name])
            update_fields.update(differs)
            to_update.append(obj)
            result.updated += 1
            result.changed_keys.append(row_key)
        else:
            result.unchanged += 1
    if to_create:
        model.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        model.objects.bulk_update(to_update, sorted(update_fields), batch_size=500)
    return result


class UnicodeJSONEncoder(json.JSONEncoder):
    """Store æ, ø and å as themselves, so that text lookups in JSON work on SQLite too."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)

"""Every write to the law register goes through these functions."""

import csv
import re
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from casework.importing import SyncResult, sync_rows
from casework.models import Organisation
from casework.services import organisations_import
from legal import hooks
from legal.choices import LimitKind
from legal.models import (
    LegalAct,
    Provision,
    ReferenceDataVersion,
    ScopeLimit,
    section_number,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
PROVISION_FILES = ("provisions.csv", "provisions_extra.csv")
_CHAPTER = re.compile(
    r"^(?P<label>(?:Kapittel|Kapitel|Kap\.?)\s*(?:\d+(?:\s?[A-Z](?=[.\s]|$))?|[IVXLC]+))"
    r"\.?\s*(?P<heading>.*)$"
)
REPEALED_HEADINGS = {"(opphevet)", "(oppheva)"}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def split_chapter(text: str) -> tuple[str, str]:
    """``Kapittel 3. Hjelpetiltak`` → (``Kapittel 3``, ``Hjelpetiltak``)."""
    match = _CHAPTER.match(text.strip())
    if not match:
        return "", text.strip()
    return match.group("label"), match.group("heading").strip()


def _provision_rows(rows: list[dict[str, str]], act_ids: dict[str, int]):
    order_in_act: dict[str, int] = {}
    for row in rows:
        lovdata_id = row["lovdata_id"]
        if lovdata_id not in act_ids:
            continue
        order_in_act[lovdata_id] = order_in_act.get(lovdata_id, 0) + 1
        chapter, chapter_heading = split_chapter(row["chapter"])
        key = Provision.key_for(lovdata_id, row["section"])
        yield (
            key,
            {
                "act_id": act_ids[lovdata_id],
                "chapter": chapter,
                "chapter_heading": chapter_heading,
                "section": row["section"],
                "section_number": section_number(row["section"]),
                "heading": row["heading"],
                "order": order_in_act[lovdata_id] * 10,
                "citation_key": key,
                "repealed": row["heading"].lower() in REPEALED_HEADINGS,
            },
        )


def _scope_limit_rows(rows, act_ids, provision_ids):
    for row in rows:
        act_id = act_ids[row["lovdata_id"]]
        provision_id = None
        if row["section"]:
            provision_id = provision_ids[Provision.key_for(row["lovdata_id"], row["section"])]
        kind = LimitKind(row["kind"])
        yield (
            (act_id, row["chapter"], provision_id, kind.value),
            {
                "act_id": act_id,
                "chapter": row["chapter"],
                "provision_id": provision_id,
                "kind": kind.value,
                "note": row["note"],
                "note_nn": row.get("note_nn", ""),
                "note_en": row.get("note_en", ""),
                "source": row["source"] or "forsøksloven § 4",
            },
        )


@transaction.atomic
def reference_data_load(
    *, data_dir: Path = DATA_DIR, progress: Callable[[str], None] = lambda message: None
) -> list[SyncResult]:
    """Load organisations, acts, provisions and § 4 limits; a second run changes nothing."""
    progress("Organisasjoner …")
    results = organisations_import(
        ministries=read_csv(data_dir / "ministries.csv"),
        local_governments=read_csv(data_dir / "organisations.csv"),
        language_forms=read_csv(data_dir / "language_forms.csv"),
    )
    for result in results:
        progress(f"  {result}")
    for message, load in (
        ("Lover og forskrifter …", _acts_load),
        ("Paragrafer …", _provisions_load),
        ("Begrensninger etter forsøksloven § 4 …", _scope_limits_load),
    ):
        progress(message)
        result = load(data_dir)
        results.append(result)
        progress(f"  {result}")
    if any(r.created or r.updated for r in results):
        reference_data_changed()
        for callback in hooks.reference_data_loaded:
            callback()
    return results


def reference_data_changed(**kwargs) -> None:
    """The law register's data changed (in the caller's transaction): its pages' version
    goes up. Called by the load above, and on every save or delete of an act, provision or
    limit (signal receiver; not for raw fixture loads, which bump once by hand if needed)."""
    if kwargs.get("raw"):
        return
    now = timezone.now()
    with transaction.atomic():
        if not ReferenceDataVersion.objects.filter(pk=1).update(
            number=F("number") + 1, changed_at=now
        ):
            ReferenceDataVersion.objects.get_or_create(
                pk=1, defaults={"number": 1, "changed_at": now}
            )


def _acts_load(data_dir: Path) -> SyncResult:
    ministry_ids = dict(Organisation.objects.ministries().active().values_list("code", "pk"))
    aliases = {
        row["lovdata_id"]: [a.strip() for a in row["aliases"].split(";") if a.strip()]
        for row in read_csv(data_dir / "act_aliases.csv")
    }
    return sync_rows(
        label="Lover og forskrifter",
        queryset=LegalAct.objects.all(),
        key=lambda act: act.lovdata_id,
        rows=(
            (
                row["lovdata_id"],
                {
                    "lovdata_id": row["lovdata_id"],
                    "kind": row["kind"],
                    "short_title": row["short_title"],
                    "title": row["title"],
                    "ministry_id": ministry_ids[row["ministry_code"]],
                    "own_trial_provision": row["own_trial_provision"],
                    "aliases": aliases.get(row["lovdata_id"], []),
                    "in_force": True,
                },
            )
            for row in read_csv(data_dir / "acts.csv")
        ),
    )


def _provisions_load(data_dir: Path) -> SyncResult:
    act_ids = dict(LegalAct.objects.values_list("lovdata_id", "pk"))
    provision_rows = []
    for name in PROVISION_FILES:
        if (data_dir / name).exists():
            provision_rows.extend(read_csv(data_dir / name))
    return sync_rows(
        label="Paragrafer",
        queryset=Provision.objects.all(),
        key=lambda provision: provision.citation_key,
        rows=_provision_rows(provision_rows, act_ids),
    )


def _scope_limits_load(data_dir: Path) -> SyncResult:
    act_ids = dict(LegalAct.objects.values_list("lovdata_id", "pk"))
    provision_ids = dict(Provision.objects.values_list("citation_key", "pk"))
    return sync_rows(
        label="Begrensninger (§ 4)",
        queryset=ScopeLimit.objects.all(),
        key=lambda limit: (limit.act_id, limit.chapter, limit.provision_id, limit.kind),
        rows=_scope_limit_rows(read_csv(data_dir / "scope_limits.csv"), act_ids, provision_ids),
    )

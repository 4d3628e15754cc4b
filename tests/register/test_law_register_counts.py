"""/lover/<act>/ shows, per section, how often it was asked to be waived and how many of those
exemptions are in force, through legal.hooks (legal never imports trials)."""

import ast
import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone

from legal import hooks
from legal.models import LegalAct
from tests.builders import OPPL, OPPL_13_1, OPPL_14_1
from trials.public.register import selectors as register

pytestmark = pytest.mark.django_db

LEGAL = Path(__file__).resolve().parents[2] / "legal"


def cells(page: str, section_number: str) -> list[str]:
    row = re.search(rf'<tr id="{re.escape(section_number)}">(.*?)</tr>', page, re.S).group(1)
    return [" ".join(c.split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_the_act_page_counts_requests_and_exemptions_in_force_per_section(
    client, submit, decide, make_draft
):
    today = timezone.localdate()
    decide(submit([OPPL_13_1, OPPL_14_1]), trial=(today, today + datetime.timedelta(days=9)))
    submit([OPPL_13_1], title="Anna")
    make_draft(title="Utkast")  # never counted
    page = client.get(f"/lover/{OPPL}/").content.decode()
    first, second = cells(page, "13-1"), cells(page, "14-1")
    assert first[-2].startswith(f'<a href="/unntak/{OPPL}/#13-1">2')
    assert first[-1] == "1"
    assert second[-2].startswith(f'<a href="/unntak/{OPPL}/#14-1">1')
    assert second[-1] == "1"
    assert cells(page, "1-1")[-2:] == ["0", "0"]
    assert f'href="/unntak/{OPPL}/"' in page
    assert "Requests for exemption" in page


def test_the_provider_answers_for_a_whole_act_in_one_query(submit, django_assert_num_queries):
    submit([OPPL_13_1, OPPL_14_1])
    act = LegalAct.objects.get(lovdata_id=OPPL)
    with django_assert_num_queries(1):
        usage = register.provision_usage(act)
    assert sorted(usage.values()) == [(1, 0), (1, 0)]
    assert register.provision_usage in hooks.provision_usage_providers


def test_the_act_page_works_without_any_provider(client, monkeypatch):
    monkeypatch.setattr(hooks, "provision_usage_providers", [])
    response = client.get(f"/lover/{OPPL}/")
    assert response.status_code == 200
    assert "Requests for exemption" not in response.content.decode()


def test_legal_never_imports_trials():
    for path in LEGAL.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(
                name == "trials" or name.startswith(("trials.", "workflows")) for name in names
            ), f"{path} imports {names}"


def test_the_act_page_query_count_does_not_grow_with_requests(
    client, submit, django_assert_max_num_queries
):
    submit([OPPL_13_1])
    with django_assert_max_num_queries(12) as few:
        assert client.get(f"/lover/{OPPL}/").status_code == 200
    for index in range(3):
        submit([OPPL_13_1, OPPL_14_1], title=f"Fleire {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"/lover/{OPPL}/").status_code == 200

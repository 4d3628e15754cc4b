"""Every public page answers conditional requests the same way (casework.caching): 304 to
its own ETag while nothing it shows has changed, the new page once something has, and a
minute of caching for anonymous readers."""

import pytest

pytestmark = pytest.mark.django_db

OPPL = "LOV-2023-06-09-30"
PAGES = [
    "/",
    "/soknader/",
    "/soknader/?county=34&sort=oldest",
    "detail",
    "/kommuner/3405/",
    "/kommuner/34/",
    "/soknader/feed/nye/",
    "/soknader/feed/vedtak/",
    "/kommuner/3405/feed/",
    f"/lover/{OPPL}/feed/",
    "/unntak/",
    f"/unntak/{OPPL}/",
    "/statistikk/",
    "/soknader/?format=csv",
    "/soknader/?format=json",
    "/unntak/?format=csv",
    f"/unntak/{OPPL}/?format=json",
    "/statistikk/?format=csv",
    "/statistikk/?format=json",
    "/journal/",
    "/journal/?basis=public",
]


def _read(response) -> bytes:
    return response.getvalue() if response.streaming else response.content


@pytest.mark.parametrize("page", PAGES)
def test_each_public_page_answers_304_until_something_changes(client, publish, page, run_tasks):
    application = publish(title="Skoledag", stop_at="check_completeness")
    url = f"/soknader/{application.reference}/" if page == "detail" else page
    first = client.get(url)
    _read(first)
    assert first.status_code == 200, url
    etag = first["ETag"]
    assert etag.startswith('W/"')
    assert first["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in first["Vary"]

    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304, url
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "public, max-age=60"

    # A new application, registered (so journaled): every page may show something new.
    publish(title="Ny skoledag", stop_at="check_completeness")
    run_tasks()  # a download is prepared again by the worker
    changed = client.get(url, headers={"if-none-match": etag})
    _read(changed)
    assert changed.status_code == 200, url
    assert changed["ETag"] != etag


def test_another_address_is_another_representation(client, publish):
    publish()
    etag = client.get("/soknader/")["ETag"]
    assert client.get("/soknader/?sort=oldest", headers={"if-none-match": etag}).status_code == 200
    assert client.get("/soknader/", headers={"if-none-match": etag}).status_code == 304


def test_a_logged_in_users_pages_are_private_and_revalidated(client, publish, applicant):
    publish()
    client.force_login(applicant)
    for url in ("/soknader/", "/unntak/", "/statistikk/", "/journal/"):
        response = client.get(url)
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert directives == {"private", "no-cache"}, url
        assert client.get(url, headers={"if-none-match": response["ETag"]}).status_code == 304


def test_public_pages_answer_get_and_head_only(client, db):
    for url in ("/soknader/", "/unntak/", "/statistikk/", "/journal/"):
        assert client.post(url).status_code == 405, url
        assert client.head(url).status_code == 200, url


def test_figures_and_prepared_downloads_follow_the_data(client, publish, run_tasks):
    """Figures and search options are kept per version of the data: a reader sees the new
    application as soon as it is submitted, never a stale copy. A download is served as the
    last prepared file, prepared again by the worker when the data change (queued on
    commit), and until then served with the ETag of the data it was prepared from."""
    first = publish(title="Første forsøk")
    statistics = client.get("/statistikk/?format=json")
    assert _json(statistics)["key_figures"]["applications"] == 1
    prepared = client.get("/soknader/?format=csv")
    csv = _read(prepared).decode("utf-8-sig")
    assert first.reference in csv
    assert _read(client.get("/soknader/?format=csv")).decode("utf-8-sig") == csv  # prepared

    second = publish(title="Andre forsøk")
    assert _json(client.get("/statistikk/?format=json"))["key_figures"]["applications"] == 2
    home = client.get("/").content.decode()
    assert second.reference in home
    # The last prepared file until the worker has prepared the new one.
    stale = client.get("/soknader/?format=csv")
    assert _read(stale).decode("utf-8-sig") == csv
    assert stale["ETag"] == prepared["ETag"]
    assert (
        client.get("/soknader/?format=csv", headers={"if-none-match": stale["ETag"]}).status_code
        == 200
    )
    assert run_tasks() >= 1
    fresh = client.get("/soknader/?format=csv")
    csv = _read(fresh).decode("utf-8-sig")
    assert first.reference in csv and second.reference in csv
    assert fresh["ETag"] != prepared["ETag"]
    assert _json(client.get("/statistikk/?format=json"))["key_figures"]["applications"] == 2


def test_a_step_of_the_case_process_queues_the_downloads_again(client, publish, staff):
    """A case step writes its audit events together at its end (one INSERT): the prepared
    downloads are queued again all the same, without waiting for a reader to find them
    stale."""
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    from tests import builders
    from trials.public.opendata import PREPARE_QUEUED

    application = publish(title="Første forsøk", stop_at="check_completeness")
    client.get("/soknader/?format=csv")
    queued = DBTaskResult.objects.filter(task_path__endswith="downloads_prepare")
    queued.delete()
    cache.delete(PREPARE_QUEUED)

    builders.advance(application, to="assess", staff=staff)

    assert queued.exists()


def test_no_download_prepared_queues_no_task(publish):
    from django_tasks_db.models import DBTaskResult

    publish(title="Første forsøk")
    assert not DBTaskResult.objects.filter(task_path__endswith="downloads_prepare").exists()


def _json(response) -> dict:
    import json

    return json.loads(_read(response))

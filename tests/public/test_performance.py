"""Speed: a fixed number of queries per page whatever the amount of data; 304 for a
conditional request; a minute of caching for anonymous readers."""

import pytest

from tests.builders import HOL_3_3, PBL_21_7

pytestmark = pytest.mark.django_db

# The most queries a page may take for an anonymous reader, as measured (SQLite and
# PostgreSQL alike). Two of them are the ETag's; the detail page's are listed in
# trials.public.selectors.public_application_page.
LIMITS = {
    "/": 12,
    "/soknader/": 12,
    "/soknader/?q=skole+lillehammer&county=34&ministry=KD&sort=decided": 12,
    "/soknader/?format=csv": 5,
    "/soknader/?format=json": 6,
    # One query per kind of journal document source (the application, its attachments) tells
    # which documents may be linked for download.
    "detail": 15,
    "/kommuner/3405/": 11,
    "/kommuner/34/": 11,
    "/soknader/feed/nye/": 5,
    "/soknader/feed/vedtak/": 5,
    "/kommuner/3405/feed/": 9,
    "/lover/LOV-2023-06-09-30/feed/": 9,
}


def _read(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def page_queries(client, detail_reference, django_assert_max_num_queries) -> dict[str, int]:
    """The queries each page takes (after a first request has warmed the caches)."""
    counts = {}
    for page, limit in LIMITS.items():
        url = f"/soknader/{detail_reference}/" if page == "detail" else page
        _read(client.get(url))
        with django_assert_max_num_queries(limit, info=url) as queries:
            response = client.get(url)
            _read(response)
        assert response.status_code == 200, url
        counts[page] = len(queries)
    return counts


def test_queries_per_page_do_not_grow_with_the_data(
    client, publish, oyer, django_assert_max_num_queries
):
    # 3 applications: one decided after one consultation.
    small_case = publish(stop_at="decided", title="Skole i sentrum")
    publish(title="Skolen i bygda")
    publish(title="Lillehammer-skolen", co_applicants=[oyer])
    small = page_queries(client, small_case.reference, django_assert_max_num_queries)

    # 30 applications: a decided one with three exemptions, two ministries consulted.
    large_case = publish(
        stop_at="decided", title="Skolane og helsa", co_applicants=[oyer], also=[HOL_3_3, PBL_21_7]
    )
    for number in range(26):
        publish(title=f"Skoleforsøk {number}", co_applicants=[oyer] if number % 2 else [])
    large = page_queries(client, large_case.reference, django_assert_max_num_queries)

    assert large == small
    print("queries per page:", small)


def test_a_conditional_request_gets_304_until_something_changes(client, publish):
    application = publish(title="Skoledag")
    for url in (
        "/",
        "/soknader/",
        f"/soknader/{application.reference}/",
        "/kommuner/3405/",
        "/soknader/feed/nye/",
    ):
        first = client.get(url)
        etag = first["ETag"]
        assert etag.startswith('W/"')
        again = client.get(url, headers={"if-none-match": etag})
        assert again.status_code == 304, url
        assert again.content == b""
        assert again["Cache-Control"] == "public, max-age=60"
    # A new application changes the ETag: the reader gets the new page.
    publish(title="Ny skoledag")
    assert client.get("/soknader/", headers={"if-none-match": etag}).status_code == 200


def test_the_etag_depends_on_the_language(client, publish):
    publish()
    nb = client.get("/soknader/")["ETag"]
    client.cookies["django_language"] = "en"
    en = client.get("/soknader/", headers={"if-none-match": nb})
    assert en.status_code == 200 and en["ETag"] != nb


def test_public_pages_may_be_cached_for_a_minute_but_not_a_logged_in_users(
    client, publish, applicant
):
    publish()
    response = client.get("/soknader/")
    assert response["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in response["Vary"]
    client.force_login(applicant)
    response = client.get("/soknader/")
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]

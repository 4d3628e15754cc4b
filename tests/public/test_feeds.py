"""Atom feeds: new applications, decisions, per municipality or county, per act."""

import xml.etree.ElementTree as ET

import pytest
from django.utils.dateparse import parse_datetime

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def atom(client, url) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own test server's answer
    assert root.tag == f"{ATOM}feed"
    # RFC 4287: a feed has exactly one id, title and updated, an author, a self link.
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert parse_datetime(root.findtext(f"{ATOM}updated")) is not None
    assert root.find(f"{ATOM}author/{ATOM}name").text
    assert root.find(f"{ATOM}link[@rel='self']").get("href").endswith(url)
    ids = [entry.findtext(f"{ATOM}id") for entry in root.findall(f"{ATOM}entry")]
    assert len(ids) == len(set(ids)), "entry ids are unique"
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert parse_datetime(entry.findtext(f"{ATOM}updated")) is not None
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http")
    return root


def entry_ids(root) -> list[str]:
    return [entry.findtext(f"{ATOM}id") for entry in root.findall(f"{ATOM}entry")]


def test_new_applications_feed(client, dataset):
    root = atom(client, "/soknader/feed/nye/")
    ids = entry_ids(root)
    assert len(ids) == 4  # never the draft
    assert all(i.endswith("#submitted") for i in ids)
    assert ids[0] == f"http://testserver/soknader/{dataset['refused'].reference}/#submitted"
    assert dataset["draft"].reference not in client.get("/soknader/feed/nye/").content.decode()
    updated = [e.findtext(f"{ATOM}updated") for e in root.findall(f"{ATOM}entry")]
    assert updated == sorted(updated, reverse=True)
    assert root.findtext(f"{ATOM}updated") == updated[0]


def test_decisions_feed(client, dataset):
    root = atom(client, "/soknader/feed/vedtak/")
    assert entry_ids(root) == [
        f"http://testserver/soknader/{dataset['refused'].reference}/#decided",
        f"http://testserver/soknader/{dataset['health'].reference}/#decided",
    ]
    summaries = [e.findtext(f"{ATOM}summary") for e in root.findall(f"{ATOM}entry")]
    assert summaries[0] == "Kan gjerast etter gjeldande rett."


def test_municipality_feed_has_its_submissions_and_decisions(client, dataset):
    health, refused = dataset["health"].reference, dataset["refused"].reference
    ids = entry_ids(atom(client, "/kommuner/1804/feed/"))
    assert sorted(ids) == sorted(
        f"http://testserver/soknader/{ref}/#{kind}"
        for ref in (health, refused)
        for kind in ("submitted", "decided")
    )
    ids = entry_ids(atom(client, "/kommuner/34/feed/"))  # the county: Lillehammer and Øyer
    assert {i.split("/")[-2] for i in ids} == {
        dataset["school"].reference,
        dataset["joint"].reference,
    }
    assert client.get("/kommuner/9999/feed/").status_code == 404


def test_act_feed_follows_one_act(client, dataset):
    ids = entry_ids(atom(client, "/lover/LOV-2011-06-24-30/feed/"))
    assert {i.split("/")[-2] for i in ids} == {dataset["health"].reference}
    assert len(ids) == 2  # submitted and decided


def test_pages_link_their_feeds(client, dataset):
    for url, feed in (
        ("/", "/soknader/feed/nye/"),
        ("/soknader/", "/soknader/feed/vedtak/"),
        ("/kommuner/1804/", "/kommuner/1804/feed/"),
        (f"/soknader/{dataset['health'].reference}/", "/kommuner/1804/feed/"),
        (f"/soknader/{dataset['health'].reference}/", "/lover/LOV-2011-06-24-30/feed/"),
    ):
        html = client.get(url).content.decode()
        assert '<link rel="alternate" type="application/atom+xml"' in html, url
        assert f'href="{feed}"' in html, (url, feed)

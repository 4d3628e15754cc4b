"""Letters are stored as PDF/A-2b, the format the national archive takes: fonts embedded,
XMP identification equal to the document information, an sRGB output intent."""

import re

import pytest

from workflows.case import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision_pdf(publish) -> bytes:
    application = publish(stop_at="decided")
    document = selectors.decision_document(application)
    with document.file.open("rb") as handle:
        return handle.read()


def _objects(pdf: bytes) -> list[bytes]:
    return re.findall(rb"\d+ 0 obj\s*(.*?)endobj", pdf, re.S)


def test_the_decision_letter_is_pdf_a_2b(decision_pdf):
    pdf = decision_pdf
    assert pdf.startswith(b"%PDF-1.")
    assert re.search(rb"%[\x80-\xff]{4}", pdf[:64]), "a binary comment after the header"
    assert b"/ID" in pdf

    xmp = re.search(rb"<\?xpacket begin=.*?<\?xpacket end=\"w\"\?>", pdf, re.S).group(0).decode()
    assert "<pdfaid:part>2</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    catalog = next(o for o in _objects(pdf) if b"/Type /Catalog" in o)
    assert b"/Metadata" in catalog
    assert b"/OutputIntents" in catalog and b"/GTS_PDFA1" in catalog
    assert b"/DestOutputProfile" in catalog

    # the XMP repeats the document information exactly
    info = next(o for o in _objects(pdf) if b"/CreationDate" in o)
    title = re.search(rb"/Title \((.*?)\) /Trapped", info).group(1)
    assert b"Vedtak" in title or b"vedtak" in title.lower()
    created = re.search(rb"/CreationDate \(D:(\d{14})([+-]\d\d)'(\d\d)'\)", info)
    stamp, hours, minutes = (g.decode() for g in created.groups())
    iso = (
        f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[8:10]}:{stamp[10:12]}:{stamp[12:]}"
        f"{hours}:{minutes}"
    )
    assert f"<xmp:CreateDate>{iso}</xmp:CreateDate>" in xmp
    assert "<xmp:CreatorTool>Frikommune</xmp:CreatorTool>" in xmp


def test_every_font_is_embedded(decision_pdf):
    fonts = [o for o in _objects(decision_pdf) if b"/Type /Font" in o]
    assert fonts
    for font in fonts:
        assert b"/Type1" not in font, font[:200]
    descriptors = [o for o in _objects(decision_pdf) if b"/Type /FontDescriptor" in o]
    assert descriptors
    assert all(b"/FontFile2" in d for d in descriptors)

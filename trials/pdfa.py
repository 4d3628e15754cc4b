"""PDF/A-2b from ReportLab: what the national archive (Arkivverket) takes.

ReportLab writes the page content; this adds what PDF/A-2 asks of the file on top:
- every font embedded (the Bitstream Vera TrueType fonts shipped with ReportLab, subset);
- XMP metadata identifying the file as PDF/A-2B, with title, author, creator tool,
  producer and dates equal to the document information dictionary's;
- an output intent with an embedded sRGB ICC profile (made by Pillow's LittleCMS), since the
  pages use device RGB colour.
"""

import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from PIL import ImageCms
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import (
    XMP,
    PDFArray,
    PDFCatalog,
    PDFDictionary,
    PDFName,
    PDFStream,
    PDFString,
)
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_DIR = Path(reportlab.__file__).parent / "fonts"
FONTS = {
    "Vera": "Vera.ttf",
    "Vera-Bold": "VeraBd.ttf",
    "Vera-Italic": "VeraIt.ttf",
    "Vera-BoldItalic": "VeraBI.ttf",
}
CREATOR = "Frikommune"
SRGB = "sRGB IEC61966-2.1"


def register_fonts() -> None:
    """The embeddable fonts, once per process, as family "Vera" (bold, italic mapped)."""
    if "Vera" in pdfmetrics.getRegisteredFontNames():
        return
    for name, filename in FONTS.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    pdfmetrics.registerFontFamily(
        "Vera", normal="Vera", bold="Vera-Bold", italic="Vera-Italic", boldItalic="Vera-BoldItalic"
    )


class ArchivalCatalog(PDFCatalog):
    """ReportLab's document catalogue, also writing the output intents."""

    __NoDefault__ = [*PDFCatalog.__NoDefault__, "OutputIntents"]
    __Refs__ = PDFCatalog.__Refs__


class ArchivalCanvas(Canvas):
    """A canvas whose initial font is embeddable (ReportLab's default is Helvetica, one of
    the standard fonts that PDF/A forbids leaving out)."""

    def __init__(self, *args, **kwargs):
        register_fonts()
        kwargs["initialFontName"] = kwargs.get("initialFontName") or "Vera"
        super().__init__(*args, **kwargs)


def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _iso(timestamp) -> str:
    """The document's time stamp as XMP writes dates, with its UTC offset."""
    offset = datetime.timedelta(hours=timestamp.dhh, minutes=timestamp.dmm)
    moment = datetime.datetime(*timestamp.YMDhms, tzinfo=datetime.timezone(offset))
    return moment.isoformat()


def _xmp(doc, *, language: str) -> bytes:
    info = doc.info
    when = _iso(doc._timeStamp)
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt>
    <rdf:li xml:lang="x-default">{escape(info.title)}</rdf:li>
   </rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{escape(info.author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt>
    <rdf:li xml:lang="x-default">{escape(info.subject)}</rdf:li>
   </rdf:Alt></dc:description>
   <dc:language><rdf:Bag><rdf:li>{escape(language)}</rdf:li></rdf:Bag></dc:language>
   <xmp:CreatorTool>{escape(info.creator)}</xmp:CreatorTool>
   <xmp:CreateDate>{when}</xmp:CreateDate>
   <xmp:ModifyDate>{when}</xmp:ModifyDate>
   <xmp:MetadataDate>{when}</xmp:MetadataDate>
   <pdf:Producer>{escape(info.producer)}</pdf:Producer>
   <pdf:Keywords>{escape(info.keywords)}</pdf:Keywords>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def make_archival(canvas, *, language: str) -> None:
    """Turn the document being drawn on ``canvas`` into PDF/A-2b (call once, on page 1)."""
    doc = canvas._doc
    doc.Catalog.__class__ = ArchivalCatalog
    doc.info.creator = CREATOR
    profile = PDFStream(dictionary=PDFDictionary({"N": 3}), content=_srgb_profile())
    intent = PDFDictionary(
        {
            "Type": PDFName("OutputIntent"),
            "S": PDFName("GTS_PDFA1"),
            "OutputConditionIdentifier": PDFString(SRGB),
            "Info": PDFString(SRGB),
            "DestOutputProfile": doc.Reference(profile),
        }
    )
    canvas.setCatalogEntry("OutputIntents", PDFArray([intent]))
    canvas.setCatalogEntry(
        "Metadata", doc.Reference(XMP(creator=lambda d: _xmp(d, language=language)))
    )
    canvas.setCatalogEntry("Lang", PDFString(language))

"""Turn what people type into a provision of the law register.

Accepts the forms municipal staff actually write::

    opplæringslova § 13-1 første ledd
    oppl. § 13-1
    LOV-2023-06-09-30 § 13-1
    barnehageloven §7
    pbl. § 20-1 bokstav a

and answers with the act, the provision and (when given) the subsection (ledd) and letter.
Unknown input raises :class:`CitationError` whose ``suggestions`` lists the closest matches.
"""

import difflib
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from legal.models import LegalAct, Provision, section_number

ORDINALS = {
    "første": 1,
    "fyrste": 1,
    "andre": 2,
    "annet": 2,
    "annen": 2,
    "tredje": 3,
    "fjerde": 4,
    "femte": 5,
    "sjette": 6,
    "sjuende": 7,
    "syvende": 7,
    "sjuande": 7,
    "åttende": 8,
    "åttande": 8,
    "niende": 9,
    "niande": 9,
    "tiende": 10,
    "tiande": 10,
}

_LOVDATA_ID = re.compile(r"^(lov|for)-\d{4}-\d{2}-\d{2}(-\d+)?$", re.IGNORECASE)
_CITATION = re.compile(
    r"^(?P<act>.+?)\s*§+\s*"
    r"(?P<section>\d+(?:\s?[a-z](?=\s*-))?(?:\s*-\s*\d+)?(?:\s?[a-z](?![a-zæøå]))?)"
    r"(?P<rest>.*)$",
    re.IGNORECASE,
)
_LEDD = re.compile(
    r"(?:(?P<word>[a-zæøå]+)\s+ledd|(?P<num>\d+)\s*\.?\s*ledd|ledd\s+(?P<after>\d+))",
    re.IGNORECASE,
)
_LETTER = re.compile(r"(?:bokstav|bokst\.?|litra)\s*(?P<letter>[a-zæøå])\b", re.IGNORECASE)


class CitationError(ValueError):
    def __init__(self, message: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.suggestions = suggestions or []

    def __str__(self) -> str:
        if not self.suggestions:
            return self.message
        return f"{self.message} {_('Did you mean:')} {', '.join(self.suggestions)}?"


@dataclass(frozen=True)
class Citation:
    act: LegalAct
    provision: Provision
    subsection: int | None = None
    letter: str = ""
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        parts = [self.act.short_title, self.provision.section]
        if self.subsection:
            parts.append(_("subsection %(number)s") % {"number": self.subsection})
        if self.letter:
            parts.append(_("letter %(letter)s") % {"letter": self.letter})
        return " ".join(parts)


def _fold(name: str) -> str:
    """Make bokmål and nynorsk forms of an act's name compare equal.

    ``opplæringslova``, ``opplæringsloven`` and ``opplæringslov`` all fold to
    ``opplæringslov``; a trailing full stop of an abbreviation is dropped.
    """
    name = re.sub(r"\s+", " ", name.strip().lower()).rstrip(".").strip()
    name = re.sub(r"(lov)(a|en)$", r"\1", name)
    return name


def _act_names(act: LegalAct) -> list[str]:
    return [act.short_title, act.lovdata_id, *act.aliases]


def _act_index(acts) -> dict[str, LegalAct]:
    index: dict[str, LegalAct] = {}
    for act in acts:
        for name in _act_names(act):
            index.setdefault(_fold(name), act)
        # "Lov om barnehager (barnehageloven)" may be typed without the bracket.
        index.setdefault(_fold(re.sub(r"\s*[\[(].*$", "", act.title)), act)
    return index


def resolve_act(text: str, acts=None) -> LegalAct:
    """The act named by ``text`` (short title, abbreviation or Lovdata id)."""
    acts = list(acts if acts is not None else LegalAct.objects.select_related("ministry"))
    index = _act_index(acts)
    folded = _fold(text)
    if _LOVDATA_ID.match(folded):
        for act in acts:
            if act.lovdata_id.lower() == folded:
                return act
    if folded in index:
        return index[folded]
    suggestions = difflib.get_close_matches(folded, list(index), n=5, cutoff=0.5)
    names = []
    for key in suggestions:
        name = index[key].short_title
        if name not in names:
            names.append(name)
    raise CitationError(
        _("No act in the register is called “%(name)s”.") % {"name": text.strip()}, names
    )


def _subsection(rest: str) -> int | None:
    match = _LEDD.search(rest)
    if not match:
        return None
    if match.group("word"):
        number = ORDINALS.get(match.group("word").lower())
        if number is None:
            raise CitationError(
                _("“%(word)s ledd” is not a subsection we understand; write e.g. “første ledd”.")
                % {"word": match.group("word")}
            )
        return number
    return int(match.group("num") or match.group("after"))


def parse_citation(text: str, *, acts=None) -> Citation:
    """Parse ``text`` into a :class:`Citation`, or raise :class:`CitationError`."""
    cleaned = re.sub(r"\s+", " ", (text or "").strip())
    if not cleaned:
        raise CitationError(_("Write a citation, for example “opplæringslova § 13-1”."))
    match = _CITATION.match(cleaned)
    if not match:
        act = resolve_act(cleaned, acts)
        raise CitationError(
            _("Give the section of %(act)s as well, for example “%(act)s § 1”.")
            % {"act": act.short_title}
        )
    act = resolve_act(match.group("act"), acts)
    number = section_number(match.group("section"))
    provisions = list(act.provisions.all())
    if not provisions:
        raise CitationError(
            _("The register does not list the sections of %(act)s yet.") % {"act": act.short_title}
        )
    by_number = {provision.section_number: provision for provision in provisions}
    provision = by_number.get(number)
    if provision is None:
        close = difflib.get_close_matches(number, list(by_number), n=5, cutoff=0.6)
        raise CitationError(
            _("%(act)s has no section § %(section)s.")
            % {"act": act.short_title, "section": match.group("section").strip()},
            [by_number[key].label for key in close],
        )
    rest = match.group("rest")
    letter_match = _LETTER.search(rest)
    return Citation(
        act=act,
        provision=provision,
        subsection=_subsection(rest),
        letter=letter_match.group("letter").lower() if letter_match else "",
        text=cleaned,
    )

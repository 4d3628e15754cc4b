from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from legal import selectors
from legal.api.serializers import ActDetailSerializer, ActSerializer, ProvisionSerializer
from legal.models import LegalAct


class PublicReadMixin:
    """The law register is public: no login, throttled."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]
    filter_backends: list = []


@extend_schema_view(
    list=extend_schema(
        summary="List acts and regulations",
        description="Acts (lov) and regulations (forskrift) in the law register.",
        parameters=[
            OpenApiParameter(
                "q", OpenApiTypes.STR, description="Words in the title, an abbreviation or id."
            ),
            OpenApiParameter("ministry", OpenApiTypes.STR, description="Ministry code, e.g. KD."),
        ],
    ),
    retrieve=extend_schema(
        summary="One act with its sections and forsøksloven § 4 limits",
        examples=[
            OpenApiExample(
                "Opplæringslova (shortened)",
                response_only=True,
                value={
                    "lovdata_id": "LOV-2023-06-09-30",
                    "kind": "lov",
                    "short_title": "opplæringslova",
                    "title": "Lov om grunnskoleopplæringa og den vidaregåande opplæringa",
                    "aliases": ["oppl."],
                    "ministry": {"code": "KD", "name": "Kunnskapsdepartementet"},
                    "own_trial_provision": "§ 29-3",
                    "in_force": True,
                    "lovdata_url": "https://lovdata.no/dokument/NL/lov/2023-06-09-30",
                    "provision_count": 202,
                    "limits": [],
                    "provisions": [],
                },
            )
        ],
    ),
)
class ActViewSet(PublicReadMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "lovdata_id"
    lookup_value_regex = r"(LOV|FOR|lov|for)-[0-9-]+"

    def get_queryset(self):
        acts = selectors.act_list(query=self.request.query_params.get("q", "").strip())
        ministry = self.request.query_params.get("ministry")
        if ministry:
            acts = acts.filter(ministry__code__iexact=ministry)
        if self.action == "retrieve":
            acts = acts.prefetch_related("scope_limits")
        return acts

    def get_serializer_class(self):
        return ActDetailSerializer if self.action == "retrieve" else ActSerializer

    def get_object(self):
        queryset = self.get_queryset()
        lovdata_id = self.kwargs["lovdata_id"]
        try:
            return queryset.get(lovdata_id__iexact=lovdata_id)
        except LegalAct.DoesNotExist as exc:
            raise Http404 from exc


@extend_schema_view(
    list=extend_schema(
        summary="Search sections",
        description=(
            "Sections of the acts in the register. `q` accepts a citation as people write "
            "it (`opplæringslova § 13-1 første ledd`, `oppl. § 13-1`, "
            "`LOV-2023-06-09-30 § 13-1`) or words in a section heading."
        ),
        parameters=[
            OpenApiParameter("act", OpenApiTypes.STR, description="Lovdata id of the act."),
            OpenApiParameter(
                "q", OpenApiTypes.STR, description="A citation or words in the heading."
            ),
        ],
        examples=[
            OpenApiExample(
                "Citation found",
                response_only=True,
                value={
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "citation_key": "LOV-2023-06-09-30/§13-1",
                            "act": "LOV-2023-06-09-30",
                            "act_short_title": "opplæringslova",
                            "chapter": "Kapittel 13",
                            "chapter_heading": "Ordenstiltak og skadeførebygging m.m.",
                            "section": "§ 13-1",
                            "heading": "Bortvising",
                            "repealed": False,
                            "lovdata_url": "https://lovdata.no/dokument/NL/lov/2023-06-09-30/§13-1",
                            "limits": [],
                        }
                    ],
                },
            )
        ],
    )
)
class ProvisionViewSet(PublicReadMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ProvisionSerializer

    def get_queryset(self):
        act = None
        act_id = self.request.query_params.get("act", "").strip()
        if act_id:
            try:
                act = selectors.act_get(act_id)
            except LegalAct.DoesNotExist as exc:
                raise ValidationError({"act": [f"Unknown act: {act_id}"]}) from exc
        return selectors.provision_search(act=act, query=self.request.query_params.get("q", ""))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return selectors.attach_limits(page) if page is not None else None

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.models import Organisation
from legal.models import LegalAct, Provision, ScopeLimit
from legal.selectors import act_provisions, limits_for_provision


class MinistrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["code", "name", "name_nn", "name_en"]


class ScopeLimitSerializer(serializers.ModelSerializer):
    section = serializers.CharField(source="provision.section", default="", read_only=True)
    reason = serializers.CharField(read_only=True)

    class Meta:
        model = ScopeLimit
        fields = ["kind", "chapter", "section", "reason", "source"]


class ActSerializer(serializers.ModelSerializer):
    ministry = MinistrySerializer(read_only=True)
    lovdata_url = serializers.URLField(read_only=True)
    provision_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = LegalAct
        fields = [
            "lovdata_id",
            "kind",
            "short_title",
            "title",
            "aliases",
            "ministry",
            "own_trial_provision",
            "in_force",
            "lovdata_url",
            "provision_count",
        ]


class ProvisionSerializer(serializers.ModelSerializer):
    act = serializers.CharField(source="act.lovdata_id", read_only=True)
    act_short_title = serializers.CharField(source="act.short_title", read_only=True)
    lovdata_url = serializers.URLField(read_only=True)
    limits = serializers.SerializerMethodField()

    class Meta:
        model = Provision
        fields = [
            "citation_key",
            "act",
            "act_short_title",
            "chapter",
            "chapter_heading",
            "section",
            "heading",
            "repealed",
            "lovdata_url",
            "limits",
        ]

    @extend_schema_field(ScopeLimitSerializer(many=True))
    def get_limits(self, provision):
        limits = getattr(provision, "limits", None)
        if limits is None:
            limits = limits_for_provision(provision)
        return ScopeLimitSerializer(limits, many=True).data


class ActDetailSerializer(ActSerializer):
    limits = serializers.SerializerMethodField()
    provisions = serializers.SerializerMethodField()

    class Meta(ActSerializer.Meta):
        fields = [*ActSerializer.Meta.fields, "limits", "provisions"]

    @extend_schema_field(ScopeLimitSerializer(many=True))
    def get_limits(self, act):
        limits = [limit for limit in act.scope_limits.all() if limit.provision_id is None]
        return ScopeLimitSerializer(limits, many=True).data

    @extend_schema_field(ProvisionSerializer(many=True))
    def get_provisions(self, act):
        return ProvisionSerializer(act_provisions(act), many=True).data

from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from casework.caching import Validator, conditional_page
from legal import hooks, selectors
from legal.models import LegalAct


@require_GET
def act_list(request):
    query = request.GET.get("q", "").strip()[:200]
    groups = selectors.acts_by_ministry(query=query)
    return render(
        request,
        "legal/act_list.html",
        {"groups": groups, "query": query, "act_count": sum(len(g.acts) for g in groups)},
    )


def act_version(request, lovdata_id: str) -> Validator:
    """The act page's validator: the version of the register's data and of what the usage
    providers count (trials: its public data and today's date)."""
    return Validator(f"{selectors.reference_data_version()}-{hooks.usage_version()}")


# Kept per version for anonymous readers, 304 while unchanged (casework.caching); GET only,
# as before.
@require_GET
@conditional_page(act_version)
def act_detail(request, lovdata_id: str):
    try:
        act = selectors.act_get(lovdata_id)
    except LegalAct.DoesNotExist as exc:
        raise Http404 from exc
    provisions = selectors.act_provisions(act)
    usage = hooks.provision_usage(act)
    for provision in provisions:
        provision.request_count, provision.in_force_count = (usage or {}).get(provision.pk, (0, 0))
    chapters: list[dict] = []
    for provision in provisions:
        if not chapters or chapters[-1]["chapter"] != provision.chapter:
            chapters.append(
                {
                    "chapter": provision.chapter,
                    "title": provision.chapter_title,
                    "provisions": [],
                }
            )
        chapters[-1]["provisions"].append(provision)
    act_limits = [limit for limit in act.scope_limits.all() if not limit.provision_id]
    return render(
        request,
        "legal/act_detail.html",
        {
            "act": act,
            "chapters": chapters,
            "act_limits": act_limits,
            "usage": _usage_summary(act, usage, provisions),
        },
    )


def _usage_summary(act, usage, provisions) -> dict | None:
    """Totals and the register's address, when the exemption register is installed."""
    if usage is None:
        return None
    try:
        register_url = reverse("register:act", args=[act.lovdata_id])
    except NoReverseMatch:
        register_url = None
    return {
        "requests": sum(p.request_count for p in provisions),
        "in_force": sum(p.in_force_count for p in provisions),
        "register_url": register_url,
    }

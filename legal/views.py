from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

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


@require_GET
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

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from legal import selectors
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
        {"act": act, "chapters": chapters, "act_limits": act_limits},
    )

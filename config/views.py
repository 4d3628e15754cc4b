from django.conf import settings
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView

# The front page belongs to the public side: latest applications, decisions, key figures.
from trials.public.views import home as home


@require_GET
def accessibility_statement(request):
    return render(request, "accessibility.html")


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI for the API; its script comes from a URL (no inline script), its page
    frame's style from static/css/api-docs.css, and the page has a language (templates/
    api_docs.html). Swagger UI itself sets inline styles, so this page alone allows them;
    scripts stay restricted to this site.
    """

    template_name = "api_docs.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy:
            response["Content-Security-Policy"] = policy.replace(
                "style-src 'self'", "style-src 'self' 'unsafe-inline'"
            )
        return response


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the icon."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))

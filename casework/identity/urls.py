from django.conf import settings
from django.urls import path

from casework.identity import views

urlpatterns = [
    path("logg-inn/", views.LoginView.as_view(), name="login"),
    path("logg-ut/", views.logout, name="logout"),
    path("logget-ut/", views.logged_out, name="logged_out"),
    path("tilgang/", views.access_missing, name="access_missing"),
]
# Not namespaced: mozilla-django-oidc reverses the callback by a plain name.
for _key in settings.OIDC_PROVIDER_KEYS:
    urlpatterns += [
        path(
            f"oidc/{_key}/login/",
            views.ProviderLoginView.as_view(provider_key=_key),
            name=f"oidc-login-{_key}",
        ),
        path(
            f"oidc/{_key}/callback/",
            views.ProviderCallbackView.as_view(provider_key=_key),
            name=f"oidc-callback-{_key}",
        ),
    ]

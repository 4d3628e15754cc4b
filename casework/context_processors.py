from django.conf import settings

from casework.selectors import roles_for_user


def service(request):
    user = getattr(request, "user", None)
    return {
        "service_name": settings.FRIKOMMUNE["SERVICE_NAME"],
        "user_roles": roles_for_user(user) if user is not None else set(),
    }

"""Coarse, per-action gates declared as data on the viewsets (like Open Zaak's scopes).

Which applications a user sees is decided by ``trials.selectors`` (the querysets), and
whether a user may change one is decided by ``trials.services``; this only turns away,
before any work, users who lack the role an action needs at all.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from casework.choices import Role
from casework.selectors import roles_for_user

APPLICANT = frozenset({Role.APPLICANT.value})


class HasRoleForAction(BasePermission):
    """Reads ``view.required_roles``: ``{action: roles}``; an action not listed needs none.

    The user needs at least one of the roles, in any organisation.
    """

    message = _("Your role does not allow this.")

    def has_permission(self, request, view) -> bool:
        required = getattr(view, "required_roles", {}).get(getattr(view, "action", None))
        if not required:
            return True
        return bool(roles_for_user(request.user) & set(required))

"""Roles are backed by Django groups; this is the one table of what each role may do.

Later parts add the permissions of their own models here. Codenames that do not exist
(yet) are skipped, so the table can name permissions of apps migrated later.
"""

from casework.choices import OrganisationKind, Role

ROLE_GROUP_NAMES = {
    Role.APPLICANT: "Søker",
    Role.CASE_OFFICER: "Saksbehandler",
    Role.APPROVER: "Leder",
    Role.CONSULTEE: "Fagdepartement",
    Role.ADMINISTRATOR: "Administrator",
}

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.APPLICANT: [
        "trials.add_application",
        "trials.change_application",
        "trials.view_application",
    ],
    Role.CASE_OFFICER: [
        "casework.view_organisation",
        "casework.view_auditevent",
        "casework.view_accessrequest",
        "legal.view_legalact",
        "legal.view_provision",
        "trials.view_application",
        "trials.view_call",
        "trials.add_call",
        "trials.change_call",
        "workflows.handle_case",
    ],
    Role.APPROVER: [
        "workflows.approve_decision",
        "casework.view_organisation",
        "casework.view_auditevent",
        "trials.view_application",
    ],
    Role.CONSULTEE: [
        "workflows.answer_consultation",
        "legal.view_legalact",
        "legal.view_provision",
    ],
    Role.ADMINISTRATOR: [
        "casework.add_organisation",
        "casework.change_organisation",
        "casework.view_organisation",
        "casework.view_membership",
        "casework.add_membership",
        "casework.change_membership",
        "casework.delete_membership",
        "casework.view_auditevent",
        "legal.add_legalact",
        "legal.change_legalact",
        "legal.view_legalact",
        "legal.add_provision",
        "legal.change_provision",
        "legal.view_provision",
        "legal.add_scopelimit",
        "legal.change_scopelimit",
        "legal.delete_scopelimit",
        "legal.view_scopelimit",
        "trials.add_call",
        "trials.change_call",
        "trials.view_call",
    ],
}

# The coordinating ministry (KDD): forsøksloven's powers are delegated to it
# (FOR-1992-12-11-1050), so only it has case officers and approvers.
COORDINATING_MINISTRY_CODE = "KDD"


def roles_allowed_in(organisation) -> list[Role]:
    """The roles people of ``organisation`` may have: a municipality cannot appoint a case
    officer, a line ministry cannot approve. Every organisation has administrators."""
    if organisation.kind == OrganisationKind.DEPARTEMENT:
        if organisation.code == COORDINATING_MINISTRY_CODE:
            return [Role.CASE_OFFICER, Role.APPROVER, Role.ADMINISTRATOR]
        return [Role.CONSULTEE, Role.ADMINISTRATOR]
    # Municipalities, counties and other bodies (an inter-municipal company) apply.
    return [Role.APPLICANT, Role.ADMINISTRATOR]

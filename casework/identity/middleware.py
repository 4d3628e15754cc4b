"""Idle and absolute session timeouts (SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT).

The session notes when it was first used logged in and when last; past either limit the
person is logged out and the request goes on anonymously (a page that needs a login sends
them to the login page). The last-use stamp is written at most once a minute, so a busy
person does not cost a session write per request.
"""

import time

from django.conf import settings
from django.contrib import auth, messages
from django.utils.translation import gettext as _

STARTED = "_session_started"
LAST_SEEN = "_session_last_seen"
STAMP_RESOLUTION = 60


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            started = request.session.get(STARTED)
            last_seen = request.session.get(LAST_SEEN, started)
            if started is None:
                request.session[STARTED] = request.session[LAST_SEEN] = now
            elif (
                now - started > settings.SESSION_ABSOLUTE_TIMEOUT
                or now - last_seen > settings.SESSION_IDLE_TIMEOUT
            ):
                auth.logout(request)
                messages.info(request, _("Your session has expired. Log in again."))
            elif now - last_seen > STAMP_RESOLUTION:
                request.session[LAST_SEEN] = now
        return self.get_response(request)

"""Extension points for processes that casework must not know about.

casework knows no workflow (imports point one way: workflows → trials → legal → casework);
the workflows app registers its callbacks here in ``AppConfig.ready``. Callbacks run inside
the calling service's transaction, so a failure rolls the whole step back.
"""

from collections.abc import Callable

# callback(access_request, actor): a new access request (innsynskrav) was registered
on_access_request: list[Callable] = []

# reader(user, case) -> bool: may ``user`` see the whole case file ``case``, screened
# documents included? The process that handles the case's subject answers (workflows for an
# application's case); ``casework.selectors.document_for_user`` asks every reader.
case_readers: list[Callable] = []

# reader(user, document) -> bool: may ``user`` read this one document without seeing the
# whole case file? A party reads the letters the body sent it (trials: an applicant's
# members read the letters to their organisation); ``document_for_user`` asks every reader.
document_readers: list[Callable] = []


def run(callbacks: list[Callable], *args) -> None:
    for callback in callbacks:
        callback(*args)

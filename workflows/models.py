"""The workflows app's models: one viewflow process model per process package.

Django finds an app's models through this module; each process keeps its own in its package
(``workflows/case/models.py``, ``workflows/access/models.py``).
"""

from workflows.access.models import AccessRequestProcess
from workflows.case.models import CaseProcess
from workflows.trial.models import TrialProcess

__all__ = ["AccessRequestProcess", "CaseProcess", "TrialProcess"]

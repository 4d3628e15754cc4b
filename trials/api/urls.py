from rest_framework.routers import SimpleRouter

from casework.api import ID_PATTERN
from trials.api.trials import TrialViewSet
from trials.api.views import ApplicationViewSet, AttachmentViewSet, ExemptionRequestViewSet

router = SimpleRouter()
router.register("applications", ApplicationViewSet, basename="application")
router.register(
    rf"applications/(?P<application_pk>{ID_PATTERN})/exemption-requests",
    ExemptionRequestViewSet,
    basename="application-exemption-request",
)
router.register(
    rf"applications/(?P<application_pk>{ID_PATTERN})/attachments",
    AttachmentViewSet,
    basename="application-attachment",
)

router.register("trials", TrialViewSet, basename="trial")

urlpatterns = router.urls

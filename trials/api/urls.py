from rest_framework.routers import SimpleRouter

from trials.api.trials import TrialViewSet
from trials.api.views import ApplicationViewSet, AttachmentViewSet, ExemptionRequestViewSet

router = SimpleRouter()
router.register("applications", ApplicationViewSet, basename="application")
router.register(
    r"applications/(?P<application_pk>[^/.]+)/exemption-requests",
    ExemptionRequestViewSet,
    basename="application-exemption-request",
)
router.register(
    r"applications/(?P<application_pk>[^/.]+)/attachments",
    AttachmentViewSet,
    basename="application-attachment",
)

router.register("trials", TrialViewSet, basename="trial")

urlpatterns = router.urls

"""The public read API under /api/v1/public/ (namespace ``public_api``)."""

from rest_framework.routers import SimpleRouter

from trials.public.api.views import (
    PublicApplicationViewSet,
    PublicExemptionViewSet,
    PublicJournalViewSet,
)
from trials.public.trials.api import PublicTrialViewSet

app_name = "public_api"

router = SimpleRouter()
router.register("applications", PublicApplicationViewSet, basename="application")
router.register("exemptions", PublicExemptionViewSet, basename="exemption")
router.register("journal", PublicJournalViewSet, basename="journal")
router.register("trials", PublicTrialViewSet, basename="trial")

urlpatterns = router.urls

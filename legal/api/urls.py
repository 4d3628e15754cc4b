from rest_framework.routers import SimpleRouter

from legal.api.views import ActViewSet, ProvisionViewSet

router = SimpleRouter()
router.register("acts", ActViewSet, basename="act")
router.register("provisions", ProvisionViewSet, basename="provision")

urlpatterns = router.urls

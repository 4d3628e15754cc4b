from rest_framework.routers import SimpleRouter

from workflows.case.api.views import CaseViewSet, TaskViewSet

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("tasks", TaskViewSet, basename="task")

urlpatterns = router.urls

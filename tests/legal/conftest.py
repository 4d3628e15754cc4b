import pytest
from django.core.cache import cache

from legal.models import LegalAct, Provision, section_number


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """The public API is throttled per client address; each test starts with a clean count."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def provision_of():
    """``provision_of("LOV-2023-06-09-30", "§ 13-1")``: a loaded section of a loaded act."""

    def get(lovdata_id: str, section: str) -> Provision:
        return Provision.objects.select_related("act").get(
            act__lovdata_id=lovdata_id, section_number=section_number(section)
        )

    return get


@pytest.fixture
def act_of():
    def get(lovdata_id: str) -> LegalAct:
        return LegalAct.objects.select_related("ministry").get(lovdata_id=lovdata_id)

    return get

"""Extension points of the law register.

legal knows no application (imports point workflows → trials → legal → casework), yet the
law register's pages show how often each section is asked to be waived. The trials app
registers a provider here in ``AppConfig.ready``; legal only calls what is registered.
"""

from collections.abc import Callable

# provider(act) -> {provision id: (requests for exemption, exemptions in force today)},
# in one query for the whole act.
provision_usage_providers: list[Callable] = []

# provider() -> str: changes whenever what a provider of provision_usage counts may have
# changed (trials: the version of its public data and today's date), cheaply.
usage_version_providers: list[Callable] = []

# Called without arguments after the reference data (organisations, acts, provisions) has
# been loaded, in the same transaction: trials re-writes the search documents that quote
# names, headings and titles.
reference_data_loaded: list[Callable] = []


def provision_usage(act) -> dict[int, tuple[int, int]] | None:
    """The registered providers' counts summed per provision; None when none is registered."""
    if not provision_usage_providers:
        return None
    usage: dict[int, tuple[int, int]] = {}
    for provider in provision_usage_providers:
        for provision_id, (requests, in_force) in provider(act).items():
            before = usage.get(provision_id, (0, 0))
            usage[provision_id] = (before[0] + requests, before[1] + in_force)
    return usage


def usage_version() -> str:
    """The registered providers' versions of what they count ("" when none is registered)."""
    return "|".join(provider() for provider in usage_version_providers)

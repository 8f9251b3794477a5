"""Browser tests: fixtures `browser` and `page` live in tests/conftest.py (shared by every app)."""

import pytest

from tests.utils import login  # noqa: F401


@pytest.fixture(autouse=True)
def _page_cache_as_in_production(settings):
    """People click through pages that are kept per reader (projects.pagecache) in production: the
    walks run with it on, so a page that does not show a change just made fails here."""
    settings.PAGE_CACHE = True

"""Browser tests: fixtures `browser` and `page` live in tests/conftest.py (shared by every app)."""

from tests.utils import login  # noqa: F401

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The repository's copy of the shared test fixtures (read-only)."""
    return FIXTURES

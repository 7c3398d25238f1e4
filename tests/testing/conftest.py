from nuptse.testing.random import deterministic_rng  # noqa: F401 (the fixture under test)


def pytest_configure(config):
    config.addinivalue_line("markers", "seed(n): the seed that deterministic_rng uses")

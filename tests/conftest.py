"""Shared fixtures."""

pytest_plugins = ["pytester"]

import pytest

from service_cluster import LocalCluster


@pytest.fixture
def cluster(tmp_path):
    """Server processes on loopback, all killed when the test ends."""
    local = LocalCluster(tmp_path)
    yield local
    local.close()


from browser import browser, page  # noqa: E402,F401 - fixtures for the HTML view tests

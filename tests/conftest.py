from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from check_postgresql_log_disconnections import cache

# CI explores the same examples every run (a submission must not fail on a new
# random example it did not cause); local runs keep exploring new ones.
settings.register_profile('ci', derandomize=True, print_blob=True)
if os.environ.get('CI'):
    settings.load_profile('ci')


@pytest.fixture(autouse=True)
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets an empty parsed-block cache of its own: never the user's, never another test's."""
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path_factory.mktemp('cache')))
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    yield
    cache.configure(False, lambda directory: False)  # a later direct hcl.parse call sees no cache

from __future__ import annotations

import os

from hypothesis import settings

# CI explores the same examples every run (a submission must not fail on a new
# random example it did not cause); local runs keep exploring new ones.
settings.register_profile('ci', derandomize=True, print_blob=True)
if os.environ.get('CI'):
    settings.load_profile('ci')

"""The distribution's version and home page, read from its installed metadata.

setup.cfg is the one place a version is written: ``--version`` and the SARIF
``driver.version`` both read it from here, never from a copy in the code.
"""
from __future__ import annotations

import functools

DISTRIBUTION = 'check_postgresql_log_disconnections'


@functools.cache
def version() -> str:
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # imported from a source tree that was never installed
        return '0+unknown'


@functools.cache
def home_page() -> str:
    """The project's home page (setup.cfg ``url``), '' when the metadata does not say."""
    from importlib import metadata

    try:
        pages = metadata.metadata(DISTRIBUTION).get_all('Home-page') or ['']
    except metadata.PackageNotFoundError:
        return ''
    return str(pages[0])

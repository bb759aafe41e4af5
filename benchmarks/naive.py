"""The naive baseline: a Python process that parses every file whole with python-hcl2.

Run as a script (``python benchmarks/naive.py FILE...``). This is what a hook
built on ``hcl2.parses`` of each file pays before it looks at a single value.
"""
from __future__ import annotations

import sys

import hcl2


def main(paths: list[str]) -> int:
    failed = 0
    for path in paths:
        with open(path, encoding='utf-8-sig') as f:
            text = f.read()
        try:
            hcl2.parses(text)
        except Exception:  # any failure: the baseline only pays for the attempt
            failed += 1
    print(f'parsed {len(paths) - failed} of {len(paths)} files')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

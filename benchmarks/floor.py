"""The floor: a Python process that reads every file it is given and runs one regex.

Run as a script (``python benchmarks/floor.py FILE...``): nothing of the project
is imported, so this is what any hook written in Python costs at least.
"""
from __future__ import annotations

import re
import sys


def main(paths: list[str]) -> int:
    pattern = re.compile(r'azurerm_postgresql')
    hits = 0
    for path in paths:
        with open(path, encoding='utf-8-sig', errors='replace') as f:
            if pattern.search(f.read()):
                hits += 1
    print(f'{hits} of {len(paths)} files mention azurerm_postgresql')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

from __future__ import annotations

from check_postgresql_log_disconnections._main import main

if __name__ == '__main__':
    raise SystemExit(main())

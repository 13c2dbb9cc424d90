#!/usr/bin/env bash
# The whole test suite: lint, types, and every test on PostgreSQL+Redis and on SQLite+in-memory state.
# Installs the project with its development dependencies into .venv first.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'

bash scripts/services.sh

# The browser tests (tests/browser) drive the system's Chromium; Playwright never downloads a browser.
# The emoji font makes the chat page's emoji render as in Telegram (not as empty boxes).
if ! command -v chromium >/dev/null 2>&1 || [ ! -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y --no-install-recommends chromium fonts-noto-color-emoji >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium fonts-noto-color-emoji >/dev/null; }
  else
    echo "chromium or its emoji font is missing: install them (apt-get install chromium fonts-noto-color-emoji) as root" >&2
    exit 1
  fi
fi

# The several-instances tests run the distribution's nginx in front of two shops (tests/fixtures/nginx.py).
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y --no-install-recommends nginx >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends nginx >/dev/null; }
  else
    echo "nginx is missing: install it (apt-get install nginx) as root" >&2
    exit 1
  fi
fi

export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/remnastore_test}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"

echo "== ruff"
"$VENV/bin/ruff" check src tests bench
"$VENV/bin/ruff" format --check src tests bench
echo "== mypy"
"$VENV/bin/mypy"
echo "== pytest (SQLite+memory and PostgreSQL+Redis)"
# pytest exits 5 when no test ran; `set -e` turns that into a failure.
"$VENV/bin/pytest" -q -p no:cacheprovider "$@"

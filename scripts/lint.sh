#!/usr/bin/env bash
# Static checks: ruff (lint + format) and mypy (strict) on the app; ruff on the actions.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

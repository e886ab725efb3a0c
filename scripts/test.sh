#!/usr/bin/env bash
# `npm test`: the whole suite. Installs missing test tools (as root), makes sure the local services run,
# then: type check, import-direction check, server tests (SQLite and PostgreSQL), web unit tests, browser e2e.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-tools.sh
bash scripts/services.sh
step() { printf '\n=== %s ===\n' "$*"; }
step "type check"; npm run -s typecheck
step "import directions"; npm run -s lint:deps
step "server tests"; npm run -s test:unit
step "web unit tests"; npm run -s test:web
step "console build"; npm run -s build:web >/dev/null
step "browser end-to-end"; npm run -s test:e2e

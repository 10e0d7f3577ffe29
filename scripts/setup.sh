#!/usr/bin/env bash
# One-step set-up on a machine with only Node 20 and npm: installs pnpm (if missing) and the workspace.
# better-sqlite3 is compiled by node-gyp; we point it at the headers that ship with this Node so
# the build never needs to download them.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM_VERSION=12.4.2
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi
if [ -z "${npm_config_nodedir:-}" ]; then
  prefix=$(node -p "require('node:path').resolve(process.execPath, '..', '..')")
  if [ -f "$prefix/include/node/node.h" ]; then export npm_config_nodedir="$prefix"; fi
fi
pnpm install --frozen-lockfile

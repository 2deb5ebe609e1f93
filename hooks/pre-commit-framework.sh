#!/bin/sh
# For the pre-commit framework (.pre-commit-hooks.yaml, `language: script`): builds aigate once
# from this checkout with the versions in Cargo.lock (`cargo install --locked`, which
# pre-commit's `language: rust` does not pass), into the checkout pre-commit keeps, then runs it.
here=$(cd "$(dirname "$0")/.." && pwd) || exit 2
root="$here/.pre-commit-build"
if [ ! -x "$root/bin/aigate" ]; then
    echo "aigate: building aigate once for pre-commit (cargo install --locked; a few minutes)" >&2
    tmp="$root.tmp.$$"
    cargo install --locked --quiet --root "$tmp" --path "$here" >&2 || { rm -rf "$tmp"; exit 2; }
    mkdir -p "$root" && mv -f "$tmp/bin" "$root/" 2>/dev/null
    rm -rf "$tmp"
    [ -x "$root/bin/aigate" ] || exit 2
fi
exec "$root/bin/aigate" "$@"

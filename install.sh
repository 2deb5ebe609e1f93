#!/bin/sh
# Installs aigate from this source tree and guards the git repository you run it in.
#
#   /path/to/aigate/install.sh                         guard the repository you stand in
#   /path/to/aigate/install.sh --server --repo X.git   guard a bare repository on a server
#
# The binary goes to $AIGATE_ROOT/bin (default: cargo's own, ~/.cargo/bin). Needs cargo;
# fetches crates from crates.io only. Any arguments are passed to `aigate install`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=${AIGATE_ROOT:-${CARGO_HOME:-$HOME/.cargo}}

if ! command -v cargo >/dev/null 2>&1; then
    echo "install.sh: cargo is not installed; get Rust from your package manager or rustup, then run this again." >&2
    exit 2
fi
echo "install.sh: building aigate (cargo install --locked) into $root/bin; a first build takes a few minutes ..."
# On Linux with glibc the binary is linked statically and at a fixed address: a hook starts in
# about half the time (no dynamic loader, none of the ~17,000 relocations of a position-
# independent binary; BENCHMARKS.md). The flags go to the target only (`--target`), since
# build scripts and proc-macros cannot be built that way. AIGATE_BUILD=plain skips it; a
# failed static build falls back to the plain one.
host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
case "${AIGATE_BUILD:-static}:$host" in
static:*-linux-gnu)
    if ! cargo install --locked --force --path "$here" --root "$root" --target "$host" \
        --config "target.$host.rustflags=['-C','target-feature=+crt-static','-C','relocation-model=static']"; then
        echo "install.sh: the static build failed; building the plain (dynamically linked) binary instead" >&2
        cargo install --locked --force --path "$here" --root "$root"
    fi
    ;;
*) cargo install --locked --force --path "$here" --root "$root" ;;
esac
bin="$root/bin/aigate"
"$bin" --version

# Guard the repository we stand in (or the one named with --repo).
case " $* " in
*" --repo "*|*" --server "*) "$bin" install "$@" ;;
*)
    if git rev-parse --git-dir >/dev/null 2>&1; then
        "$bin" install "$@"
    else
        echo "install.sh: not inside a git repository; run '$bin install' in one to guard it."
    fi
    ;;
esac
case ":$PATH:" in
*":$root/bin:"*) ;;
*) echo "install.sh: note: $root/bin is not on your PATH; hooks call $bin by its full path." ;;
esac

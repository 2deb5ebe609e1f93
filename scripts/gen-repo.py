#!/usr/bin/env python3
"""Generate a realistic repository for aigate's benchmarks with `git fast-import`.

Usage: gen-repo.py DIR COMMITS [--refs N] [--bare]

Messages mix human commits, AI-assisted commits of several tools (with and
without attestation and review), merges, and long bodies, in proportions
like a busy product repository. Deterministic (seeded) so runs compare.
"""
import argparse
import os
import random
import subprocess
import sys

TOOLS = [
    ("Co-Authored-By: Claude <noreply@anthropic.com>", "claude-code"),
    ("Co-authored-by: Cursor <cursoragent@cursor.com>", "cursor"),
    ("Co-authored-by: Copilot <copilot@github.com>", "copilot"),
    ("Co-authored-by: aider (gpt-4o) <aider@aider.chat>", "aider"),
    ("Made-with: Cursor", "cursor"),
]
WORDS = ("fix add remove refactor update parser cache index router handler config test docs "
         "build release memory thread socket buffer schema migration token session").split()


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def message(rng, i):
    title = f"{rng.choice(WORDS)}: {sentence(rng, rng.randint(3, 8))} ({i})"
    body = []
    for _ in range(rng.randint(0, 3)):
        body.append("\n".join(sentence(rng, rng.randint(6, 12)) for _ in range(rng.randint(1, 4))))
    trailers = []
    r = rng.random()
    if r < 0.25:  # AI-assisted
        line, tool = rng.choice(TOOLS)
        trailers.append(line)
        if rng.random() < 0.6:
            trailers.append(f"Assisted-by: {tool}")
        if rng.random() < 0.7:
            trailers.append(f"Reviewed-by: Rev {rng.randint(1, 40)} <rev{rng.randint(1, 40)}@example.com>")
    if rng.random() < 0.4:
        trailers.append(f"Signed-off-by: Dev {i % 97} <dev{i % 97}@example.com>")
    parts = [title] + body
    if trailers:
        parts.append("\n".join(trailers))
    return "\n\n".join(parts) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("commits", type=int)
    ap.add_argument("--refs", type=int, default=1000)
    ap.add_argument("--bare", action="store_true")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    init = ["git", "init", "-q", "-b", "main"] + (["--bare"] if a.bare else []) + [a.dir]
    subprocess.run(init, check=True)
    fi = subprocess.Popen(["git", "-C", a.dir, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    out = fi.stdin
    ts = 1_600_000_000
    ref_every = max(1, a.commits // max(1, a.refs))
    side = None  # mark of a side-branch commit to merge later
    nrefs = 0
    for i in range(1, a.commits + 1):
        ts += rng.randint(30, 4000)
        msg = message(rng, i).encode()
        who = rng.randint(1, 60)
        out.write(b"commit refs/heads/main\n")
        out.write(f"mark :{i}\n".encode())
        out.write(f"author Dev {who} <dev{who}@example.com> {ts} +0000\n".encode())
        out.write(f"committer Dev {who} <dev{who}@example.com> {ts} +0000\n".encode())
        out.write(f"data {len(msg)}\n".encode() + msg + b"\n")
        if i > 1:
            out.write(f"from :{i - 1}\n".encode())
            if side and rng.random() < 0.5:
                out.write(f"merge :{side}\n".encode())
                side = None
        path = f"src/{rng.choice(WORDS)}/{rng.choice(WORDS)}.rs"
        data = f"// {i}\n{sentence(rng, 10)}\n".encode()
        out.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        if i % ref_every == 0 and nrefs < a.refs:
            kind = "tags/v" if nrefs % 3 == 0 else "heads/feature/"
            out.write(f"reset refs/{kind}{nrefs}\nfrom :{i}\n\n".encode())
            nrefs += 1
        if i % 50 == 0 and i > 2:
            side = i - 1  # a commit already in history, merged as a second parent later
    out.close()
    if fi.wait() != 0:
        sys.exit("fast-import failed")


if __name__ == "__main__":
    main()

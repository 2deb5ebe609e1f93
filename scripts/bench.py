#!/usr/bin/env python3
"""aigate against git itself, on the same repository, in the same run.

    scripts/bench.py [--commits 100000] [--refs 1000] [--runs 5] [--aigate PATH] [--only hook,server,audit]

hostile: pushes anyone with write access can make, each timed through the whole hook with the
        default budget (4 s): 20 tags at the tip of an unmerged branch holding the whole history,
        20 protected branches at 20 points of it, one AI commit changing 500,000 files,
        2,000 new branches onto 2,000 loose refs, 20 AI commits alternating two versions of a
        200,000-line file, one commit with 100,000 Assisted-by lines, the whole history as new
        commits to main, and a tree nested 10,000 levels deep. Each row prints the time and the
        outcome (accepted, or refused and why); none may overrun the budget by much.
hook:   `aigate hook commit-msg FILE` (whole process, agent detection on) against
        `git interpret-trailers --parse FILE` on the same message.
audit:  `aigate audit` of the whole history against `git log --format=%B`, with peak memory
        (max RSS, from /usr/bin/time when present): with nothing recorded (every AI-assisted
        commit's trees compared) and with the blast radius of each commit recorded where it was
        measured (aigate/measures, as the server hook leaves it); also with the blast radius off
        (the read path alone), and against `git log --raw` (git doing tree comparisons too);
        the adoption figures (`--figures`) without lines against `git log --format=%B`, and
        with lines (`--figures --lines`) against `git log --numstat --format=%B`, at half and
        at the whole history (peak memory stays flat).
record: `aigate audit` of 10,000 AI-assisted commits that all have a decision record
        (refs/notes/aigate, written by the server's pre-receive and post-receive) against the same
        audit with no record (every commit judged); prints the ratio.
server:
Builds (once, cached under target/bench/) a bare repository with scripts/gen-repo.py, then,
for 1, 100 and 10,000 new commits, with and without a commit-graph, simulates a push to main
(`aigate hook pre-receive` fed `<old> <new> refs/heads/main`) and prints, as medians:
  find:  aigate's walk for the commits to judge  vs  git rev-list --count NEW --not <protected tips>
  total: the whole hook process                  vs  that rev-list plus git log --format=%B of them,
         and vs rev-list plus git log --raw (git comparing each commit's tree with its parent's,
         the work the blast radius of AI-assisted commits does)
Times are wall clock; nothing here asserts a time.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, cwd=None, stdin=None, env=None):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, input=stdin, env=env, capture_output=True, text=True, errors="replace")
    return time.perf_counter() - t, p


def git(repo, *args):
    p = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True)
    return p.stdout.strip()


def median_time(n, fn):
    return statistics.median(fn() for _ in range(n))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=100_000)
    ap.add_argument("--refs", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--new", default="1,100,10000")
    ap.add_argument("--aigate", default=os.path.join(ROOT, "target", "release", "aigate"))
    ap.add_argument("--only", default="hook,server,audit,hostile,approvals,record")
    ap.add_argument("--git-repo", help="also time check and audit on this repository (a clone of git.git)")
    a = ap.parse_args()
    only = set(a.only.split(","))
    if not os.access(a.aigate, os.X_OK):
        sys.exit(f"no aigate binary at {a.aigate}: run `cargo build --release --locked` first")

    bench = os.path.join(ROOT, "target", "bench")
    os.makedirs(bench, exist_ok=True)
    if a.git_repo:
        bench_real(a, a.git_repo)
    repo = os.path.join(bench, f"repo-{a.commits}-{a.refs}.git")
    if not os.path.exists(os.path.join(repo, "HEAD")):
        print(f"generating {a.commits} commits, {a.refs} refs in {repo} ...", flush=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-repo.py"), repo,
                        str(a.commits), "--refs", str(a.refs), "--bare"], check=True)
        git(repo, "update-ref", "refs/heads/incoming", "refs/heads/main")
        git(repo, "gc", "-q")
    tip = git(repo, "rev-parse", "refs/heads/incoming")
    nrefs = len(git(repo, "for-each-ref").splitlines())
    count = git(repo, "rev-list", "--count", tip)
    print(f"repository: {count} commits, {nrefs} refs; median of {a.runs} runs; machine: {os.cpu_count()} cpus")
    if "hook" in only:
        bench_hook(a)
    if "audit" in only:
        bench_audit(a, repo, tip)
    if "hostile" in only:
        bench_hostile(a, repo, tip)
    if "approvals" in only:
        bench_approvals(a)
    if "landing" in only or "approvals" in only:
        bench_landing(a)
    if "record" in only:
        bench_record(a)
    if "server" not in only:
        return
    env = dict(os.environ, GIT_DIR=repo, AIGATE_TIMINGS="1")
    env.pop("GIT_OBJECT_DIRECTORY", None)
    print(f"{'new':>6} {'graph':>5} | {'rev-list':>9} {'aigate find':>11} {'ratio':>6} | "
          f"{'rev-list+log':>12} {'aigate hook':>11} {'ratio':>6} | {'+log --raw':>10} {'ratio':>6}")
    for graph in (False, True):
        if graph:
            # Version 1 (no generation data): the graph libgit2 reads, and the one
            # `aigate install --server` configures. git reads it too.
            git(repo, "-c", "commitGraph.generationVersion=1", "commit-graph", "write", "--reachable")
        else:
            for f in ("commit-graph",):
                path = os.path.join(repo, "objects", "info", f)
                if os.path.exists(path):
                    os.remove(path)
            subprocess.run(["rm", "-rf", os.path.join(repo, "objects", "info", "commit-graphs")])
        for k in [int(x) for x in a.new.split(",")]:
            old = git(repo, "rev-parse", f"{tip}~{k}")
            git(repo, "update-ref", "refs/heads/main", old)
            protected = [old]  # main is the only protected ref in the generated repository
            n = git(repo, "rev-list", "--count", tip, "--not", *protected)

            def git_find():
                return run(["git", "-C", repo, "rev-list", "--count", tip, "--not", *protected])[0]

            def git_find_log():
                t1, _ = run(["git", "-C", repo, "rev-list", "--count", tip, "--not", *protected])
                t2, _ = run(["git", "-C", repo, "log", "--format=%B", tip, "--not", *protected])
                return t1 + t2

            def git_find_raw():
                # git doing the same kind of work as the blast radius: each commit's tree
                # compared with its first parent's.
                t1, _ = run(["git", "-C", repo, "rev-list", "--count", tip, "--not", *protected])
                t2, _ = run(["git", "-C", repo, "log", "--raw", "--no-renames", "--format=%B", tip, "--not", *protected])
                return t1 + t2

            finds = []

            def aigate_hook():
                t, p = run([a.aigate, "hook", "pre-receive"], cwd=repo, stdin=f"{old} {tip} refs/heads/main\n", env=env)
                m = re.search(r"find (\d+)us \((\d+) commits\)", p.stderr)
                if not m:
                    sys.exit(f"aigate did not report timings:\n{p.stderr[-2000:]}")
                if m.group(2) != n:
                    sys.exit(f"aigate judged {m.group(2)} commits, git counts {n}")
                finds.append(int(m.group(1)) / 1e6)
                return t

            g1 = median_time(a.runs, git_find)
            g2 = median_time(a.runs, git_find_log)
            g3 = median_time(a.runs, git_find_raw)
            h = median_time(a.runs, aigate_hook)
            f = statistics.median(finds)
            print(f"{n:>6} {'yes' if graph else 'no':>5} | {g1*1000:>7.1f}ms {f*1000:>9.1f}ms {f/g1:>5.2f}x | "
                  f"{g2*1000:>10.1f}ms {h*1000:>9.1f}ms {h/g2:>5.2f}x | {g3*1000:>8.1f}ms {h/g3:>5.2f}x", flush=True)
    git(repo, "update-ref", "refs/heads/main", tip)


def bench_hook(a):
    msg = os.path.join(ROOT, "target", "bench", "commit-msg.txt")
    with open(msg, "w") as f:
        f.write("feat: add the parser\n\nA body paragraph that explains the change.\n\n"
                "Co-Authored-By: Claude <noreply@anthropic.com>\nAssisted-by: claude-code\n"
                "Reviewed-by: Rob Reviewer <rob@example.com>\n# Please enter the commit message.\n")
    env = {k: v for k, v in os.environ.items() if k != "AIGATE_AGENT"}
    runs = max(a.runs, 20) * 3
    # Interleaved, so both sides see the same machine load (a 2-core VM drifts by ~30%).
    gs, hs = [], []
    for _ in range(runs):
        gs.append(run(["git", "interpret-trailers", "--parse", msg], cwd=ROOT, env=env)[0])
        hs.append(run([a.aigate, "hook", "commit-msg", msg], cwd=ROOT, env=env)[0])
    g, h = statistics.median(gs), statistics.median(hs)
    print(f"commit-msg hook: git interpret-trailers {g*1000:.2f}ms, aigate {h*1000:.2f}ms, ratio {h/g:.2f}x (median of {runs}, interleaved)")


def peak(cmd, cwd):
    """Wall time and max RSS (MB) of one run, via /usr/bin/time when present."""
    if os.path.exists("/usr/bin/time"):
        t, p = run(["/usr/bin/time", "-f", "%M", *cmd], cwd=cwd)
        try:
            return t, int(p.stderr.strip().splitlines()[-1]) / 1024
        except (ValueError, IndexError):
            return t, float("nan")
    return run(cmd, cwd=cwd)[0], float("nan")


def bench_audit(a, repo, tip):
    n = max(1, a.runs // 2)
    noblast = os.path.join(ROOT, "target", "bench", "policy-no-blast-radius.toml")
    with open(noblast, "w") as f:
        f.write("[agents.blast_radius]\nmin_reviews = 1\n")

    def row(label, git_cmd, aigate_args, recorded=False):
        cmd = [a.aigate, "audit", tip, "--branch", "main", "--format", "json", *aigate_args]
        forget_measures(repo)
        if recorded:
            run(cmd, cwd=repo)  # records every blast radius it measures (as the server hook does)

        def once():
            if not recorded:
                forget_measures(repo)
            return peak(cmd, repo)
        g = [peak(git_cmd, repo) for _ in range(n)]
        h = [once() for _ in range(n)]
        forget_measures(repo)
        gt, gm = statistics.median(x[0] for x in g), max(x[1] for x in g)
        ht, hm = statistics.median(x[0] for x in h), max(x[1] for x in h)
        print(f"{label}: git {gt:.2f}s {gm:.0f}MB, aigate audit {ht:.2f}s {hm:.0f}MB, ratio {ht/gt:.2f}x", flush=True)

    # The row: the default policy (its blast radius reads trees for AI-assisted commits),
    # nothing recorded: every AI-assisted commit's trees are compared.
    row("audit, default policy, nothing recorded, vs git log --format=%B", ["git", "log", "--format=%B", tip], [])
    # The same with each commit's blast radius recorded where it was measured (aigate/measures in
    # the git directory: the server hook records what it measures when it judges a push).
    row("audit, default policy, blast radius recorded, vs git log --format=%B", ["git", "log", "--format=%B", tip], [], recorded=True)
    # The read path alone: the same audit with the blast radius off, against the same git log.
    row("audit, blast radius off, vs git log --format=%B", ["git", "log", "--format=%B", tip], ["--policy", noblast])
    # Work of the same kind: git comparing every commit's tree with its parent's.
    row("audit, default policy, vs git log --raw --format=%B", ["git", "log", "--raw", "--no-renames", "--format=%B", tip], [])
    # Adoption figures (issue 23): without lines they ride on the audit's read path; with lines
    # every commit's diff is read, as git log --numstat reads it (renames detected, as git's
    # default). Peak memory at half and at the whole history shows it flat in history length;
    # the blast radius is off there, so the rows time the lines, not the default policy's trees.
    row("audit --figures, vs git log --format=%B", ["git", "log", "--format=%B", tip], ["--figures"])
    half = git(repo, "rev-parse", f"{tip}~{int(git(repo, 'rev-list', '--count', '--first-parent', tip)) // 2}")
    for label, rev in (("half the history", half), ("the whole history", tip)):
        g = [peak(["git", "log", "--numstat", "--format=%B", rev], repo) for _ in range(n)]
        h = []
        for _ in range(n):
            forget_measures(repo)
            h.append(peak([a.aigate, "audit", rev, "--branch", "main", "--format", "json", "--figures", "--lines",
                           "--policy", noblast], repo))
        gt, ht = statistics.median(x[0] for x in g), statistics.median(x[0] for x in h)
        # aigate's peak includes the git processes it runs for the numstat of each chunk.
        print(f"audit --figures --lines of {label}: git log --numstat --format=%B {gt:.2f}s "
              f"{max(x[1] for x in g):.0f}MB, aigate {ht:.2f}s {max(x[1] for x in h):.0f}MB, ratio {ht/gt:.2f}x",
              flush=True)


def forget_measures(repo):
    """Removes the blast-radius measurements aigate recorded in the repository's git directory."""
    d = git(repo, "rev-parse", "--git-common-dir")
    path = os.path.join(repo if not os.path.isabs(d) else "", d, "aigate", "measures")
    if os.path.exists(path):
        os.remove(path)


def bench_real(a, repo):
    """check and audit on a real repository (git.git), against git log on the same commits."""
    head = git(repo, "rev-parse", "HEAD")
    fp = git(repo, "rev-list", "--first-parent", "-n", "10000", head).splitlines()[-1]
    n = git(repo, "rev-list", "--count", f"{fp}..{head}")
    runs = max(1, a.runs // 2)

    run([a.aigate, "--version"])  # the binary in the page cache before anything is timed

    def med(cmd):
        def once():
            forget_measures(repo)  # nothing recorded: the cold case
            return peak(cmd, repo)[0]
        return statistics.median(once() for _ in range(runs))

    g = med(["git", "log", "--format=%B", f"{fp}..{head}"])
    h = med([a.aigate, "check", f"{fp}..{head}", "--branch", "master", "--format", "json"])
    print(f"real repository {os.path.basename(os.path.abspath(repo))}: check of {n} commits behind the last 10,000 "
          f"first-parent ones: git log --format=%B {g:.2f}s, aigate check {h:.2f}s, ratio {h/g:.2f}x", flush=True)
    total = git(repo, "rev-list", "--count", head)
    g = med(["git", "log", "--format=%B", head])
    h = med([a.aigate, "audit", head, "--branch", "master", "--format", "json"])
    print(f"real repository: audit of {total} commits: git log --format=%B {g:.2f}s, aigate audit {h:.2f}s, "
          f"ratio {h/g:.2f}x", flush=True)
    g = med(["git", "log", "--numstat", "--format=%B", head])
    h = med([a.aigate, "audit", head, "--branch", "master", "--format", "json", "--figures", "--lines"])
    print(f"real repository: adoption figures with lines of {total} commits: git log --numstat --format=%B "
          f"{g:.2f}s, aigate audit --figures --lines {h:.2f}s, ratio {h/g:.2f}x", flush=True)


def fast_import(repo, script):
    subprocess.run(["git", "-C", repo, "fast-import", "--quiet"], input=script.encode() if isinstance(script, str) else script, check=True)


def bench_hostile(a, repo, tip):
    """Hostile pushes through the whole pre-receive hook (objects already in the repository)."""
    env = dict(os.environ, GIT_DIR=repo, AIGATE_TIMINGS="1")
    env.pop("GIT_OBJECT_DIRECTORY", None)
    zero = "0" * 40

    def hook(label, lines, r=repo):
        e = dict(env, GIT_DIR=r)
        t, p = run([a.aigate, "hook", "pre-receive"], cwd=r, stdin=lines, env=e)
        why = [l for l in p.stderr.splitlines() if "refused:" in l or "too large" in l or "deeper" in l]
        reason = why[0].split("aigate: ", 1)[-1] if why else p.stderr.strip().splitlines()[-1]
        outcome = "accepted" if p.returncode == 0 else "refused: " + reason.removeprefix("refused: ")[:90]
        print(f"hostile: {label}: {t:.2f}s, {outcome}", flush=True)

    root = git(repo, "rev-list", "--max-parents=0", tip).splitlines()[0]
    # 1. 20 tags at the tip of a branch no protected ref reaches (main at the root commit).
    git(repo, "update-ref", "refs/heads/main", root)
    hook("20 tags at the tip of an unmerged branch (unprotected tags)",
         "".join(f"{zero} {tip} refs/tags/h{i}\n" for i in range(20)))
    pol = os.path.join(ROOT, "target", "bench", "policy-protect-tags.toml")
    with open(pol, "w") as f:
        f.write('[branches]\nprotected = ["main", "refs/tags/*"]\n')
    git(repo, "config", "aigate.policy", pol)
    hook("20 tags at the tip of an unmerged branch (protected tags)",
         "".join(f"{zero} {tip} refs/tags/h{i}\n" for i in range(20)))
    git(repo, "config", "--unset", "aigate.policy")
    # 1b. 20 new protected branches (release/*) at 20 points of that unmerged history: the
    # commits of every ref are judged for that ref, within the one budget.
    points = git(repo, "rev-list", "--first-parent", "-n", "741", tip).splitlines()[::37][:20]
    hook("20 protected branches at 20 points of an unmerged branch",
         "".join(f"{zero} {c} refs/heads/release/h{i}\n" for i, c in enumerate(points)))
    # 5. the whole history as new commits to main.
    hook("the whole history pushed to main", f"{root} {tip} refs/heads/main\n")
    git(repo, "update-ref", "refs/heads/main", tip)
    # 2. 2,000 new branches onto 2,000 loose refs.
    subprocess.run(["git", "-C", repo, "update-ref", "--stdin"], check=True,
                   input="".join(f"create refs/heads/loose/{i} {tip}\n" for i in range(2000)), text=True)
    hook("2,000 new branches onto 2,000 loose refs",
         "".join(f"{zero} {tip} refs/heads/new/{i}\n" for i in range(2000)))
    subprocess.run(["git", "-C", repo, "update-ref", "--stdin"], check=True,
                   input="".join(f"delete refs/heads/loose/{i}\n" for i in range(2000)), text=True)

    # A scratch repository for the crafted objects.
    scratch = os.path.join(ROOT, "target", "bench", "hostile.git")
    subprocess.run(["rm", "-rf", scratch], check=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", scratch], check=True)
    ai = "Co-Authored-By: Claude <noreply@anthropic.com>\nAssisted-by: claude-code\nReviewed-by: Rob <rob@example.com>\n"

    def commit(ref, mark, parent, msg, files, t):
        out = [f"commit {ref}", f"mark :{mark}", f"committer Ann <ann@example.com> {t} +0000",
               f"data {len(msg.encode())}", msg]
        if isinstance(parent, int):
            out.append(f"from :{parent}")
        elif parent:
            out.append(f"from {parent}")
        out += files
        return "\n".join(out) + "\n"

    # 3. 20 AI commits alternating two versions of a 200,000-line file.
    va = "".join(f"line {i} alpha\n" for i in range(200_000))
    vb = "".join(f"line {i} beta\n" for i in range(200_000))
    blobs = f"blob\nmark :1\ndata {len(va)}\n{va}\nblob\nmark :2\ndata {len(vb)}\n{vb}\n"
    script = blobs + commit("refs/heads/main", 10, None, "base\n", ["M 100644 :1 big.txt"], 1_700_000_000)
    for i in range(20):
        script += commit("refs/heads/incoming", 11 + i, 10 + i, f"feat: flip {i}\n\n{ai}",
                         [f"M 100644 :{2 if i % 2 == 0 else 1} big.txt"], 1_700_000_001 + i)
    fast_import(scratch, script)
    base, new = git(scratch, "rev-parse", "main"), git(scratch, "rev-parse", "incoming")
    hook("20 AI commits alternating two versions of a 200,000-line file, to main",
         f"{base} {new} refs/heads/main\n", scratch)
    # 4. one commit with 100,000 Assisted-by lines.
    msg = "feat: many\n\n" + "Assisted-by: claude-code\n" * 100_000 + ai
    fast_import(scratch, commit("refs/heads/many", 100, base, msg, ["M 100644 :1 big.txt"], 1_700_000_100).replace("commit refs/heads/many\nmark :100", f"blob\nmark :1\ndata 2\nx\n\ncommit refs/heads/many\nmark :100", 1))
    hook("one commit with 100,000 Assisted-by lines, to main",
         f"{base} {git(scratch, 'rev-parse', 'many')} refs/heads/main\n", scratch)
    # 4b. one AI commit changing 500,000 files (each its own content), on a base that has them.
    n = 500_000
    wide = commit("refs/heads/wide", 300, base, "base of wide\n",
                  [f"M 100644 inline w{i % 1000}/f{i}\ndata {len(str(i)) + 1}\n{i}" for i in range(n)], 1_700_000_300)
    wide += commit("refs/heads/wide", 301, 300, f"feat: touch every file\n\n{ai}",
                   [f"M 100644 inline w{i % 1000}/f{i}\ndata {len(str(i)) + 3}\n{i} x" for i in range(n)], 1_700_000_301)
    fast_import(scratch, wide)
    git(scratch, "update-ref", "refs/heads/main", git(scratch, "rev-parse", "wide~1"))
    hook("one AI commit changing 500,000 files, to main",
         f"{git(scratch, 'rev-parse', 'wide~1')} {git(scratch, 'rev-parse', 'wide')} refs/heads/main\n", scratch)
    git(scratch, "update-ref", "refs/heads/main", base)
    # 6. a tree nested 10,000 levels deep.
    deep = "/".join(["d"] * 10_000) + "/f"
    fast_import(scratch, f"blob\nmark :1\ndata 2\nx\n\n" + commit("refs/heads/deep", 200, base, f"feat: deep\n\n{ai}", [f"M 100644 :1 {deep}"], 1_700_000_200))
    hook("a tree nested 10,000 levels deep, to main",
         f"{base} {git(scratch, 'rev-parse', 'deep')} refs/heads/main\n", scratch)


def ai_history(name, n, files=None):
    """A new bare repository under target/bench/: main holds one commit, `incoming` n attested
    and reviewed AI commits on top (each changing f{i}.txt, or f{i % files}.txt); returns
    (repo, main, incoming)."""
    repo = os.path.join(ROOT, "target", "bench", name)
    subprocess.run(["rm", "-rf", repo], check=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", repo], check=True)
    ai = "Co-Authored-By: Claude <noreply@anthropic.com>\nAssisted-by: claude-code\nReviewed-by: Bob <bob@example.com>\n"
    parts = ["blob\nmark :1\ndata 2\nx\n\ncommit refs/heads/main\nmark :10\ncommitter Ann <ann@example.com> 1700000000 +0000\ndata 5\nbase\nM 100644 :1 f0.txt\n"]
    for i in range(n):
        msg = f"feat: {i}\n\n{ai}"
        parts.append(f"blob\nmark :{1_000_000 + i}\ndata {len(str(i)) + 1}\n{i}\n\n"
                     f"commit refs/heads/incoming\nmark :{11 + i}\ncommitter Ann <ann@example.com> {1700000001 + i} +0000\n"
                     f"data {len(msg.encode())}\n{msg}\nfrom :{10 + i}\nM 100644 :{1_000_000 + i} f{i % files if files else i}.txt\n")
    fast_import(repo, "".join(parts))
    return repo, git(repo, "rev-parse", "main"), git(repo, "rev-parse", "incoming")


def reviewer_key(bench):
    """Bob's SSH key (made once) and a trust root naming it: (private key, allowed signers)."""
    key = os.path.join(bench, "bob-key")
    if not os.path.exists(key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bob", "-f", key], check=True)
    with open(key + ".pub") as f:
        kt, kb = f.read().split()[:2]
    signers = os.path.join(bench, "allowed_signers")
    with open(signers, "w") as f:
        f.write(f"bob@example.com {kt} {kb}\n")
    return key, signers


def bench_approvals(a):
    """A push of 1,000 attested AI commits to main, judged with typed reviews and then with
    signed reviews (one range approval from `aigate approve`, verified on the server): the
    difference is what verification costs."""
    bench = os.path.join(ROOT, "target", "bench")
    repo, base, tip = ai_history("approvals.git", 1000)
    key, signers = reviewer_key(bench)
    git(repo, "config", "user.email", "bob@example.com")
    t, p = run([a.aigate, "approve", f"{base}..{tip}", "--into", "main", "--key", key], cwd=repo)
    if p.returncode != 0:
        sys.exit(f"aigate approve failed: {p.stderr}")
    print(f"approvals: aigate approve of 1,000 commits (one signature): {t:.2f}s", flush=True)
    env = dict(os.environ, GIT_DIR=repo)
    env.pop("GIT_OBJECT_DIRECTORY", None)
    line = f"{base} {tip} refs/heads/main\n"
    for label, policy in [("typed reviews", "[review]\nverify = \"trailer\"\n"),
                          ("signed reviews", "[review]\nverify = \"signed\"\n")]:
        pol = os.path.join(bench, "approvals-policy.toml")
        with open(pol, "w") as f:
            f.write(policy)
        git(repo, "config", "aigate.policy", pol)
        git(repo, "config", "aigate.allowedSigners", signers)
        times, codes = [], set()
        for _ in range(max(a.runs, 3)):
            t, p = run([a.aigate, "hook", "pre-receive"], cwd=repo, stdin=line, env=env)
            times.append(t)
            codes.add(p.returncode)
        print(f"approvals: 1,000-commit push, {label}: {statistics.median(times)*1000:.0f}ms, "
              f"{'accepted' if codes == {0} else 'refused'}", flush=True)


def bench_landing(a):
    """Change-bound approvals: what covering a squash merge costs on the server. A 1,000-commit
    change and a 10,000-file change, each approved once (`aigate approve base..head`), then
    landed as a squash on the reviewed base (one tree comparison) and on a moved base (one
    in-memory three-way merge). Timed against git doing the same work in the same run:
    `git diff --name-only` (the paths key) and `git merge-tree --write-tree` (the merge)."""
    bench = os.path.join(ROOT, "target", "bench")
    key, signers = reviewer_key(bench)
    pol = os.path.join(bench, "landing-policy.toml")
    with open(pol, "w") as f:
        f.write("[review]\nverify = \"signed\"\n")
    ai = "Co-Authored-By: Claude <noreply@anthropic.com>\nAssisted-by: claude-code\n"
    for label, commits, files in [("1,000 commits", 1000, 1), ("10,000 files", 1, 10000)]:
        repo = os.path.join(bench, f"landing-{commits}-{files}.git")
        subprocess.run(["rm", "-rf", repo], check=True)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", repo], check=True)
        # main: a base commit with one file per change slot and a file the moved base edits.
        script = "blob\nmark :1\ndata 2\nx\n\ncommit refs/heads/main\nmark :10\ncommitter Ann <ann@example.com> 1700000000 +0000\ndata 5\nbase\nM 100644 :1 other.txt\n"
        mark = 11
        parent = 10
        for i in range(commits):
            msg = f"feat: {i}\n\n{ai}"
            script += (f"commit refs/heads/feature\nmark :{mark}\ncommitter Ann <ann@example.com> {1700000001 + i} +0000\n"
                       f"data {len(msg.encode())}\n{msg}\nfrom :{parent}\n")
            for j in range(files):
                n = i * files + j
                script += f"M 100644 inline src/f{n}.txt\ndata {len(str(n)) + 1}\n{n}\n\n"
            parent = mark
            mark += 1
        # The target moves under the pull request: an unrelated edit on main.
        script += ("commit refs/heads/moved\nmark :9\ncommitter Ann <ann@example.com> 1700100000 +0000\ndata 6\nmoved\nfrom :10\n"
                   "M 100644 inline other.txt\ndata 2\ny\n\n")
        fast_import(repo, script)
        base, head, moved = (git(repo, "rev-parse", r) for r in ("main", "feature", "moved"))
        git(repo, "config", "user.email", "bob@example.com")
        t, p = run([a.aigate, "approve", f"{base}..{head}", "--into", "main", "--key", key, "--force"], cwd=repo)
        if p.returncode != 0:
            sys.exit(f"aigate approve failed: {p.stderr}")
        env_c = dict(os.environ, GIT_AUTHOR_NAME="Ann", GIT_AUTHOR_EMAIL="ann@example.com",
                     GIT_COMMITTER_NAME="GitHub", GIT_COMMITTER_EMAIL="noreply@github.com")
        msg = f"feat: the change (#1)\n\n{ai}"
        squash = subprocess.run(["git", "-C", repo, "commit-tree", f"{head}^{{tree}}", "-p", base, "-m", msg],
                                capture_output=True, text=True, check=True, env=env_c).stdout.strip()
        merged_tree = git(repo, "merge-tree", "--write-tree", moved, head)
        squash_moved = subprocess.run(["git", "-C", repo, "commit-tree", merged_tree, "-p", moved, "-m", msg],
                                      capture_output=True, text=True, check=True, env=env_c).stdout.strip()
        git(repo, "config", "aigate.policy", pol)
        git(repo, "config", "aigate.allowedSigners", signers)
        env = dict(os.environ, GIT_DIR=repo)
        env.pop("GIT_OBJECT_DIRECTORY", None)
        for where, old, new, git_cmd in [
            ("on the reviewed base", base, squash, ["git", "-C", repo, "diff", "--name-only", base, squash]),
            ("on a moved base", moved, squash_moved, ["git", "-C", repo, "merge-tree", "--write-tree", moved, head]),
        ]:
            line = f"{old} {new} refs/heads/main\n"
            times, codes = [], set()
            for _ in range(max(a.runs, 3)):
                t, p = run([a.aigate, "hook", "pre-receive"], cwd=repo, stdin=line, env=env)
                times.append(t)
                codes.add(p.returncode)
            g = median_time(max(a.runs, 3), lambda: run(git_cmd)[0])
            h = statistics.median(times)
            print(f"landing: {label}, squash {where}: aigate hook {h*1000:.0f}ms, "
                  f"git {' '.join(git_cmd[3:5])} {g*1000:.0f}ms, ratio {h/g:.2f}x, "
                  f"{'accepted' if codes == {0} else 'refused: ' + p.stderr[-300:]}", flush=True)


def bench_record(a, n=10_000):
    """`aigate audit` of n AI-assisted commits without a decision record (each one judged), then
    with one for every commit (what the server hook records when it accepts them): the record
    is read instead of judging."""
    repo, base, tip = ai_history("record.git", n, files=100)
    cmd = [a.aigate, "audit", tip, "--branch", "main", "--format", "json"]
    runs = max(a.runs, 3)
    without = statistics.median(run(cmd, cwd=repo)[0] for _ in range(runs))
    # The server records a decision for each commit of an accepted push to main.
    env = dict(os.environ, GIT_DIR=repo)
    env.pop("GIT_OBJECT_DIRECTORY", None)
    git(repo, "config", "aigate.timeBudget", "60")
    git(repo, "config", "aigate.record", "true")
    line = f"{base} {tip} refs/heads/main\n"
    for hook in ("pre-receive", "post-receive"):
        t, p = run([a.aigate, "hook", hook], cwd=repo, stdin=line, env=env)
        if p.returncode != 0:
            sys.exit(f"aigate hook {hook} failed: {p.stderr}")
        print(f"record: {hook} of a {n}-commit push, recording each decision: {t:.2f}s", flush=True)
    recorded = len(git(repo, "notes", "--ref", "aigate", "list").splitlines())
    with_record = statistics.median(run(cmd, cwd=repo)[0] for _ in range(runs))
    print(f"record: audit of {n} AI-assisted commits: no record {without:.2f}s, "
          f"{recorded} recorded {with_record:.2f}s, ratio {with_record/without:.2f}x", flush=True)


if __name__ == "__main__":
    main()

//! Reviews and merges the way teams land code, with a forge emulated as the forges do it: the
//! change is reviewed (with `aigate approve`, or in the forge's page and attested by a bridge
//! from the forge's real review event), then merged in a temporary clone by squash, merge
//! commit or rebase with the forge's committer identity, and pushed to a bare repository
//! guarded by `aigate install --server` with the forge's hook environment (GitHub Enterprise,
//! Gitea/Forgejo, GitLab). What was approved lands by every method; nothing else does.

mod common;
use common::*;
use std::path::PathBuf;

const BRIDGE: &str = "forge-bridge@ci.example.com";
const AI_COMMIT: &str =
    "feat: parser\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nAssisted-by: claude-code";
const GITHUB_MERGE: &[(&str, &str)] = &[
    ("GITHUB_VIA", "pull request merge button"),
    ("GITHUB_USER_LOGIN", "maya"),
    ("GITHUB_PULL_REQUEST_AUTHOR_LOGIN", "ann"),
    ("GITHUB_PULL_REQUEST_HEAD", "ann:feature"),
    ("GITHUB_PULL_REQUEST_BASE", "acme:main"),
];

struct Forge {
    s: Scratch,
    work: PathBuf,
    rob: PathBuf,
    bridge: PathBuf,
    owner: PathBuf,
    policy: String,
}

/// A governed server whose rules ask for signed reviews (plus `extra` under [review]), trust
/// Rob, Ann and the forge bridge, and map forge logins to people.
fn forge(extra: &str) -> Forge {
    let s = Scratch::new();
    let (_remote, work, owner) = s.governed();
    let rob = s.keygen("rob");
    let ann = s.keygen("ann");
    let bridge = s.keygen("bridge");
    let signers = format!(
        "{}{}{}",
        s.signer_line(REVIEWER, &rob),
        s.signer_line("ann@example.com", &ann),
        s.signer_line(BRIDGE, &bridge)
    );
    let policy = format!(
        "[review]\nverify = \"signed\"\n{extra}\n[forge]\nbridges = [\"{BRIDGE}\"]\n[identities]\n\"github:rob\" = \"rob@example.com\"\n\"github:ann\" = \"ann@example.com\"\n\"github:maya\" = \"maya@example.com\"\n"
    );
    s.push_rules(
        &work,
        &owner,
        &[
            (".aigate.toml", &policy),
            (".aigate/allowed_signers", &signers),
        ],
    );
    Forge {
        s,
        work,
        rob,
        bridge,
        owner,
        policy,
    }
}

impl Forge {
    /// Ann's pull request: an AI-assisted commit on `feature`, pushed; returns its head.
    fn pull_request(&self) -> String {
        let (s, w) = (&self.s, &self.work);
        s.git_ok(w, &["checkout", "-q", "-b", "feature", "origin/main"]);
        s.commit(w, "src/parser.rs", AI_COMMIT);
        let head = s.git_ok(w, &["rev-parse", "HEAD"]);
        s.git_ok(w, &["push", "-q", "--no-verify", "origin", "feature"]);
        s.git_ok(w, &["checkout", "-q", "main"]);
        head
    }

    /// Rob approves the pull request's change for main with `aigate approve`.
    fn rob_approves(&self) {
        self.s.git_ok(&self.work, &["fetch", "-q", "origin"]);
        let o = self
            .s
            .approve(&self.work, REVIEWER, &self.rob, "origin/feature", "main");
        assert!(o.status.success(), "{}", all(&o));
    }

    /// Someone pushes a human commit to main (the target moves under the pull request).
    fn main_moves(&self, file: &str) {
        let (s, w) = (&self.s, &self.work);
        s.git_ok(w, &["pull", "-q", "--no-rebase", "origin", "main"]);
        s.commit(w, file, "docs: unrelated");
        let o = s.git(w, &["push", "--no-verify", "origin", "main"]);
        assert!(o.status.success(), "{}", all(&o));
    }

    /// The forge merges `feature` into main by `method` in a temporary clone, as its
    /// committer, optionally with an extra edit, and pushes with the hook environment `env`.
    fn merge(
        &self,
        method: &str,
        env: &[(&str, &str)],
        extra_edit: Option<&str>,
    ) -> (bool, String) {
        self.merge_from("feature", method, env, extra_edit)
    }

    /// `merge` of another branch.
    fn merge_from(
        &self,
        branch: &str,
        method: &str,
        env: &[(&str, &str)],
        extra_edit: Option<&str>,
    ) -> (bool, String) {
        let s = &self.s;
        let from = format!("origin/{branch}");
        let n = std::fs::read_dir(s.dir.path()).unwrap().count();
        let m = s.path(&format!("forge-merge-{n}"));
        s.git_ok(
            s.dir.path(),
            &[
                "clone",
                "-q",
                s.path("remote.git").to_str().unwrap(),
                m.to_str().unwrap(),
            ],
        );
        let forge_git = |args: &[&str]| {
            let o = s
                .cmd("git", &m)
                .env("GIT_COMMITTER_NAME", "GitHub")
                .env("GIT_COMMITTER_EMAIL", "noreply@github.com")
                .args(args)
                .output()
                .unwrap();
            assert!(o.status.success(), "git {args:?}: {}", all(&o));
        };
        match method {
            "squash" => {
                forge_git(&["merge", "-q", "--squash", &from]);
                forge_git(&[
                    "commit",
                    "-q",
                    "--no-verify",
                    "-m",
                    "feat: parser (#1)\n\n* feat: parser\n\nAssisted-by: claude-code\nCo-authored-by: Claude <noreply@anthropic.com>",
                ]);
            }
            "merge" => forge_git(&[
                "merge",
                "-q",
                "--no-ff",
                "--no-verify",
                &from,
                "-m",
                "Merge pull request #1 from ann/feature",
            ]),
            "rebase" => {
                forge_git(&["checkout", "-q", "-b", "pr", &from]);
                forge_git(&["rebase", "-q", "main"]);
                forge_git(&["checkout", "-q", "main"]);
                forge_git(&["merge", "-q", "--ff-only", "pr"]);
            }
            _ => unreachable!(),
        }
        if let Some(file) = extra_edit {
            std::fs::write(m.join(file), "edited by the merger\n").unwrap();
            forge_git(&["add", file]);
            forge_git(&["commit", "-q", "--amend", "--no-edit", "--no-verify"]);
        }
        let mut c = s.cmd("git", &m);
        c.args(["push", "--no-verify", "origin", "HEAD:main"]);
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        (o.status.success(), all(&o))
    }

    /// The bridge attests a forge review event (written to a file) and pushes the approval.
    fn bridge(&self, event: &serde_json::Value, forge: Option<&str>) -> std::process::Output {
        let f = self.s.path("event.json");
        std::fs::write(&f, event.to_string()).unwrap();
        self.s.git_ok(&self.work, &["fetch", "-q", "origin"]);
        let mut args = vec![
            "approve",
            "--forge-event",
            f.to_str().unwrap(),
            "--as",
            BRIDGE,
            "--key",
            self.bridge.to_str().unwrap(),
            "--push",
            "origin",
        ];
        if let Some(fg) = forge {
            args.extend(["--forge", fg]);
        }
        self.s.aigate(&self.work, &args)
    }

    fn main_tip(&self) -> String {
        self.s.git_ok(&self.work, &["rev-parse", "origin/main"])
    }
}

/// GitHub's `pull_request_review` payload (Gitea and Forgejo Actions send the same shape).
fn review_event(
    reviewer: &str,
    kind: &str,
    state: &str,
    head: &str,
    base: &str,
) -> serde_json::Value {
    serde_json::json!({
        "action": "submitted",
        "review": {"state": state, "user": {"login": reviewer, "type": kind}, "commit_id": head},
        "pull_request": {
            "number": 1,
            "user": {"login": "ann"},
            "head": {"sha": head, "ref": "feature"},
            "base": {"sha": base, "ref": "main"}
        },
        "repository": {"full_name": "acme/app"}
    })
}

fn assert_accepted((ok, out): (bool, String)) {
    assert!(ok, "refused:\n{out}");
}

fn assert_refused((ok, out): (bool, String), why: &str) {
    assert!(!ok, "accepted:\n{out}");
    assert!(out.contains(why), "no `{why}` in:\n{out}");
}

#[test]
fn an_approved_change_lands_by_squash_merge() {
    let f = forge("");
    f.pull_request();
    // Unreviewed, the squash is refused, and the fix names the pull request's branch.
    assert_refused(
        f.merge("squash", GITHUB_MERGE, None),
        "aigate approve origin/feature --into main",
    );
    f.rob_approves();
    let before = f.main_tip();
    assert_accepted(f.merge("squash", GITHUB_MERGE, None));
    // CI's push job (a forge without server hooks) judges the same landing the same way.
    let (s, w) = (&f.s, &f.work);
    s.git_ok(
        w,
        &[
            "fetch",
            "-q",
            "origin",
            "+refs/aigate/approvals:refs/aigate/approvals",
            "+refs/heads/main:refs/remotes/origin/main",
        ],
    );
    let after = f.main_tip();
    assert_ne!(before, after);
    let o = s.aigate(
        w,
        &[
            "check",
            "--range",
            &format!("{before}..{after}"),
            "--branch",
            "main",
            "--rules-from",
            &before,
        ],
    );
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn an_approved_change_lands_by_rebase_merge() {
    let f = forge("");
    f.pull_request();
    f.rob_approves();
    // A new commit on main first, so the rebase mints new commit ids on a moved base.
    f.main_moves("NOTES.md");
    assert_accepted(f.merge("rebase", GITHUB_MERGE, None));
}

#[test]
fn an_approved_change_lands_by_merge_commit() {
    let f = forge("");
    f.pull_request();
    f.rob_approves();
    assert_accepted(f.merge("merge", GITHUB_MERGE, None));
}

#[test]
fn a_moved_base_with_a_clean_merge_is_covered_unless_the_policy_asks_for_the_exact_base() {
    let f = forge("");
    f.pull_request();
    f.rob_approves();
    f.main_moves("NOTES.md");
    assert_accepted(f.merge("squash", GITHUB_MERGE, None));

    let f = forge("base = \"exact\"");
    f.pull_request();
    f.rob_approves();
    f.main_moves("NOTES.md");
    assert_refused(
        f.merge("squash", GITHUB_MERGE, None),
        "review.base = \"exact\"",
    );
}

#[test]
fn an_extra_edit_by_the_merger_is_not_covered_and_the_refusal_names_the_file() {
    let f = forge("");
    f.pull_request();
    f.rob_approves();
    assert_refused(
        f.merge("squash", GITHUB_MERGE, Some("src/parser.rs")),
        "differs from what was approved in src/parser.rs",
    );
    // An edit outside the reviewed files is not covered either.
    assert_refused(f.merge("squash", GITHUB_MERGE, Some("deploy.sh")), "AIG004");
    // On a moved target the edit is named too (the expected tree is merged in memory).
    f.main_moves("NOTES.md");
    assert_refused(
        f.merge("squash", GITHUB_MERGE, Some("src/parser.rs")),
        "differs from what was approved in src/parser.rs",
    );
}

#[test]
fn a_push_to_the_pull_request_after_the_approval_is_not_covered() {
    let f = forge("");
    f.pull_request();
    f.rob_approves();
    let (s, w) = (&f.s, &f.work);
    s.git_ok(w, &["checkout", "-q", "feature"]);
    s.commit(
        w,
        "src/parser.rs",
        "fix: after the review\n\nAssisted-by: claude-code",
    );
    s.git_ok(w, &["push", "-q", "--no-verify", "origin", "feature"]);
    s.git_ok(w, &["checkout", "-q", "main"]);
    for method in ["squash", "merge", "rebase"] {
        // The forge names the pull request's branch: the approval of its older head is found
        // there, and the refusal names what changed since.
        assert_refused(
            f.merge(method, GITHUB_MERGE, None),
            "what lands differs from what was approved in src/parser.rs",
        );
    }
}

#[test]
fn commit_binding_keeps_approvals_to_the_commits_they_name() {
    let f = forge("binding = \"commit\"");
    f.pull_request();
    f.rob_approves();
    assert_refused(f.merge("squash", GITHUB_MERGE, None), "AIG004");
    // A fast-forward of exactly the approved commits still lands.
    let o = f.s.git(
        &f.work,
        &["push", "--no-verify", "origin", "origin/feature:main"],
    );
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn a_forge_review_attested_by_the_bridge_counts_for_the_squash() {
    let f = forge("");
    let head = f.pull_request();
    let o = f.bridge(
        &review_event("rob", "User", "approved", &head, &f.main_tip()),
        None,
    );
    assert!(o.status.success(), "{}", all(&o));
    assert_accepted(f.merge("squash", GITHUB_MERGE, None));
    // The server's decision record names the forge merge, the bridge and the landing.
    let (s, w) = (&f.s, &f.work);
    s.git_ok(
        w,
        &[
            "fetch",
            "-q",
            "origin",
            "+refs/notes/aigate:refs/notes/aigate",
            "+refs/heads/main:refs/remotes/origin/main",
        ],
    );
    let note: serde_json::Value =
        serde_json::from_str(&s.git_ok(w, &["notes", "--ref", "aigate", "show", &f.main_tip()]))
            .unwrap();
    let d = &note["decisions"][0];
    assert_eq!(d["forge_merge"]["forge"], "github", "{note}");
    assert_eq!(d["approvals"][0]["reviewer"], REVIEWER, "{note}");
    assert_eq!(d["approvals"][0]["bridge"], BRIDGE, "{note}");
    assert!(d["approvals"][0]["landing"].is_string(), "{note}");
}

#[test]
fn the_pull_requests_author_approving_through_the_forge_is_set_aside() {
    let f = forge("");
    let head = f.pull_request();
    let o = f.bridge(
        &review_event("ann", "User", "approved", &head, &f.main_tip()),
        None,
    );
    assert!(o.status.success(), "{}", all(&o));
    assert_refused(f.merge("squash", GITHUB_MERGE, None), "author");
}

#[test]
fn bot_reviews_comments_and_stale_reviews_are_not_signed() {
    let f = forge("");
    let head = f.pull_request();
    let base = f.main_tip();
    for (event, why) in [
        (
            review_event(
                "copilot-pull-request-reviewer[bot]",
                "Bot",
                "approved",
                &head,
                &base,
            ),
            "bot",
        ),
        (
            review_event("rob", "User", "commented", &head, &base),
            "not an approval",
        ),
        (
            {
                let mut e = review_event("rob", "User", "approved", &head, &base);
                e["review"]["commit_id"] = serde_json::json!(base.clone());
                e
            },
            "stale",
        ),
    ] {
        let o = f.bridge(&event, None);
        assert!(o.status.success(), "{}", all(&o));
        assert!(
            all(&o).contains("nothing signed") && all(&o).contains(why),
            "{}",
            all(&o)
        );
    }
    assert_refused(f.merge("squash", GITHUB_MERGE, None), "AIG004");
}

#[test]
fn the_merger_does_not_approve_what_they_merge() {
    // Even where the pusher's own approval may count, the merger of a forge merge does not.
    let f = forge("pusher_approves = true");
    f.pull_request();
    f.rob_approves();
    let rob_merges: Vec<(&str, &str)> = GITHUB_MERGE
        .iter()
        .map(|&(k, v)| {
            if k == "GITHUB_USER_LOGIN" {
                (k, "rob")
            } else {
                (k, v)
            }
        })
        .collect();
    assert_refused(f.merge("squash", &rob_merges, None), "merger");
}

#[test]
fn a_forge_review_signed_by_a_key_that_is_not_a_bridge_is_refused() {
    let f = forge("");
    let head = f.pull_request();
    // Rob signs a "forge review" by carol with his own key: refused at the approvals ref.
    let ev = f.s.path("event.json");
    std::fs::write(
        &ev,
        review_event("carol", "User", "approved", &head, &f.main_tip()).to_string(),
    )
    .unwrap();
    f.s.git_ok(&f.work, &["fetch", "-q", "origin"]);
    let o = f.s.aigate(
        &f.work,
        &[
            "approve",
            "--forge-event",
            ev.to_str().unwrap(),
            "--as",
            REVIEWER,
            "--key",
            f.rob.to_str().unwrap(),
            "--push",
            "origin",
        ],
    );
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("not a forge bridge"), "{}", all(&o));
}

#[test]
fn gitea_and_gitlab_merges_with_their_review_events() {
    // Gitea / Forgejo: the same review payload (state in capitals), its merge environment.
    let f = forge("");
    let head = f.pull_request();
    let o = f.bridge(
        &review_event("rob", "User", "APPROVED", &head, &f.main_tip()),
        Some("gitea"),
    );
    assert!(o.status.success(), "{}", all(&o));
    let gitea = [
        ("GITEA_PUSH_TRIGGER", "pr-merge-to-base"),
        ("GITEA_PUSHER_NAME", "maya"),
        ("GITEA_PR_ID", "41"),
    ];
    assert_accepted(f.merge("squash", &gitea, None));

    // GitLab: a merge request webhook with action `approved`, a web merge.
    let f = forge("");
    let head = f.pull_request();
    let ev = serde_json::json!({
        "object_kind": "merge_request",
        "user": {"username": "rob"},
        "object_attributes": {"action": "approved", "iid": 3, "author_id": 12,
            "target_branch": "main", "last_commit": {"id": head}}
    });
    let o = f.bridge(&ev, None);
    assert!(o.status.success(), "{}", all(&o));
    let gitlab = [
        ("GL_PROTOCOL", "web"),
        ("GL_USERNAME", "maya"),
        ("GL_ID", "user-7"),
    ];
    assert_accepted(f.merge("merge", &gitlab, None));
}

#[test]
fn an_owners_approval_of_a_rule_change_lands_by_squash_merge() {
    let f = forge("");
    let (s, w) = (&f.s, &f.work);
    s.git_ok(w, &["pull", "-q", "--no-rebase", "origin", "main"]);
    s.git_ok(w, &["checkout", "-q", "-b", "rules", "origin/main"]);
    std::fs::write(
        w.join(".aigate.toml"),
        format!(
            "{}\n[branches]\nprotected = [\"main\", \"release/**\"]\n",
            f.policy
        ),
    )
    .unwrap();
    s.git_ok(w, &["add", ".aigate.toml"]);
    s.commit_staged(w, "rules: protect release branches");
    s.git_ok(w, &["push", "-q", "--no-verify", "origin", "rules"]);
    // Unapproved, the squash of the rule change is refused.
    let (ok, out) = f.merge_from("rules", "squash", GITHUB_MERGE, None);
    assert!(!ok && out.contains("needs signed approvals"), "{out}");
    let o = s.approve(w, OWNER, &f.owner, "origin/rules", "main");
    assert!(o.status.success(), "{}", all(&o));
    let (ok, out) = f.merge_from("rules", "squash", GITHUB_MERGE, None);
    assert!(ok, "{out}");
}

#[test]
fn the_forge_example_policy_loads() {
    let s = Scratch::new();
    let o = s.aigate(
        s.dir.path(),
        &[
            "policy",
            "check",
            concat!(env!("CARGO_MANIFEST_DIR"), "/rules/policy-forge.toml"),
        ],
    );
    assert!(o.status.success(), "{}", all(&o));
    assert!(
        all(&o).contains("forge review bridges: forge-bridge@ci.example.com"),
        "{}",
        all(&o)
    );
}

//! Forge review events, as a bridge reads them: GitHub Actions' `pull_request_review` payload
//! (Gitea and Forgejo Actions send the same shape) and GitLab's merge request webhook. An
//! approval of the pull request's current head becomes what a bridge signs; anything else
//! (a comment, a request for changes, a dismissal, a review of an older head, a bot's
//! review) is refused with the reason, and nothing is signed.

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// An approving review, read from a forge's event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewEvent {
    pub forge: String,
    /// The reviewer's login.
    pub reviewer: String,
    /// The pull request (number).
    pub pr: String,
    /// The pull request author's login (GitLab gives only an id: `user-N`, as in `GL_ID`).
    pub pr_author: String,
    /// The reviewed head commit.
    pub head: String,
    /// The target branch (`main`).
    pub target: String,
    /// The target's commit when the event was sent, if given.
    pub base_sha: Option<String>,
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut v = v;
    for p in path {
        v = v.get(p)?;
    }
    v.as_str()
}

fn req(v: &Value, path: &[&str]) -> Result<String> {
    if let Some(x) = s(v, path) {
        return Ok(x.to_string());
    }
    // Numbers (a pull request number, a user id) read as text.
    let mut w = v;
    for p in path {
        w = w
            .get(p)
            .with_context(|| format!("the event has no `{}`", path.join(".")))?;
    }
    match w {
        Value::Number(n) => Ok(n.to_string()),
        _ => bail!("the event's `{}` is not text", path.join(".")),
    }
}

/// Which forge sent `event` (`forge` overrides): GitLab's webhooks carry `object_kind`.
pub fn detect(event: &Value, forge: Option<&str>) -> Result<String> {
    if let Some(f) = forge {
        return match f {
            "github" | "gitea" | "forgejo" | "gitlab" => {
                Ok(if f == "forgejo" { "gitea" } else { f }.to_string())
            }
            _ => bail!("unknown forge `{f}` (github, gitea, forgejo or gitlab)"),
        };
    }
    if event.get("object_kind").is_some() {
        Ok("gitlab".into())
    } else if event.get("review").is_some() && event.get("pull_request").is_some() {
        Ok("github".into())
    } else {
        bail!("not a review event: no `review` and `pull_request` (GitHub, Gitea, Forgejo) nor `object_kind` (GitLab); pass --forge")
    }
}

/// Reads an approving review from `event`, or says why it is not one.
pub fn read(event: &Value, forge: &str) -> Result<ReviewEvent> {
    match forge {
        "gitlab" => read_gitlab(event),
        _ => read_github(event, forge),
    }
}

fn read_github(e: &Value, forge: &str) -> Result<ReviewEvent> {
    let action = s(e, &["action"]).unwrap_or("submitted");
    if action != "submitted" && action != "edited" && action != "reviewed" {
        bail!("the review was {action}, not submitted: nothing to attest");
    }
    let state = s(e, &["review", "state"])
        .unwrap_or("")
        .to_ascii_lowercase();
    if state != "approved" {
        bail!(
            "the review's state is `{}`, not an approval: nothing to attest",
            if state.is_empty() { "none" } else { &state }
        );
    }
    if e.pointer("/review/dismissed").and_then(Value::as_bool) == Some(true)
        || e.pointer("/review/stale").and_then(Value::as_bool) == Some(true)
    {
        bail!("the review is dismissed or stale: nothing to attest");
    }
    let reviewer = req(e, &["review", "user", "login"])?;
    if s(e, &["review", "user", "type"]).is_some_and(|t| t.eq_ignore_ascii_case("bot"))
        || reviewer.to_ascii_lowercase().ends_with("[bot]")
    {
        bail!("the reviewer {reviewer} is a bot, not a human: nothing to attest");
    }
    let head = req(e, &["pull_request", "head", "sha"])?;
    if let Some(reviewed) = s(e, &["review", "commit_id"]) {
        if !reviewed.eq_ignore_ascii_case(&head) {
            bail!("the review is of {reviewed}, but the pull request's head is now {head}: a stale review approves nothing (the reviewer approves the new head)");
        }
    }
    Ok(ReviewEvent {
        forge: forge.into(),
        reviewer,
        pr: req(e, &["pull_request", "number"])?,
        pr_author: req(e, &["pull_request", "user", "login"])?,
        head,
        target: req(e, &["pull_request", "base", "ref"])?,
        base_sha: s(e, &["pull_request", "base", "sha"]).map(str::to_string),
    })
}

fn read_gitlab(e: &Value) -> Result<ReviewEvent> {
    let kind = s(e, &["object_kind"]).unwrap_or("");
    if kind != "merge_request" {
        bail!("a GitLab `{kind}` event, not a merge request's: nothing to attest");
    }
    let action = s(e, &["object_attributes", "action"]).unwrap_or("");
    if action != "approved" && action != "approval" {
        bail!("the merge request was `{action}`, not approved: nothing to attest");
    }
    let reviewer = req(e, &["user", "username"])?;
    if reviewer.to_ascii_lowercase().ends_with("[bot]") || reviewer.ends_with("-bot") {
        bail!("the reviewer {reviewer} is a bot, not a human: nothing to attest");
    }
    Ok(ReviewEvent {
        forge: "gitlab".into(),
        reviewer,
        pr: req(e, &["object_attributes", "iid"])?,
        pr_author: format!("user-{}", req(e, &["object_attributes", "author_id"])?),
        head: req(e, &["object_attributes", "last_commit", "id"])?,
        target: req(e, &["object_attributes", "target_branch"])?,
        base_sha: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gh(state: &str, commit: &str) -> Value {
        json!({"action": "submitted",
            "review": {"state": state, "user": {"login": "rob", "type": "User"}, "commit_id": commit},
            "pull_request": {"number": 7, "user": {"login": "ann"},
                "head": {"sha": "a".repeat(40), "ref": "feature"},
                "base": {"sha": "b".repeat(40), "ref": "main"}}})
    }

    #[test]
    fn an_approval_of_the_current_head_is_read() {
        let e = gh("approved", &"a".repeat(40));
        let r = read(&e, &detect(&e, None).unwrap()).unwrap();
        assert_eq!(
            (r.reviewer.as_str(), r.pr.as_str(), r.pr_author.as_str()),
            ("rob", "7", "ann")
        );
        assert_eq!(r.target, "main");
    }

    #[test]
    fn comments_stale_reviews_and_bots_are_not_approvals() {
        assert!(read(&gh("commented", &"a".repeat(40)), "github").is_err());
        assert!(read(&gh("APPROVED", &"c".repeat(40)), "gitea")
            .unwrap_err()
            .to_string()
            .contains("stale"));
        let mut bot = gh("approved", &"a".repeat(40));
        bot["review"]["user"] =
            json!({"login": "copilot-pull-request-reviewer[bot]", "type": "Bot"});
        assert!(read(&bot, "github").is_err());
    }

    #[test]
    fn gitlab_approvals_are_read() {
        let e = json!({"object_kind": "merge_request", "user": {"username": "rob"},
            "object_attributes": {"action": "approved", "iid": 3, "author_id": 12,
                "target_branch": "main", "last_commit": {"id": "a".repeat(40)}}});
        let r = read(&e, &detect(&e, None).unwrap()).unwrap();
        assert_eq!(
            (r.pr_author.as_str(), r.target.as_str()),
            ("user-12", "main")
        );
    }
}

//! A forge merge, from the environment the forge gives its pre-receive hooks (facts in
//! docs/servers.md): GitHub Enterprise `GITHUB_VIA`, `GITHUB_USER_LOGIN`,
//! `GITHUB_PULL_REQUEST_AUTHOR_LOGIN`, `GITHUB_PULL_REQUEST_HEAD` / `_BASE`; Gitea and Forgejo
//! `GITEA_PUSH_TRIGGER=pr-merge-to-base`, `GITEA_PUSHER_NAME`, `GITEA_PUSHER_EMAIL`,
//! `GITEA_PR_ID` / `GITEA_PR_INDEX`; GitLab `GL_PROTOCOL=web`, `GL_USERNAME`, `GL_ID`.
//!
//! These only add people who may not approve (the merger, the pull request's author): a
//! variable set by someone who should not can make a push stricter, never laxer.

use serde::Serialize;

/// A merge the forge made (its merge button or API), as its hook environment describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForgeMerge {
    /// `github`, `gitea` or `gitlab`.
    pub forge: String,
    /// How the forge says the push came (`pull request merge button`, `pr-merge-to-base`, `web`).
    pub via: String,
    /// Who pressed merge (their forge login).
    pub merger: Option<String>,
    /// The merger's email, when the forge gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merger_email: Option<String>,
    /// The pull request's author (their forge login), when the forge gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pr_author: Option<String>,
    /// The pull request (number or id), when the forge gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pr: Option<String>,
    /// The pull request's head and base (`user:branch` on GitHub).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl ForgeMerge {
    /// The forge merge this push is, if the hook environment says so.
    pub fn from_env() -> Option<ForgeMerge> {
        if let Some(via) = var("GITHUB_VIA") {
            let v = via.to_ascii_lowercase();
            if v.contains("pull request") || v == "merge" || v.contains("auto-merge") {
                return Some(ForgeMerge {
                    forge: "github".into(),
                    via,
                    merger: var("GITHUB_USER_LOGIN"),
                    merger_email: None,
                    pr_author: var("GITHUB_PULL_REQUEST_AUTHOR_LOGIN"),
                    pr: None,
                    head: var("GITHUB_PULL_REQUEST_HEAD"),
                    base: var("GITHUB_PULL_REQUEST_BASE"),
                });
            }
        }
        if let Some(trigger) = var("GITEA_PUSH_TRIGGER") {
            if trigger == "pr-merge-to-base" {
                return Some(ForgeMerge {
                    forge: "gitea".into(),
                    via: trigger,
                    merger: var("GITEA_PUSHER_NAME"),
                    merger_email: var("GITEA_PUSHER_EMAIL"),
                    pr_author: None,
                    pr: var("GITEA_PR_INDEX").or_else(|| var("GITEA_PR_ID")),
                    head: None,
                    base: None,
                });
            }
        }
        if var("GL_PROTOCOL").as_deref() == Some("web") {
            return Some(ForgeMerge {
                forge: "gitlab".into(),
                via: "web".into(),
                merger: var("GL_USERNAME"),
                merger_email: None,
                pr_author: None,
                pr: None,
                head: None,
                base: None,
            });
        }
        None
    }
}

//! `aigate hook HOOK ...`: what the hook scripts call; each hook's protocol lives in
//! `aigate::hooks`. Server hooks fail closed on bad input too.

use super::args::HookCmd;
use super::*;
use aigate::hooks;
use anyhow::Result;

pub(crate) fn run(hook: HookCmd) -> Result<i32> {
    match hook {
        HookCmd::CommitMsg { file } => hooks::commit_msg(&file),
        HookCmd::PrepareCommitMsg { file, source, sha } => {
            hooks::prepare_commit_msg(&file, source.as_deref(), sha.as_deref())
        }
        HookCmd::PreCommit => hooks::pre_commit(),
        HookCmd::PrePush { remote, url } => {
            let remote = remote
                .or_else(|| std::env::var("PRE_COMMIT_REMOTE_NAME").ok())
                .unwrap_or_else(|| "origin".into());
            let input = if ["PRE_COMMIT_REMOTE_BRANCH", "PRE_COMMIT_TO_REF"]
                .iter()
                .any(|v| std::env::var_os(v).is_some())
            {
                String::new()
            } else {
                stdin_string()?
            };
            hooks::pre_push(&remote, url.as_deref().unwrap_or(""), &input)
        }
        // Fail closed: bad input refuses too.
        HookCmd::PreReceive => Ok(hooks::server_from_input(stdin_string())),
        HookCmd::PostReceive => Ok(aigate::git::record::post_receive(
            &stdin_string().unwrap_or_default(),
        )),
        HookCmd::Update { refname, old, new } => Ok(hooks::server_from_input(Ok(format!(
            "{old} {new} {refname}"
        )))),
    }
}

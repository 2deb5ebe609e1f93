//! `aigate hook HOOK ...`: what the hook scripts call; each hook's protocol lives in
//! `aigate::hooks`. Server hooks fail closed on bad input too.

use super::args::HookCmd;
use super::*;
use aigate::hooks;
use anyhow::Result;

pub(crate) fn run(hook: HookCmd) -> Result<i32> {
    match hook {
        HookCmd::CommitMsg { file } => hooks::commit_msg(&file),
        HookCmd::PrepareCommitMsg {
            file,
            source,
            sha: _,
        } => hooks::prepare_commit_msg(&file, source.as_deref()),
        HookCmd::PreCommit => hooks::pre_commit(),
        HookCmd::PrePush { remote, url } => {
            let remote = remote
                .or_else(|| std::env::var("PRE_COMMIT_REMOTE_NAME").ok())
                .unwrap_or_else(|| "origin".into());
            let input = if std::env::var_os("PRE_COMMIT_TO_REF").is_some() {
                String::new()
            } else {
                stdin_string()?
            };
            hooks::pre_push(&remote, url.as_deref().unwrap_or(""), &input)
        }
        HookCmd::PreReceive => {
            // Fail closed: bad input refuses too.
            let updates = stdin_string().and_then(|s| hooks::parse_receive_lines(&s));
            match updates {
                Ok(u) => Ok(hooks::server(&u)),
                Err(e) => {
                    eprintln!("aigate: {e:#}\naigate: push refused (fail closed).");
                    Ok(hooks::REFUSE)
                }
            }
        }
        HookCmd::Update { refname, old, new } => {
            let line = format!("{old} {new} {refname}");
            match hooks::parse_receive_lines(&line) {
                Ok(u) => Ok(hooks::server(&u)),
                Err(e) => {
                    eprintln!("aigate: {e:#}\naigate: push refused (fail closed).");
                    Ok(hooks::REFUSE)
                }
            }
        }
    }
}

//! Which AI agent, if any, is running this `git commit`: from the environment variables agents
//! set for the commands they run and from the hook's process ancestry, matched against
//! `rules/agents.toml` (embedded). The matcher is pure; reading the environment and /proc is
//! the shell part at the bottom. Cheap: a few environment lookups, then at most 32 small reads.

use serde::Deserialize;

pub const BUILTIN: &str = include_str!("../rules/agents.toml");
/// The same table as JSON, converted by build.rs (faster to read on every commit).
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/agents.json"));

#[derive(Debug, Clone, Deserialize)]
pub struct AgentsFile {
    #[serde(default)]
    pub agent: Vec<AgentSpec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AgentSpec {
    pub tool: String,
    #[serde(default)]
    pub env: Vec<EnvSpec>,
    #[serde(default)]
    pub process: Vec<String>,
    #[serde(default)]
    pub package: Vec<String>,
    #[serde(default)]
    pub process_source: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EnvSpec {
    pub name: String,
    pub value: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

/// One ancestor process: its short name and command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub comm: String,
    pub argv: Vec<String>,
}

/// An agent found, and what showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub tool: String,
    pub evidence: String,
}

/// The built-in table.
pub fn table() -> Vec<AgentSpec> {
    serde_json::from_str::<AgentsFile>(BUILTIN_JSON)
        .map(|f| f.agent)
        .unwrap_or_default()
}

fn stem(path: &str) -> &str {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    base.strip_suffix(".js")
        .or_else(|| base.strip_suffix(".mjs"))
        .or_else(|| base.strip_suffix(".py"))
        .or_else(|| base.strip_suffix(".exe"))
        .unwrap_or(base)
}

/// Whether a path runs from a package directory: `/PKG/` or `/PKG-` in it.
fn in_package(arg: &str, pkg: &str) -> bool {
    arg.match_indices(pkg).any(|(i, _)| {
        arg[..i].ends_with('/') && matches!(arg.as_bytes().get(i + pkg.len()), Some(b'/' | b'-'))
    })
}

/// Environment first (it names the agent directly), then the nearest matching ancestor.
pub fn detect(
    table: &[AgentSpec],
    env: &dyn Fn(&str) -> Option<String>,
    ancestry: &[Process],
) -> Option<Detection> {
    for a in table {
        for e in &a.env {
            if let Some(v) = env(&e.name).filter(|v| !v.is_empty()) {
                if e.value.as_ref().is_none_or(|want| *want == v) {
                    return Some(Detection {
                        tool: a.tool.clone(),
                        evidence: format!("environment {}={v}", e.name),
                    });
                }
            }
        }
    }
    for p in ancestry {
        // The executable, or the script an interpreter (node, python, sh) runs.
        let names: Vec<&str> = std::iter::once(p.comm.as_str())
            .chain(p.argv.iter().take(3).map(|a| stem(a)))
            .collect();
        for a in table {
            let by_name = a.process.iter().any(|n| names.iter().any(|m| m == n));
            let by_package = a
                .package
                .iter()
                .any(|pkg| p.argv.iter().take(3).any(|arg| in_package(arg, pkg)));
            if by_name || by_package {
                let cmd = p.argv.join(" ");
                let cmd: String = cmd.chars().take(120).collect();
                return Some(Detection {
                    tool: a.tool.clone(),
                    evidence: format!("agent process {} (pid {}): {cmd}", p.comm, p.pid),
                });
            }
        }
    }
    None
}

/// The ancestors of this process, nearest first (Linux: /proc; macOS: ps; elsewhere none).
pub fn ancestry() -> Vec<Process> {
    #[cfg(target_os = "linux")]
    {
        linux_ancestry(std::process::id())
    }
    #[cfg(target_os = "macos")]
    {
        macos_ancestry(std::process::id())
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    {
        Vec::new()
    }
}

#[cfg(target_os = "linux")]
fn linux_ancestry(start: u32) -> Vec<Process> {
    let ppid = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The name is in parentheses and may contain spaces: fields follow the last `)`.
        let rest = &stat[stat.rfind(')')? + 2..];
        rest.split(' ').nth(1)?.parse().ok()
    };
    let mut out = Vec::new();
    let mut pid = start;
    for _ in 0..32 {
        let Some(parent) = ppid(pid) else { break };
        if parent <= 1 {
            break;
        }
        let comm = std::fs::read_to_string(format!("/proc/{parent}/comm"))
            .unwrap_or_default()
            .trim_end()
            .to_string();
        let argv = std::fs::read(format!("/proc/{parent}/cmdline"))
            .map(|b| {
                b.split(|&c| c == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        out.push(Process {
            pid: parent,
            comm,
            argv,
        });
        pid = parent;
    }
    out
}

#[cfg(target_os = "macos")]
fn macos_ancestry(start: u32) -> Vec<Process> {
    let mut out = Vec::new();
    let mut pid = start;
    for _ in 0..32 {
        let Ok(o) = std::process::Command::new("ps")
            .args(["-o", "ppid=", "-p", &pid.to_string()])
            .output()
        else {
            break;
        };
        let Ok(parent) = String::from_utf8_lossy(&o.stdout).trim().parse::<u32>() else {
            break;
        };
        if parent <= 1 {
            break;
        }
        let cmd = std::process::Command::new("ps")
            .args(["-o", "command=", "-p", &parent.to_string()])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let argv: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
        out.push(Process {
            pid: parent,
            comm: argv
                .first()
                .map(|a| stem(a).to_string())
                .unwrap_or_default(),
            argv,
        });
        pid = parent;
    }
    out
}

/// The agent running this process, if any (`AIGATE_AGENT=none` turns detection off for a
/// command; `AIGATE_AGENT=<tool>` names one explicitly).
pub fn current() -> Option<Detection> {
    match std::env::var("AIGATE_AGENT").ok().as_deref() {
        Some("none") => return None,
        Some(t) if !t.is_empty() => {
            return Some(Detection {
                tool: t.to_string(),
                evidence: "environment AIGATE_AGENT".into(),
            })
        }
        _ => {}
    }
    let t = table();
    let env = |k: &str| std::env::var(k).ok();
    if let Some(d) = detect(&t, &env, &[]) {
        return Some(d);
    }
    detect(&t, &|_| None, &ancestry())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(comm: &str, argv: &[&str]) -> Process {
        Process {
            pid: 7,
            comm: comm.into(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn every_table_entry_names_a_catalog_tool_and_has_evidence() {
        let cat = crate::catalog::Catalog::builtin().unwrap();
        let t = table();
        assert!(t.len() >= 8);
        for a in &t {
            assert!(
                cat.tool(&a.tool).is_some(),
                "{} is not in the catalog",
                a.tool
            );
            assert!(
                a.env.iter().all(|e| e.source.is_some()),
                "{}: env without a source",
                a.tool
            );
            assert!(
                a.process.is_empty() || a.process_source.is_some(),
                "{}: process without a source",
                a.tool
            );
        }
    }

    #[test]
    fn environment_names_the_agent() {
        let t = table();
        let env = |k: &str| (k == "GEMINI_CLI").then(|| "1".to_string());
        assert_eq!(detect(&t, &env, &[]).unwrap().tool, "gemini");
        let wrong = |k: &str| (k == "CLAUDECODE").then(|| "0".to_string());
        assert!(detect(&t, &wrong, &[]).is_none(), "the value must match");
    }

    #[test]
    fn ancestry_finds_node_and_python_agents() {
        let t = table();
        let none = |_: &str| None;
        let chain = [
            p("sh", &["/bin/sh", "-c", "git commit"]),
            p(
                "node",
                &[
                    "node",
                    "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js",
                ],
            ),
        ];
        assert_eq!(detect(&t, &none, &chain).unwrap().tool, "claude-code");
        let chain = [p(
            "python3",
            &["/usr/bin/python3", "/home/u/.local/bin/aider", "--yes"],
        )];
        assert_eq!(detect(&t, &none, &chain).unwrap().tool, "aider");
        let chain = [p("bash", &["-bash"]), p("sshd", &["sshd: u@pts/0"])];
        assert!(detect(&t, &none, &chain).is_none());
    }
}

//! Which AI agent, if any, is running a `git commit`: the environment variables agents set for
//! the commands they run and the hook's process ancestry, matched against `rules/agents.toml`
//! (embedded). Pure: the environment and the ancestry are inputs; the shell's `agent_env`
//! reads them.

use serde::Deserialize;

pub const BUILTIN: &str = include_str!("../../../rules/agents.toml");
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

pub fn stem(path: &str) -> &str {
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
        // Sources are in the TOML (the embedded JSON leaves them out).
        let t = toml::from_str::<AgentsFile>(BUILTIN).unwrap().agent;
        assert_eq!(t.len(), table().len());
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

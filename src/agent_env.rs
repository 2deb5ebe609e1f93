//! Reads what the agent matcher needs from this process's world: environment variables and
//! the process ancestry (Linux: /proc; macOS: ps). The matching itself is pure
//! (`aigate_core::agent`). Cheap: a few environment lookups, then at most 32 small reads.

#[cfg(target_os = "macos")]
use aigate_core::agent::stem;
use aigate_core::agent::{detect, table, Detection, Process};

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
    // One read per file: /proc reports no size, so std's readers would grow the buffer from
    // 32 bytes, a system call at a time (this runs in every commit-msg hook).
    let read = |path: String| -> Option<Vec<u8>> {
        use std::io::Read;
        let mut buf = Vec::with_capacity(4096);
        std::fs::File::open(path).ok()?.read_to_end(&mut buf).ok()?;
        Some(buf)
    };
    let ppid = |pid: u32| -> Option<u32> {
        let stat = String::from_utf8(read(format!("/proc/{pid}/stat"))?).ok()?;
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
        let comm = read(format!("/proc/{parent}/comm"))
            .map(|b| String::from_utf8_lossy(&b).trim_end().to_string())
            .unwrap_or_default();
        let argv = read(format!("/proc/{parent}/cmdline"))
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
            let tool = match aigate_core::catalog::Catalog::builtin()
                .ok()
                .and_then(|c| c.resolve(t).map(str::to_string))
            {
                Some(id) => id,
                None => {
                    eprintln!("aigate: warning: AIGATE_AGENT={t} is not a tool aigate knows (`aigate catalog` lists them); it is used as written");
                    t.to_string()
                }
            };
            return Some(Detection {
                tool,
                evidence: "environment AIGATE_AGENT".into(),
            });
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

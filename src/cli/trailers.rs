//! `aigate trailers`: prints a commit's trailers exactly as `git interpret-trailers --parse`.

use super::args::*;
use super::*;
use aigate::trailers;
use anyhow::Result;
use std::io::Read;

pub(crate) fn trailers_cmd(rev: Option<String>, stdin: bool, format: Format) -> Result<i32> {
    only(format, &[Format::Text, Format::Json], "trailers")?;
    if stdin {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        let cfg = open_repo(None)
            .map(|r| r.trailer_config())
            .unwrap_or_default();
        let t = trailers::parse(&buf, &cfg);
        match format {
            Format::Json => print_json(serde_json::json!({ "trailers": t }))?,
            _ => t.iter().for_each(|t| aigate::say!("{t}")),
        }
        return Ok(0);
    }
    let repo = open_repo(None)?;
    let cfg = repo.trailer_config();
    let rev = rev.unwrap_or_else(|| "HEAD".into());
    let ids = if rev.contains("..") {
        aigate::git::history::range_ids(&repo, &rev)?
    } else {
        vec![repo.commit_id(&rev)?]
    };
    let mut docs = Vec::new();
    for id in ids {
        let f = repo.facts(id, false)?;
        let t = trailers::parse_str(&f.message, &cfg);
        match format {
            Format::Json => docs.push(serde_json::json!({"commit": f.id, "trailers": t})),
            _ => {
                if rev.contains("..") {
                    aigate::say!("commit {}", f.id);
                }
                t.iter().for_each(|t| aigate::say!("{t}"));
            }
        }
    }
    if format == Format::Json {
        print_json(serde_json::json!({ "commits": docs }))?;
    }
    Ok(0)
}

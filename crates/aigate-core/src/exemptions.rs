//! Exemptions: compliance records that let a named unapproved tool through for a bounded scope
//! and time (`.aigate/exemptions.toml`), and the check of whether one covers a commit.
//! Pure: text and the decision time come in from the shell.

use crate::diagnostic::{describe_toml_error, diagnostic, PolicyError};
use crate::facts::{CommitFacts, Target};
use crate::trailers::Trailer;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use time::{macros::format_description, Date, OffsetDateTime};
use toml::Spanned;

/// The trailer a commit uses to cite an exemption.
pub const TRAILER: &str = "AI-Exemption";
/// The push option that cites an exemption for a whole push.
pub const PUSH_OPTION: &str = "aigate.exemption";

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExemptionsFile {
    #[serde(default)]
    pub exemption: Vec<Record>,
}

/// One exemption as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub id: String,
    pub tools: Vec<String>,
    #[serde(default = "everything")]
    pub branches: Vec<String>,
    #[serde(default = "everything")]
    pub paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Who may use it: globs on the authenticated pusher's principal (the server's
    /// `[identities]`), never on the commit's author line.
    pub authors: Vec<String>,
    pub approved_by: String,
    pub ticket: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    pub expires: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
    /// An owner's signature over the record (`aigate exemption grant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<Grant>,
}

/// A compliance owner's grant: their principal and SSH signature over `Record::grant_text`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub by: String,
    pub signature: String,
}

/// The most exemption records one file may hold.
pub const MAX_RECORDS: usize = 10_000;

/// The SSHSIG namespace of exemption grants.
pub const GRANT_NAMESPACE: &str = "aigate-exemption";

impl Record {
    /// What a grant signs: every field that says what the exemption allows, as one canonical
    /// JSON object in a fixed field order (strings escaped, lists as arrays), so one signed
    /// text is exactly one record.
    pub fn grant_text(&self) -> String {
        let v = serde_json::json!([
            ["id", self.id],
            ["tools", self.tools],
            ["branches", self.branches],
            ["paths", self.paths],
            ["authors", self.authors],
            ["approved_by", self.approved_by],
            ["ticket", self.ticket],
            ["reason", self.reason],
            ["not_before", self.not_before],
            ["expires", self.expires],
        ]);
        format!("aigate exemption v2\n{v}\n")
    }

    /// Whether the old (v1) grant text of this record can only have been signed for this
    /// record: it joined list items with commas and fields with newlines, unescaped, so a
    /// list of several items (or a field with a line break) could be a re-reading of another.
    pub fn v1_text_is_unambiguous(&self) -> bool {
        let lists = [&self.tools, &self.branches, &self.paths, &self.authors];
        let fields = [&self.id, &self.approved_by, &self.ticket, &self.expires];
        lists
            .iter()
            .all(|l| l.len() <= 1 && l.iter().all(|i| !i.contains([',', '\n'])))
            && fields.iter().all(|f| !f.contains('\n'))
            && self.not_before.as_deref().is_none_or(|n| !n.contains('\n'))
    }

    /// The old (v1) grant text, verified only where `v1_text_is_unambiguous`.
    pub fn grant_text_v1(&self) -> String {
        let list = |v: &[String]| v.join(",");
        format!(
            "aigate exemption v1\nid {}\ntools {}\nbranches {}\npaths {}\nauthors {}\napproved_by {}\nticket {}\nreason {}\nnot_before {}\nexpires {}\n",
            self.id,
            list(&self.tools),
            list(&self.branches),
            list(&self.paths),
            list(&self.authors),
            self.approved_by,
            self.ticket,
            self.reason.replace('\n', " "),
            self.not_before.as_deref().unwrap_or(""),
            self.expires
        )
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    pub by: String,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn everything() -> Vec<String> {
    vec!["**".into()]
}

/// A validated exemption.
#[derive(Debug, Clone)]
pub struct Exemption {
    pub record: Record,
    tools: Vec<String>,
    branches: GlobSet,
    paths: GlobSet,
    authors: Option<GlobSet>,
    /// Valid from this instant (seconds since the epoch)...
    pub valid_from: i64,
    /// ...up to, not including, this one: the end of the `expires` day, UTC.
    pub valid_until: i64,
    /// The policy's `[exemptions] max_days`, judged at use when the record has no not_before.
    pub max_days: Option<u32>,
    /// Whether an owner's grant verified (None: grants are not required here): who granted it
    /// with which key, or why it does not count.
    pub granted: Option<Result<String, String>>,
}

/// An exemption that covered a tool on a commit.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExemptionUse {
    pub id: String,
    pub tool: String,
    pub ticket: String,
    /// The owner whose signed grant made it valid, with the key's fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_by: Option<String>,
}

/// The exemptions that apply, loaded from accepted state.
#[derive(Debug, Clone, Default)]
pub struct Exemptions {
    pub origin: String,
    pub list: Vec<Exemption>,
}

/// `YYYY-MM-DD` → the UTC midnight that starts it.
pub fn day_start(s: &str) -> Option<i64> {
    let d = Date::parse(s.trim(), format_description!("[year]-[month]-[day]")).ok()?;
    Some(d.midnight().assume_utc().unix_timestamp())
}

fn globs(patterns: &[String], sep: bool, ci: bool) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let g = GlobBuilder::new(p)
            .literal_separator(sep)
            .case_insensitive(ci)
            .build()
            .map_err(|e| format!("invalid glob `{p}`: {}", e.kind()))?;
        b.add(g);
    }
    b.build().map_err(|e| e.to_string())
}

impl Exemptions {
    /// Parses and validates an exemptions file. `max_days` caps `expires - not_before`.
    pub fn from_str(
        text: &str,
        origin: &str,
        catalog: &crate::catalog::Catalog,
        max_days: Option<u32>,
    ) -> Result<Exemptions, PolicyError> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            exemption: Vec<Spanned<Record>>,
        }
        let raw: Raw =
            toml::from_str(text).map_err(|e| PolicyError(describe_toml_error(origin, text, &e)))?;
        if raw.exemption.len() > MAX_RECORDS {
            return Err(PolicyError(format!(
                "error: {} exemptions; at most {MAX_RECORDS} (remove expired and revoked ones)\n  --> {origin}",
                raw.exemption.len()
            )));
        }
        let mut list: Vec<Exemption> = Vec::new();
        let mut ids: std::collections::HashSet<String> = std::collections::HashSet::new();
        for sp in raw.exemption {
            let span = sp.span();
            let r = sp.into_inner();
            let err = |m: String, help: &str| {
                PolicyError(diagnostic(origin, text, Some(span.clone()), &m, help))
            };
            if !ids.insert(r.id.clone()) {
                return Err(err(
                    format!("duplicate exemption id `{}`", r.id),
                    "every exemption needs its own id",
                ));
            }
            let until = day_start(&r.expires).ok_or_else(|| {
                err(
                    format!(
                        "exemption `{}`: expires `{}` is not a date",
                        r.id, r.expires
                    ),
                    "write dates as YYYY-MM-DD",
                )
            })? + 86_400;
            let from = match &r.not_before {
                Some(d) => day_start(d).ok_or_else(|| {
                    err(
                        format!("exemption `{}`: not_before `{d}` is not a date", r.id),
                        "write dates as YYYY-MM-DD",
                    )
                })?,
                None => i64::MIN,
            };
            if let (Some(max), Some(_)) = (max_days, &r.not_before) {
                if until - from > i64::from(max) * 86_400 + 86_400 {
                    return Err(err(
                        format!(
                            "exemption `{}` lasts longer than the policy's {max} days",
                            r.id
                        ),
                        "shorten it, or ask for a policy change",
                    ));
                }
            }
            if r.tools.is_empty() {
                return Err(err(
                    format!("exemption `{}` names no tools", r.id),
                    "list the tool ids it lets through",
                ));
            }
            let tools = r
                .tools
                .iter()
                .map(|t| {
                    catalog
                        .resolve(t)
                        .map(str::to_string)
                        .unwrap_or_else(|| crate::catalog::normalize_name(t))
                })
                .collect();
            let g = |p: &[String], sep, ci| {
                globs(p, sep, ci).map_err(|m| err(format!("exemption `{}`: {m}", r.id), ""))
            };
            let branches = g(&r.branches, true, false)?;
            let paths = g(&r.paths, true, false)?;
            let authors = if r.authors.is_empty() {
                None
            } else {
                Some(g(&r.authors, false, true)?)
            };
            list.push(Exemption {
                tools,
                branches,
                paths,
                authors,
                valid_from: from,
                valid_until: until,
                max_days,
                granted: None,
                record: r,
            });
        }
        Ok(Exemptions {
            origin: origin.to_string(),
            list,
        })
    }

    /// Requires every exemption to carry a grant that verifies against the owners' keys at
    /// `now` (a server with owners): the others stay listed but cover nothing.
    pub fn require_grants(
        &mut self,
        owners: &crate::approvals::AllowedSigners,
        owner_names: &[String],
        now: i64,
    ) {
        for e in &mut self.list {
            let r = &e.record;
            e.granted = Some(match &r.grant {
                None => Err("not granted".into()),
                Some(g) if !owner_names.iter().any(|o| o.eq_ignore_ascii_case(&g.by)) => {
                    Err(format!("{} is not an owner", g.by))
                }
                Some(g) => {
                    let verify = |text: &str| {
                        crate::approvals::verify_signed(
                            text,
                            &g.signature,
                            &g.by,
                            GRANT_NAMESPACE,
                            owners,
                            now,
                        )
                    };
                    match verify(&r.grant_text()) {
                        Ok(fp) => Ok(format!("{} ({fp})", g.by)),
                        Err(e) => match verify(&r.grant_text_v1()) {
                            Ok(fp) if r.v1_text_is_unambiguous() => Ok(format!("{} ({fp})", g.by)),
                            Ok(_) => Err(format!("its grant signs the old v1 text, which can be read as another record (a list of several items); {} grants it again", g.by)),
                            Err(_) => Err(e),
                        },
                    }
                }
            });
        }
    }

    pub fn get(&self, id: &str) -> Option<&Exemption> {
        self.list
            .iter()
            .find(|e| e.record.id.eq_ignore_ascii_case(id))
    }

    pub fn exists(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// Exemption ids a commit cites: its `AI-Exemption:` trailers and the push options.
    pub fn cited(&self, trailers: &[Trailer], push: &[String]) -> Vec<String> {
        let mut ids: Vec<String> = trailers
            .iter()
            .filter(|t| t.is(TRAILER))
            .flat_map(|t| {
                t.value
                    .split([',', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        ids.extend(push.iter().cloned());
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(id.to_ascii_lowercase()));
        ids
    }

    /// The first cited exemption that covers `tool` on this commit, or every reason none does.
    pub fn covering(
        &self,
        cited: &[String],
        tool: &str,
        facts: &CommitFacts,
        target: &Target<'_>,
    ) -> Result<ExemptionUse, Vec<String>> {
        let mut reasons = Vec::new();
        for id in cited {
            let Some(e) = self.get(id) else {
                reasons.push(format!("unknown exemption `{id}`"));
                continue;
            };
            match e.check(tool, facts, target) {
                Ok(()) => {
                    return Ok(ExemptionUse {
                        id: e.record.id.clone(),
                        tool: tool.to_string(),
                        ticket: e.record.ticket.clone(),
                        granted_by: e.granted.as_ref().and_then(|g| g.as_ref().ok().cloned()),
                    })
                }
                Err(why) => {
                    reasons.push(format!("exemption `{}` does not apply: {why}", e.record.id))
                }
            }
        }
        Err(reasons)
    }
}

impl Exemption {
    /// Whether this exemption covers `tool` on this commit; otherwise the exact reason.
    pub fn check(
        &self,
        tool: &str,
        facts: &CommitFacts,
        target: &Target<'_>,
    ) -> Result<(), String> {
        let r = &self.record;
        // A revocation stops the exemption from its time on (the server's clock): what was
        // accepted under it before stays accepted. A time that cannot be read revokes now.
        if let Some(rv) = &r.revoked {
            if self.revoked_at().is_none_or(|at| target.now >= at) {
                return Err(format!("revoked by {} at {}", rv.by, rv.at));
            }
        }
        if target.now < self.valid_from {
            return Err(format!(
                "not valid before {}",
                r.not_before.as_deref().unwrap_or("")
            ));
        }
        if target.now >= self.valid_until {
            return Err(format!("expired on {}", r.expires));
        }
        if let (Some(max), None) = (self.max_days, &r.not_before) {
            // Without a first day, the longest an exemption may last counts from its use.
            if self.valid_until - target.now > i64::from(max) * 86_400 + 86_400 {
                return Err(format!(
                    "it runs to {}, longer than the policy's {max} days from today",
                    r.expires
                ));
            }
        }
        if let Some(Err(why)) = &self.granted {
            return Err(format!(
                "it has no valid owner's grant ({why}): an owner runs aigate exemption grant {}",
                r.id
            ));
        }
        if !self.tools.iter().any(|t| t == tool) {
            return Err(format!("it covers {}, not `{tool}`", self.tools.join(", ")));
        }
        let branch = target
            .refname
            .strip_prefix("refs/heads/")
            .unwrap_or(target.refname);
        if !self.branches.is_match(branch) && !self.branches.is_match(target.refname) {
            return Err(format!(
                "branch {branch} is out of scope ({})",
                r.branches.join(", ")
            ));
        }
        match &facts.changed_paths {
            Some(paths) => {
                if let Some(p) = paths.iter().find(|p| !self.paths.is_match(p.as_str())) {
                    return Err(format!("path {p} is out of scope ({})", r.paths.join(", ")));
                }
            }
            None if r.paths != everything() => {
                return Err("the commit's changed paths could not be read".into())
            }
            None => {}
        }
        // `authors` names who may use it, matched against the authenticated pusher the server
        // observed (never the commit's author line, which the pusher types). With no pusher
        // known (a local check, a server that names none) it covers nothing.
        if let Some(a) = &self.authors {
            match target.pusher {
                Some(p) if a.is_match(p.to_ascii_lowercase()) => {}
                Some(p) => {
                    return Err(format!(
                        "the pusher {p} is not among those who may use it ({})",
                        r.authors.join(", ")
                    ))
                }
                None => {
                    return Err(format!(
                        "it may be used only by {} (the authenticated pusher), and this push names no pusher",
                        r.authors.join(", ")
                    ))
                }
            }
        }
        Ok(())
    }

    pub fn is_active(&self, now: i64) -> bool {
        !self.is_revoked(now) && now >= self.valid_from && now < self.valid_until
    }

    /// When it was revoked (`revoked.at`, RFC 3339 or a date), if it was and the time reads.
    pub fn revoked_at(&self) -> Option<i64> {
        let at = self.record.revoked.as_ref()?.at.trim();
        OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .map(|t| t.unix_timestamp())
            .ok()
            .or_else(|| day_start(at))
    }

    /// Whether it is revoked at `now` (a revocation whose time cannot be read counts at once).
    pub fn is_revoked(&self, now: i64) -> bool {
        self.record.revoked.is_some() && self.revoked_at().is_none_or(|at| now >= at)
    }
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(ts: i64) -> String {
    OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ts.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(paths: &[&str]) -> Record {
        Record {
            id: "EX-1".into(),
            tools: vec!["cursor".into()],
            branches: vec!["main".into()],
            paths: paths.iter().map(|p| p.to_string()).collect(),
            authors: vec![],
            approved_by: "olivia@example.com".into(),
            ticket: "T-1".into(),
            reason: "r".into(),
            not_before: None,
            expires: "2099-01-01".into(),
            revoked: None,
            grant: None,
        }
    }

    #[test]
    fn a_revocation_stops_the_exemption_from_its_time_on_and_an_unreadable_time_at_once() {
        let text = |at: &str| {
            format!("[[exemption]]\nid = \"EX-1\"\ntools = [\"cursor\"]\nbranches = [\"main\"]\napproved_by = \"o\"\nticket = \"T\"\nreason = \"r\"\nexpires = \"2099-01-01\"\nrevoked = {{ by = \"c\", at = \"{at}\" }}\n")
        };
        let cat = crate::catalog::Catalog::builtin().unwrap();
        let facts = CommitFacts::default();
        let target = |now| Target {
            refname: "refs/heads/main",
            push_exemptions: &[],
            now,
            pusher: None,
            landing: &[],
            excluded: &[],
            landing_notes: &[],
            forge_merge: false,
            pr_branch: None,
        };
        let ex = Exemptions::from_str(&text("2030-01-01T00:00:00Z"), "x.toml", &cat, None).unwrap();
        let e = &ex.list[0];
        let at = e.revoked_at().unwrap();
        assert!(e.check("cursor", &facts, &target(at - 1)).is_ok());
        assert!(!e.is_revoked(at - 1) && e.is_revoked(at));
        let why = e.check("cursor", &facts, &target(at)).unwrap_err();
        assert!(why.contains("revoked by c"), "{why}");
        let ex = Exemptions::from_str(&text("soon"), "x.toml", &cat, None).unwrap();
        assert!(ex.list[0].check("cursor", &facts, &target(0)).is_err());
    }

    #[test]
    fn grant_text_is_one_record() {
        // A narrow draft (one odd path) and the wide record it could be re-read as.
        let draft = rec(&["src/**,**"]);
        let wide = rec(&["src/**", "**"]);
        assert_ne!(draft.grant_text(), wide.grant_text());
        assert_eq!(draft.grant_text_v1(), wide.grant_text_v1());
        assert!(!wide.v1_text_is_unambiguous());
        assert!(rec(&["src/**"]).v1_text_is_unambiguous());
        let mut nl = rec(&["src/**"]);
        nl.ticket = "T-1\nreason wider".into();
        assert!(!nl.v1_text_is_unambiguous());
    }
}

#[cfg(test)]
mod size_tests {
    #[test]
    fn an_exemptions_file_past_the_cap_is_refused_unread() {
        let one = |i: usize| {
            format!("[[exemption]]\nid = \"EX-{i}\"\ntools = [\"cursor\"]\napproved_by = \"o\"\nticket = \"T\"\nreason = \"r\"\nexpires = \"2099-01-01\"\n")
        };
        let text: String = (0..super::MAX_RECORDS + 1).map(one).collect();
        let cat = crate::catalog::Catalog::builtin().unwrap();
        let e = super::Exemptions::from_str(&text, "x.toml", &cat, None).unwrap_err();
        assert!(e.to_string().contains("at most"), "{e}");
    }
}

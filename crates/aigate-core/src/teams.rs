//! Which teams a commit belongs to, for the adoption figures: the policy's `[teams]` table
//! (globs on author emails: `platform = ["*@platform.example.com", "ann@example.com"]`), or
//! CODEOWNERS (the owners of the paths a commit changed). Pure: the texts are inputs.

use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

/// `[teams]`: team name → email globs (case-insensitive).
#[derive(Debug, Clone, Default)]
pub struct EmailTeams {
    names: Vec<String>,
    set: Option<GlobSet>,
    /// Which team each glob of the set belongs to.
    owner: Vec<usize>,
}

/// One email glob of a team.
pub fn email_glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern.trim())
        .case_insensitive(true)
        .backslash_escape(true)
        .build()
}

impl EmailTeams {
    /// Teams from (name, globs); every glob must already have compiled (`email_glob`).
    pub fn new(teams: &[(String, Vec<String>)]) -> Result<EmailTeams, String> {
        let mut b = GlobSetBuilder::new();
        let mut owner = Vec::new();
        for (i, (_, globs)) in teams.iter().enumerate() {
            for g in globs {
                b.add(email_glob(g).map_err(|e| format!("invalid glob `{g}`: {}", e.kind()))?);
                owner.push(i);
            }
        }
        Ok(EmailTeams {
            names: teams.iter().map(|t| t.0.clone()).collect(),
            set: if owner.is_empty() {
                None
            } else {
                Some(b.build().map_err(|e| e.to_string())?)
            },
            owner,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The teams whose globs match `email`, in the table's order, each once.
    pub fn of_email(&self, email: &str) -> Vec<String> {
        let Some(set) = &self.set else {
            return Vec::new();
        };
        let mut idx: Vec<usize> = set
            .matches(email.trim())
            .into_iter()
            .map(|m| self.owner[m])
            .collect();
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter().map(|i| self.names[i].clone()).collect()
    }
}

/// A CODEOWNERS file (GitHub's and GitLab's form): `PATTERN OWNER...` lines, the last
/// matching line wins, a line without owners leaves its paths unowned. GitLab's `[Section]`
/// headers are skipped; patterns follow gitignore's rules (a slash at the start or in the
/// middle anchors at the top; a trailing slash matches a directory's contents; `*` does not
/// cross `/`).
#[derive(Debug, Default)]
pub struct Codeowners {
    rules: Vec<(GlobMatcher, Vec<String>)>,
}

impl Codeowners {
    /// Parses the file; lines whose pattern is not a valid glob are skipped (as the forges
    /// ignore them).
    pub fn parse(text: &str) -> Codeowners {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty()
                || line.starts_with('#')
                || line.starts_with('[')
                || line.starts_with("^[")
            {
                continue;
            }
            let mut words = line.split_whitespace();
            let Some(pattern) = words.next() else {
                continue;
            };
            let owners: Vec<String> = words
                .take_while(|w| !w.starts_with('#'))
                .map(str::to_string)
                .collect();
            if let Some(m) = codeowners_glob(pattern) {
                rules.push((m, owners));
            }
        }
        Codeowners { rules }
    }

    /// The owners of one path (empty: unowned).
    pub fn owners_of(&self, path: &str) -> &[String] {
        self.rules
            .iter()
            .rev()
            .find(|(m, _)| m.is_match(path))
            .map_or(&[], |(_, o)| o.as_slice())
    }

    /// The owners of any of `paths`, sorted, each once.
    pub fn teams_of<'a>(&self, paths: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out: Vec<String> = paths
            .into_iter()
            .flat_map(|p| self.owners_of(p).iter().cloned())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

fn codeowners_glob(pattern: &str) -> Option<GlobMatcher> {
    let pattern = pattern.strip_prefix('\\').unwrap_or(pattern);
    let dir = pattern.ends_with('/');
    let body = pattern.trim_end_matches('/');
    let anchored = body.starts_with('/') || body.contains('/');
    let body = body.trim_start_matches('/');
    if body.is_empty() {
        // `/` or `*`-like catch-alls: everything.
        return GlobBuilder::new("**")
            .build()
            .ok()
            .map(|g| g.compile_matcher());
    }
    let base = if anchored || body.starts_with("**") {
        body.to_string()
    } else {
        format!("**/{body}")
    };
    // A name matches the file itself and, as a directory, everything under it.
    let glob = if dir {
        format!("{base}/**")
    } else {
        format!("{{{base},{base}/**}}")
    };
    GlobBuilder::new(&glob)
        .literal_separator(true)
        .build()
        .ok()
        .map(|g| g.compile_matcher())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_teams_match_globs_case_insensitively() {
        let t = EmailTeams::new(&[
            ("platform".into(), vec!["*@platform.example.com".into()]),
            (
                "web".into(),
                vec!["ann@example.com".into(), "*@web.example.com".into()],
            ),
        ])
        .unwrap();
        assert_eq!(t.of_email("Bob@Platform.Example.com"), vec!["platform"]);
        assert_eq!(t.of_email("ann@example.com"), vec!["web"]);
        assert!(t.of_email("eve@example.org").is_empty());
        assert!(EmailTeams::new(&[("x".into(), vec!["[".into()])]).is_err());
    }

    #[test]
    fn codeowners_last_match_wins_with_gitignore_patterns() {
        let c = Codeowners::parse(
            "# comment\n\
             *       @org/all\n\
             /docs/  @org/docs   # inline comment\n\
             apps/   @org/apps\n\
             *.tf    @org/infra ops@example.com\n\
             src/gen/\n\
             [GitLab section]\n\
             /build/*.sh @org/build\n",
        );
        assert_eq!(c.owners_of("README.md"), ["@org/all"]);
        assert_eq!(c.owners_of("docs/a/b.md"), ["@org/docs"]);
        assert_eq!(
            c.owners_of("x/docs/a.md"),
            ["@org/all"],
            "/docs/ is anchored"
        );
        assert_eq!(
            c.owners_of("x/apps/y.rs"),
            ["@org/apps"],
            "apps/ is anywhere"
        );
        assert_eq!(
            c.owners_of("infra/main.tf"),
            ["@org/infra", "ops@example.com"]
        );
        assert!(c.owners_of("src/gen/x.rs").is_empty(), "no owners: unowned");
        assert_eq!(c.owners_of("build/a.sh"), ["@org/build"]);
        assert_eq!(
            c.owners_of("build/x/a.sh"),
            ["@org/all"],
            "* stays in one dir"
        );
        assert_eq!(
            c.teams_of(["docs/a.md", "main.tf", "docs/b.md"]),
            vec!["@org/docs", "@org/infra", "ops@example.com"]
        );
    }
}

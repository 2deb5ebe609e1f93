//! The git side: opening a repository (honouring a server's quarantine), finding the commits
//! a push brings, and reading commit facts, config and files at a ref.
//!
//! Library choice, measured (scripts/gen-repo.py, 100,000 commits, gc'd, one run on a 2-core
//! machine): walking every commit and decoding message + author took gix 0.90 ~0.75 s,
//! git2 0.21 (libgit2 1.9) ~1.7 s, and `git log --format=%B%ae` ~0.97 s. gix is faster, but
//! on a server the pushed objects exist only in the quarantine directory that git names through
//! GIT_OBJECT_DIRECTORY / GIT_ALTERNATE_OBJECT_DIRECTORIES, which gix's open functions ignore;
//! git2's `open_from_env` honours them and never writes there. The server hook is the one
//! place aigate cannot get wrong, so aigate uses git2; a push of 10,000 new commits costs
//! ~0.2 s of walking, well inside a 5 s pre-receive budget. libgit2 also ignores refs/replace,
//! so a pushed replace ref cannot change what is judged.

use crate::identity::Identity;
use crate::trailers::TrailerConfig;
use crate::verdict::CommitFacts;
use anyhow::{anyhow, bail, Context, Result};
use git2::{Oid, Repository};
use std::path::Path;

pub const ZERO: &str = "0000000000000000000000000000000000000000";

pub fn is_zero(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

pub struct Repo {
    pub git: Repository,
}

impl Repo {
    /// Opens the repository at or above `dir`.
    pub fn discover(dir: &Path) -> Result<Repo> {
        let git = Repository::discover(dir)
            .with_context(|| format!("{} is not inside a git repository", dir.display()))?;
        Ok(Repo { git })
    }

    /// Opens the repository at exactly this git directory (another handle on the same one).
    pub fn open(git_dir: &Path) -> Result<Repo> {
        let git = Repository::open(git_dir)
            .with_context(|| format!("cannot open {}", git_dir.display()))?;
        Ok(Repo { git })
    }

    /// The repository a client hook runs in: git's environment when it set one, else the
    /// repository around the working directory (a hook run by hand).
    pub fn for_hook() -> Result<Repo> {
        Repo::from_env().or_else(|_| Repo::discover(Path::new(".")))
    }

    /// Opens the repository git is running a hook in, honouring GIT_DIR, GIT_OBJECT_DIRECTORY
    /// and GIT_ALTERNATE_OBJECT_DIRECTORIES (a server's quarantine).
    pub fn from_env() -> Result<Repo> {
        let git =
            Repository::open_from_env().context("cannot open the repository this hook runs in")?;
        Ok(Repo { git })
    }

    /// The top of the work tree (None for a bare repository).
    pub fn workdir(&self) -> Option<&Path> {
        self.git.workdir()
    }

    /// Trailer settings from git config: core.commentChar/commentString, trailer.separators,
    /// trailer.<alias>.key.
    pub fn trailer_config(&self) -> TrailerConfig {
        let mut cfg = TrailerConfig::default();
        let Ok(config) = self.git.config() else {
            return cfg;
        };
        let comment = config
            .get_string("core.commentString")
            .or_else(|_| config.get_string("core.commentChar"))
            .unwrap_or_default();
        cfg = cfg.with_comment(&comment);
        if let Ok(seps) = config.get_string("trailer.separators") {
            if !seps.is_empty() {
                cfg.separators = seps;
            }
        }
        if let Ok(mut entries) = config.entries(Some(r"^trailer\..+\..+$")) {
            let mut aliases: Vec<(String, Option<String>)> = Vec::new();
            while let Some(Ok(e)) = entries.next() {
                let Ok(name) = e.name() else { continue };
                let Some(rest) = name.strip_prefix("trailer.") else {
                    continue;
                };
                let Some((alias, var)) = rest.rsplit_once('.') else {
                    continue;
                };
                let idx = match aliases.iter().position(|(a, _)| a == alias) {
                    Some(i) => i,
                    None => {
                        aliases.push((alias.to_string(), None));
                        aliases.len() - 1
                    }
                };
                if var == "key" {
                    aliases[idx].1 = e.value().ok().map(str::to_string);
                }
            }
            cfg.aliases = aliases;
        }
        cfg
    }

    pub fn config_string(&self, key: &str) -> Option<String> {
        self.git
            .config()
            .ok()?
            .get_string(key)
            .ok()
            .filter(|s| !s.is_empty())
    }

    pub fn config_bool(&self, key: &str) -> Option<bool> {
        self.git.config().ok()?.get_bool(key).ok()
    }

    /// Resolves a revision to a commit id (peeling tags).
    pub fn commit_id(&self, rev: &str) -> Result<Oid> {
        let obj = self
            .git
            .revparse_single(rev)
            .with_context(|| format!("unknown revision `{rev}`"))?;
        let c = obj
            .peel_to_commit()
            .with_context(|| format!("`{rev}` does not point to a commit"))?;
        Ok(c.id())
    }

    /// Peels an object id (a commit or an annotated tag) to a commit; None for a tag of
    /// something else (a tree or a blob).
    pub fn peel_to_commit(&self, id: Oid) -> Result<Option<Oid>> {
        let obj = self
            .git
            .find_object(id, None)
            .with_context(|| format!("object {id} is missing"))?;
        Ok(obj.peel_to_commit().ok().map(|c| c.id()))
    }

    /// The refs whose names pass `keep`, with their targets peeled to commits (refs/replace/
    /// never counts). Only kept refs are peeled, so a thousand tags cost nothing.
    pub fn refs_where(&self, keep: impl Fn(&str) -> bool) -> Result<Vec<(String, Oid)>> {
        let mut out = Vec::new();
        for r in self.git.references().context("cannot list refs")? {
            let r = r.context("cannot read a ref")?;
            let Ok(name) = r.name() else { continue };
            if name.starts_with("refs/replace/") || !keep(name) {
                continue;
            }
            if let Ok(c) = r.peel_to_commit() {
                out.push((name.to_string(), c.id()));
            }
        }
        Ok(out)
    }

    /// Whether the repository has an `info/grafts` file, which libgit2 would apply to parents.
    fn has_grafts(&self) -> bool {
        std::fs::metadata(self.git.commondir().join("info/grafts")).is_ok_and(|m| m.len() > 0)
    }

    /// A commit's parents as its object records them (grafts play no part).
    fn raw_parents(&self, odb: &git2::Odb<'_>, id: Oid) -> Result<Vec<Oid>> {
        let obj = odb
            .read(id)
            .with_context(|| format!("commit {id} is missing"))?;
        let mut out = Vec::new();
        for line in obj.data().split(|&b| b == b'\n') {
            if line.is_empty() {
                break; // end of the header
            }
            if let Some(hex) = line.strip_prefix(b"parent ") {
                let hex = std::str::from_utf8(hex).unwrap_or("");
                out.push(
                    Oid::from_str(hex)
                        .with_context(|| format!("commit {id} has a bad parent line"))?,
                );
            }
        }
        Ok(out)
    }

    /// `new_commits` without libgit2's revwalk: every ancestor of `hide` is marked first, from
    /// the parents written in the objects. Used when grafts exist, so a graft cannot hide a
    /// pushed commit. Slower (it visits all of `hide`'s history) but exact.
    fn new_commits_raw(&self, tips: &[Oid], hide: &[Oid]) -> Result<Vec<Oid>> {
        let odb = self.git.odb()?;
        let mut hidden = std::collections::HashSet::new();
        let mut stack: Vec<Oid> = hide.iter().copied().filter(|h| odb.exists(*h)).collect();
        while let Some(c) = stack.pop() {
            if hidden.insert(c) {
                stack.extend(self.raw_parents(&odb, c)?);
            }
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut stack: Vec<Oid> = tips.to_vec();
        while let Some(c) = stack.pop() {
            if hidden.contains(&c) || !seen.insert(c) {
                continue;
            }
            out.push(c);
            stack.extend(self.raw_parents(&odb, c)?);
        }
        Ok(out)
    }

    /// Commits reachable from `tips` but from none of `hide`, newest first
    /// (`git rev-list TIPS --not HIDE`). Replace refs are never used; grafts neither.
    pub fn new_commits(&self, tips: &[Oid], hide: &[Oid]) -> Result<Vec<Oid>> {
        if self.has_grafts() {
            return self.new_commits_raw(tips, hide);
        }
        let mut walk = self.git.revwalk().context("cannot walk history")?;
        walk.set_sorting(git2::Sort::TIME)?;
        for t in tips {
            walk.push(*t)
                .with_context(|| format!("cannot walk from {t}"))?;
        }
        for h in hide {
            // A hidden tip this repository lacks (a shallow clone, a stale remote) hides nothing.
            if self.git.find_commit(*h).is_ok() {
                walk.hide(*h).with_context(|| format!("cannot hide {h}"))?;
            }
        }
        walk.map(|r| r.context("history walk failed (missing objects? a shallow clone?)"))
            .collect()
    }

    /// Commits of a range: `A..B`, `A...B`, or a single revision (all its history).
    pub fn range(&self, spec: &str) -> Result<Vec<Oid>> {
        self.walk(spec)?
            .map(|r| r.context("history walk failed"))
            .collect()
    }

    /// A lazy walk over a range (`A..B`) or a revision's whole history, newest first by
    /// commit time: nothing is collected, so memory stays flat for long histories.
    pub fn walk(&self, spec: &str) -> Result<git2::Revwalk<'_>> {
        let mut walk = self.git.revwalk()?;
        walk.set_sorting(git2::Sort::TIME)?;
        if spec.contains("..") {
            walk.push_range(spec)
                .or_else(|_| -> Result<(), git2::Error> {
                    let rs = self.git.revparse(spec)?;
                    if let Some(to) = rs.to() {
                        walk.push(to.id())?;
                    }
                    if let Some(from) = rs.from() {
                        walk.hide(from.id())?;
                    }
                    Ok(())
                })
                .with_context(|| format!("bad revision range `{spec}`"))?;
        } else {
            walk.push(self.commit_id(spec)?)?;
        }
        Ok(walk)
    }

    /// Whether `ancestor` is reachable from `descendant`.
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool> {
        Ok(ancestor == descendant || self.git.graph_descendant_of(descendant, ancestor)?)
    }

    /// Reads what aigate needs of a commit. `paths`: also compute the files it changed
    /// against its first parent.
    pub fn facts(&self, id: Oid, paths: bool) -> Result<CommitFacts> {
        let c = self
            .git
            .find_commit(id)
            .map_err(|e| anyhow!("commit {id} cannot be read: {}", e.message()))?;
        let sig = |s: git2::Signature<'_>| Identity {
            name: String::from_utf8_lossy(s.name_bytes()).into_owned(),
            email: String::from_utf8_lossy(s.email_bytes()).into_owned(),
        };
        let message = decode_message(c.message_raw_bytes(), c.message_encoding().ok().flatten());
        let changed_paths = if paths {
            Some(self.changed_paths(&c)?)
        } else {
            None
        };
        let time = c.committer().when().seconds();
        Ok(CommitFacts {
            id: id.to_string(),
            message,
            author: sig(c.author()),
            committer: sig(c.committer()),
            parent_count: c.parent_count(),
            time,
            changed_paths,
            extra_evidence: Vec::new(),
            blast: None,
        })
    }

    /// The first parent's tree as the object records it (a graft must not change a diff).
    fn first_parent_tree(&self, c: &git2::Commit<'_>) -> Result<Option<git2::Tree<'_>>> {
        let first = if self.has_grafts() {
            self.raw_parents(&self.git.odb()?, c.id())?.first().copied()
        } else {
            c.parent_id(0).ok()
        };
        match first {
            None => Ok(None),
            Some(p) => Ok(Some(
                self.git
                    .find_commit(p)
                    .context("first parent is missing")?
                    .tree()?,
            )),
        }
    }

    /// How large a commit's change is against its first parent.
    pub fn blast_of_commit(
        &self,
        id: Oid,
        policy: &crate::policy::Policy,
    ) -> Result<crate::verdict::Blast> {
        let c = self.git.find_commit(id)?;
        let old = self.first_parent_tree(&c)?;
        let new = c.tree()?;
        self.blast(old.as_ref(), &new, policy)
    }

    /// How large the staged change is (pre-commit).
    pub fn blast_of_index(&self, policy: &crate::policy::Policy) -> Result<crate::verdict::Blast> {
        let head = self.git.head().ok().and_then(|h| h.peel_to_tree().ok());
        let mut index = self.git.index().context("cannot read the index")?;
        let staged = index
            .write_tree()
            .context("cannot compute the staged tree")?;
        let new = self.git.find_tree(staged)?;
        self.blast(head.as_ref(), &new, policy)
    }

    /// Measures a change cheaply: file counts and guarded paths come from a tree comparison;
    /// the exact count of deleted lines (which needs a patch) is computed only when the change
    /// could be over the percentage limit, bounded by the old versions of the changed files.
    fn blast(
        &self,
        old: Option<&git2::Tree<'_>>,
        new: &git2::Tree<'_>,
        policy: &crate::policy::Policy,
    ) -> Result<crate::verdict::Blast> {
        let mut changes = Vec::new();
        tree_changes(&self.git, old, Some(new), "", &mut changes)
            .context("cannot compare trees")?;
        let mut b = crate::verdict::Blast::default();
        let mut bound = 0u64; // deleted lines cannot exceed the lines of the old changed files
        for ch in &changes {
            b.changed_files += 1;
            if ch.new.is_zero() {
                b.deleted_files += 1;
            }
            if b.guarded.is_none() && policy.guarded.is_match(&ch.path) {
                b.guarded = Some(ch.path.clone());
            }
            if !ch.old.is_zero() {
                if let Ok(blob) = self.git.find_blob(ch.old) {
                    bound += count_lines(blob.content());
                }
            }
        }
        let pct = u64::from(policy.agents.blast_radius.max_deleted_percent);
        if let (Some(old), true) = (old, bound >= MIN_COUNTED_DELETIONS && pct > 0) {
            // Over the limit needs deleted*100 > pct*total, so total < bound*100/pct: count the
            // tracked lines only that far.
            let cap = bound * 100 / pct + 1;
            let mut total = 0u64;
            let _ = old.walk(git2::TreeWalkMode::PreOrder, |_, e| {
                if e.kind() == Some(git2::ObjectType::Blob) {
                    if let Ok(blob) = self.git.find_blob(e.id()) {
                        total += count_lines(blob.content());
                    }
                }
                if total > cap {
                    git2::TreeWalkResult::Abort
                } else {
                    git2::TreeWalkResult::Ok
                }
            });
            if total <= cap {
                let diff = self
                    .git
                    .diff_tree_to_tree(Some(old), Some(new), None)
                    .context("cannot diff the change")?;
                b.deleted_lines = diff
                    .stats()
                    .context("cannot measure the change")?
                    .deletions() as u64;
                b.total_lines = Some(total);
            }
        }
        Ok(b)
    }

    /// The paths a commit changes against its first parent.
    pub fn changed_paths_of(&self, id: Oid) -> Result<Vec<String>> {
        self.changed_paths(&self.git.find_commit(id)?)
    }

    fn changed_paths(&self, c: &git2::Commit<'_>) -> Result<Vec<String>> {
        let tree = c.tree()?;
        let parent_tree = self.first_parent_tree(c)?;
        let diff = self
            .git
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
            .context("cannot diff the commit against its first parent")?;
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for d in diff.deltas() {
            for f in [d.old_file(), d.new_file()] {
                if let Some(p) = f.path_bytes() {
                    let p = String::from_utf8_lossy(p).into_owned();
                    if seen.insert(p.clone()) {
                        out.push(p);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The content of `path` at commit `at`, if the file exists there.
    pub fn file_at(&self, at: Oid, path: &str) -> Result<Option<Vec<u8>>> {
        let tree = self.git.find_commit(at)?.tree()?;
        let entry = match tree.get_path(Path::new(path)) {
            Ok(e) => e,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => bail!("cannot read {path} at {at}: {}", e.message()),
        };
        let blob = entry
            .to_object(&self.git)
            .and_then(|o| o.peel_to_blob())
            .with_context(|| format!("{path} at {at} is not a file"))?;
        Ok(Some(blob.content().to_vec()))
    }

    /// The ref a name finally points to when it is a symbolic ref (`refs/heads/trunk` →
    /// `refs/heads/main`); the name itself otherwise.
    pub fn resolve_symref(&self, name: &str) -> String {
        let mut current = name.to_string();
        for _ in 0..10 {
            let Ok(r) = self.git.find_reference(&current) else {
                break;
            };
            match r.symbolic_target().ok().flatten() {
                Some(t) => current = t.to_string(),
                None => break,
            }
        }
        current
    }

    /// The branch HEAD points to (`refs/heads/main`), if any.
    pub fn head_ref(&self) -> Option<String> {
        let head = self.git.find_reference("HEAD").ok()?;
        head.symbolic_target().ok().flatten().map(str::to_string)
    }
}

/// One entry that differs between two trees: its path and the blob ids before and after
/// (zero when absent). Subtrees with the same id are skipped, as git does.
pub struct Change {
    pub path: String,
    pub old: Oid,
    pub new: Oid,
}

fn tree_changes(
    repo: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: Option<&git2::Tree<'_>>,
    prefix: &str,
    out: &mut Vec<Change>,
) -> Result<()> {
    use std::collections::BTreeMap;
    let entries =
        |t: Option<&git2::Tree<'_>>| -> BTreeMap<Vec<u8>, (Oid, Option<git2::ObjectType>)> {
            t.map(|t| {
                t.iter()
                    .map(|e| (e.name_bytes().to_vec(), (e.id(), e.kind())))
                    .collect()
            })
            .unwrap_or_default()
        };
    let (a, b) = (entries(old), entries(new));
    let names: std::collections::BTreeSet<&Vec<u8>> = a.keys().chain(b.keys()).collect();
    for name in names {
        let (ea, eb) = (a.get(name), b.get(name));
        if ea.map(|e| e.0) == eb.map(|e| e.0) {
            continue;
        }
        let path = format!("{prefix}{}", String::from_utf8_lossy(name));
        let is_tree = |e: Option<&(Oid, Option<git2::ObjectType>)>| {
            e.is_some_and(|e| e.1 == Some(git2::ObjectType::Tree))
        };
        let sub = |e: Option<&(Oid, Option<git2::ObjectType>)>| -> Result<Option<git2::Tree<'_>>> {
            match e {
                Some((id, Some(git2::ObjectType::Tree))) => Ok(Some(repo.find_tree(*id)?)),
                _ => Ok(None),
            }
        };
        if is_tree(ea) || is_tree(eb) {
            tree_changes(
                repo,
                sub(ea)?.as_ref(),
                sub(eb)?.as_ref(),
                &format!("{path}/"),
                out,
            )?;
        }
        let blob = |e: Option<&(Oid, Option<git2::ObjectType>)>| match e {
            Some((id, k)) if *k != Some(git2::ObjectType::Tree) => *id,
            _ => Oid::ZERO_SHA1,
        };
        let (o, n) = (blob(ea), blob(eb));
        if o != n {
            out.push(Change {
                path,
                old: o,
                new: n,
            });
        }
    }
    Ok(())
}

/// A change that can delete fewer lines than this is never over the percentage limit (it would
/// take a repository under 100 lines at 20%); it spares small commits the count of tracked lines.
pub const MIN_COUNTED_DELETIONS: u64 = 20;

fn count_lines(content: &[u8]) -> u64 {
    let n = content.iter().filter(|&&c| c == b'\n').count() as u64;
    n + u64::from(content.last().is_some_and(|&c| c != b'\n'))
}

/// Turns message bytes into text: UTF-8 as is, Latin-1 family decoded, anything else lossy.
pub fn decode_message(bytes: &[u8], encoding: Option<&str>) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => match encoding.map(|e| e.to_ascii_lowercase()) {
            Some(e)
                if matches!(
                    e.as_str(),
                    "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "l1"
                ) =>
            {
                bytes.iter().map(|&b| b as char).collect()
            }
            _ => String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}

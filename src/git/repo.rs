//! The git side: opening a repository (honouring a server's quarantine), finding the commits
//! a push brings, and reading commit facts, config and files at a ref.
//!
//! Library choice, measured (scripts/gen-repo.py, 100,000 commits, gc'd, one run on a 2-core
//! machine): walking every commit and decoding message + author took gix 0.90 ~0.75 s,
//! git2 0.21 (libgit2 1.9) ~1.7 s, and `git log --format=%B%ae` ~0.97 s. gix is faster, but
//! on a server the pushed objects exist only in the quarantine directory that git names through
//! GIT_OBJECT_DIRECTORY / GIT_ALTERNATE_OBJECT_DIRECTORIES, which gix's open functions ignore;
//! git2's `open_from_env` honours them and never writes there. The server hook is the one
//! place aigate cannot get wrong, so aigate uses git2. Most of git2's walk cost was its commit
//! parsing: reading the raw objects through its object database and parsing them here
//! (`crate::commit`, `crate::history`) takes ~0.85-1.0 s for the same 100,000 commits, git's
//! speed. libgit2 also ignores refs/replace, so a pushed replace ref cannot change what is
//! judged; commit facts come from the raw objects, so grafts cannot either. Measured again for
//! the blast radius's reads (96,000 commits and trees, one thread): gix-odb 0.37 s, git2 0.38 s,
//! no reason to change.

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
    /// Opened from git's environment (a hook, perhaps in a quarantine), not from a path.
    from_env: bool,
    /// The tips of the AI attribution notes refs (read on first use; a server sets those a
    /// push brings).
    note_tips: std::cell::OnceCell<Vec<(String, Oid)>>,
    /// A snapshot of the configuration, taken on first read: libgit2 re-checks every config
    /// file on each live read, and aigate only reads settings once they are loaded.
    config: std::cell::OnceCell<Option<Snapshot>>,
}

/// A read-only configuration snapshot that moves with its `Repo` to a worker thread.
struct Snapshot(git2::Config);

// SAFETY: a snapshot is an immutable copy owned by exactly one `Repo`; `Repo` is not `Sync`, so
// the snapshot is only ever used from one thread at a time, as libgit2 allows for its objects
// (git2 marks `Repository` `Send` on the same ground).
unsafe impl Send for Snapshot {}

/// Notes refs whose notes are AI attribution (git-ai's authorship logs, Agent Trace records).
pub const NOTE_REFS: [&str; 2] = ["refs/notes/ai", "refs/notes/agent-trace"];
/// The largest note read.
const MAX_NOTE: usize = 1 << 20;

impl Repo {
    /// Opens the repository at or above `dir`.
    pub fn discover(dir: &Path) -> Result<Repo> {
        let git = Repository::discover(dir)
            .with_context(|| format!("{} is not inside a git repository", dir.display()))?;
        Ok(Repo {
            git,
            from_env: false,
            note_tips: std::cell::OnceCell::new(),
            config: std::cell::OnceCell::new(),
        })
    }

    /// Opens the repository at exactly this git directory (another handle on the same one).
    pub fn open(git_dir: &Path) -> Result<Repo> {
        let git = Repository::open(git_dir)
            .with_context(|| format!("cannot open {}", git_dir.display()))?;
        Ok(Repo {
            git,
            from_env: false,
            note_tips: std::cell::OnceCell::new(),
            config: std::cell::OnceCell::new(),
        })
    }

    /// The repository a client hook runs in: git's environment when it set one, else the
    /// repository around the working directory (a hook run by hand).
    pub fn for_hook() -> Result<Repo> {
        if std::env::var_os("GIT_DIR").is_some() {
            Repo::from_env()
        } else {
            Repo::discover(Path::new("."))
        }
    }

    /// Opens the repository git is running a hook in, honouring GIT_DIR, GIT_OBJECT_DIRECTORY
    /// and GIT_ALTERNATE_OBJECT_DIRECTORIES (a server's quarantine).
    pub fn from_env() -> Result<Repo> {
        let git =
            Repository::open_from_env().context("cannot open the repository this hook runs in")?;
        Ok(Repo {
            git,
            from_env: true,
            note_tips: std::cell::OnceCell::new(),
            config: std::cell::OnceCell::new(),
        })
    }

    /// Another handle on the same repository, opened the same way (for another thread: a
    /// libgit2 repository is not shared between threads).
    pub fn reopen(&self) -> Result<Repo> {
        let r = if self.from_env {
            Repo::from_env()?
        } else {
            Repo::open(self.git.path())?
        };
        if let Some(t) = self.note_tips.get() {
            let _ = r.note_tips.set(t.clone());
        }
        Ok(r)
    }

    /// Uses these notes tips (a server: the accepted ones, or those the push brings).
    pub fn set_note_tips(&mut self, tips: Vec<(String, Oid)>) {
        self.note_tips = std::cell::OnceCell::from(tips);
    }

    fn note_tips(&self) -> &[(String, Oid)] {
        self.note_tips.get_or_init(|| {
            NOTE_REFS
                .iter()
                .filter_map(|r| Some((r.to_string(), self.git.refname_to_id(r).ok()?)))
                .collect()
        })
    }

    /// The AI attribution notes on a commit: (notes ref, text).
    pub fn notes_of(&self, id: Oid) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let hex = id.to_string();
        for (r, tip) in self.note_tips() {
            let Ok(tree) = self.git.find_commit(*tip).and_then(|c| c.tree()) else {
                continue;
            };
            // Notes trees fan out by leading hex pairs as they grow, to any depth (git's
            // notes lookup: at each level the rest of the id as a file, else its first two
            // hex digits as a directory).
            let mut tree = tree;
            let mut rest: &str = &hex;
            let found = loop {
                if let Some(e) = tree.get_name(rest) {
                    break Some(e.id());
                }
                if rest.len() <= 2 {
                    break None;
                }
                let Some(sub) = tree
                    .get_name(&rest[..2])
                    .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
                    .and_then(|e| self.git.find_tree(e.id()).ok())
                else {
                    break None;
                };
                tree = sub;
                rest = &rest[2..];
            };
            let Some(blob) = found else { continue };
            // The size from the object's header first: an oversized note is not inflated.
            let small = self
                .git
                .odb()
                .and_then(|o| o.read_header(blob))
                .is_ok_and(|(size, kind)| kind == git2::ObjectType::Blob && size <= MAX_NOTE);
            if !small {
                continue;
            }
            if let Ok(b) = self.git.find_blob(blob) {
                let note = (r.clone(), String::from_utf8_lossy(b.content()).into_owned());
                // The same note under an accepted tip and a pushed one counts once.
                if !out.contains(&note) {
                    out.push(note);
                }
            }
        }
        out
    }

    /// The top of the work tree (None for a bare repository).
    pub fn workdir(&self) -> Option<&Path> {
        self.git.workdir()
    }

    /// Trailer settings from git config: core.commentChar/commentString, trailer.separators,
    /// trailer.<alias>.key.
    pub fn trailer_config(&self) -> TrailerConfig {
        let mut cfg = TrailerConfig::default();
        let Some(config) = self.config() else {
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

    /// The configuration as it was when first read (None when it cannot be read).
    fn config(&self) -> Option<&git2::Config> {
        self.config
            .get_or_init(|| {
                self.git
                    .config()
                    .and_then(|mut c| c.snapshot())
                    .ok()
                    .map(Snapshot)
            })
            .as_ref()
            .map(|s| &s.0)
    }

    pub fn config_string(&self, key: &str) -> Option<String> {
        self.config()?
            .get_string(key)
            .ok()
            .filter(|s| !s.is_empty())
    }

    pub fn config_bool(&self, key: &str) -> Option<bool> {
        self.config()?.get_bool(key).ok()
    }

    /// Resolves a revision to a commit id (peeling tags).
    pub fn commit_id(&self, rev: &str) -> Result<Oid> {
        let obj = match self.git.revparse_single(rev) {
            Ok(o) => o,
            Err(_) if matches!(self.git.head(), Err(e) if e.code() == git2::ErrorCode::UnbornBranch) =>
            {
                bail!("this repository has no commits yet: make one first (`{rev}` names nothing here)")
            }
            Err(e) => return Err(anyhow!("unknown revision `{rev}`: {}", e.message())),
        };
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

    /// A commit's parents as its object records them (grafts play no part).
    fn raw_parents(&self, odb: &git2::Odb<'_>, id: Oid) -> Result<Vec<Oid>> {
        parse_parents(id, &crate::commit::header(read_commit(odb, id)?.data()))
    }

    /// What a range names: the commits to start from and those whose history is excluded.
    /// `A..B` is B without A's history; `A...B` is both without their merge bases'; a single
    /// revision is its whole history. An empty side is HEAD.
    pub fn range_ends(&self, spec: &str) -> Result<(Vec<Oid>, Vec<Oid>)> {
        let bad = || format!("bad revision range `{spec}`");
        if let Some((from, to)) = spec.split_once("...") {
            let side = |r: &str| self.commit_id(if r.is_empty() { "HEAD" } else { r });
            let (a, b) = (side(from).with_context(bad)?, side(to).with_context(bad)?);
            let bases = match self.git.merge_bases(a, b) {
                Ok(bases) => bases.iter().copied().collect(),
                Err(e) if e.code() == git2::ErrorCode::NotFound => Vec::new(),
                Err(e) => return Err(anyhow::Error::from(e).context(bad())),
            };
            return Ok((vec![a, b], bases));
        }
        if let Some((from, to)) = spec.split_once("..") {
            let side = |r: &str| self.commit_id(if r.is_empty() { "HEAD" } else { r });
            return Ok((
                vec![side(to).with_context(bad)?],
                vec![side(from).with_context(bad)?],
            ));
        }
        Ok((vec![self.commit_id(spec)?], Vec::new()))
    }

    /// Whether `ancestor` is reachable from `descendant`.
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool> {
        Ok(ancestor == descendant || self.git.graph_descendant_of(descendant, ancestor)?)
    }

    /// `is_ancestor`, given `between`: the commits reachable from `descendant` but not from
    /// `ancestor` (oldest last). In a fast-forward `ancestor` is the parent of one of them,
    /// usually the oldest, so the answer comes from a few parent lines instead of a walk of
    /// the whole range (libgit2's reachability test parses every commit of it: ~20% of a
    /// 10,000-commit push). Anything else falls back to the full test.
    pub fn is_ancestor_among(
        &self,
        ancestor: Oid,
        descendant: Oid,
        between: &[Oid],
    ) -> Result<bool> {
        if ancestor == descendant {
            return Ok(true);
        }
        let odb = self.git.odb()?;
        for &c in between.iter().rev() {
            if self.raw_parents(&odb, c)?.contains(&ancestor) {
                return Ok(true);
            }
        }
        self.is_ancestor(ancestor, descendant)
    }

    /// Reads what aigate needs of a commit from its raw object (libgit2 does not parse it, so
    /// grafts and replace refs play no part). `paths`: also compute the files it changed
    /// against its first parent.
    pub fn facts(&self, id: Oid, paths: bool) -> Result<CommitFacts> {
        let odb = self.git.odb()?;
        let mut facts = facts_of(id, read_commit(&odb, id)?.data())?;
        facts.notes = self.notes_of(id);
        if paths {
            facts.changed_paths = Some(self.changed_paths_of(id)?);
        }
        Ok(facts)
    }

    /// A commit's tree and its first parent's tree, as the objects record them (grafts and
    /// replace refs play no part). `old` is `None` for a root commit; `parent_missing` is set
    /// when a shallow clone lacks the first parent (then `old` is `None` too).
    fn trees_of(&self, id: Oid) -> Result<Trees> {
        let odb = self.git.odb()?;
        let tree = |id: Oid| -> Result<(Oid, Option<Oid>)> {
            let obj = read_commit(&odb, id)?;
            let h = crate::commit::header(obj.data());
            let tree = h.tree.and_then(full_oid).with_context(|| {
                format!("commit {id} has no valid tree line (check it with `git fsck`)")
            })?;
            Ok((tree, parse_parents(id, &h)?.first().copied()))
        };
        let (new, parent) = tree(id)?;
        let (old, parent_missing) = match parent {
            Some(p) if self.git.is_shallow() && !odb.exists(p) => (None, true),
            Some(p) => (Some(tree(p)?.0), false),
            None => (None, false),
        };
        Ok(Trees {
            new,
            old,
            parent_missing,
        })
    }

    /// How large a commit's change is against its first parent (as the object records it);
    /// `None` when a shallow clone lacks the parent.
    /// Past `deadline` it stops with `budget::OverBudget` (a commit can change millions of
    /// files).
    pub fn blast_of_commit(
        &self,
        id: Oid,
        policy: &crate::policy::Policy,
        deadline: Option<std::time::Instant>,
    ) -> Result<Option<crate::verdict::Blast>> {
        let t = self.trees_of(id)?;
        if t.parent_missing {
            return Ok(None); // the change of a shallow clone's oldest commit is unknown
        }
        self.blast(t.old, t.new, policy, deadline).map(Some)
    }

    /// How large the staged change is (pre-commit).
    pub fn blast_of_index(&self, policy: &crate::policy::Policy) -> Result<crate::verdict::Blast> {
        let head = self
            .git
            .head()
            .ok()
            .and_then(|h| h.peel_to_tree().ok())
            .map(|t| t.id());
        let mut index = self.git.index().context("cannot read the index")?;
        let staged = index
            .write_tree()
            .context("cannot compute the staged tree")?;
        self.blast(head, staged, policy, None)
    }

    /// Measures a change cheaply: file counts and guarded paths come from a comparison of the
    /// raw trees (`tree::changes`); the lines deleted come from a line diff of the changed
    /// files alone (each old and new version read once); the lines tracked before the change
    /// are counted only when the deletions could reach the percentage limit, and only as far
    /// as deciding it needs.
    fn blast(
        &self,
        old: Option<Oid>,
        new: Oid,
        policy: &crate::policy::Policy,
        deadline: Option<std::time::Instant>,
    ) -> Result<crate::verdict::Blast> {
        let changes = self
            .tree_changes(old, new)
            .context("cannot compare the commit's trees")?;
        let mut b = crate::verdict::Blast::default();
        for ch in &changes {
            b.changed_files += 1;
            if ch.new.is_none() {
                b.deleted_files += 1;
            }
            if b.guarded.is_none() && policy.is_guarded(&ch.path) {
                b.guarded = Some(ch.path.clone());
            }
        }
        let pct = u64::from(policy.agents.blast_radius.max_deleted_percent);
        if pct == 0 {
            return Ok(b);
        }
        let odb = self.git.odb()?;
        crate::git::budget::check(deadline)?;
        b.deleted_lines = deleted_lines(&odb, &changes, deadline)?;
        if let (Some(old), true) = (old, b.deleted_lines >= MIN_COUNTED_DELETIONS) {
            let old = self.git.find_tree(old)?;
            // Over the limit needs deleted*100 > pct*total, so total < deleted*100/pct: count
            // the tracked lines only that far.
            let cap = b.deleted_lines * 100 / pct + 1;
            let (mut total, mut read, mut late) = (0u64, 0usize, false);
            let _ = old.walk(git2::TreeWalkMode::PreOrder, |_, e| {
                if e.kind() == Some(git2::ObjectType::Blob) {
                    if let Ok(blob) = self.git.find_blob(e.id()) {
                        total += count_lines(blob.content());
                    }
                    read += 1;
                    late = crate::git::budget::check(deadline).is_err();
                }
                if total > cap || late {
                    git2::TreeWalkResult::Abort
                } else {
                    git2::TreeWalkResult::Ok
                }
            });
            if late {
                crate::git::budget::check(deadline)?;
            }
            if total <= cap {
                b.total_lines = Some(total);
            }
        }
        Ok(b)
    }

    /// The files that differ between two trees (`old` None: every file of `new`), in git's
    /// order; unchanged subtrees are skipped, so the cost follows the change.
    pub fn tree_changes(&self, old: Option<Oid>, new: Oid) -> Result<Vec<crate::tree::Change>> {
        let odb = self.git.odb()?;
        let mut read = |id: &[u8]| -> Result<Vec<u8>> {
            let id = Oid::from_bytes(id)?;
            let obj = odb
                .read(id)
                .with_context(|| format!("tree {id} is missing"))?;
            if obj.kind() != git2::ObjectType::Tree {
                bail!("{id} is not a tree");
            }
            Ok(obj.data().to_vec())
        };
        crate::tree::changes(
            old.as_ref().map(Oid::as_bytes),
            Some(new.as_bytes()),
            new.as_bytes().len(),
            &mut read,
        )
    }

    /// The paths a commit changes against its first parent.
    /// A shallow clone's oldest commit is compared with the empty tree: every path counts.
    pub fn changed_paths_of(&self, id: Oid) -> Result<Vec<String>> {
        let t = self.trees_of(id)?;
        let tree = self.git.find_tree(t.new)?;
        let parent_tree = t.old.map(|o| self.git.find_tree(o)).transpose()?;
        self.paths_differing(parent_tree.as_ref(), &tree)
            .context("cannot diff the commit against its first parent")
    }

    /// Each path that differs between two trees, once, in diff order.
    fn paths_differing(
        &self,
        old: Option<&git2::Tree<'_>>,
        new: &git2::Tree<'_>,
    ) -> Result<Vec<String>> {
        let diff = self.git.diff_tree_to_tree(old, Some(new), None)?;
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

    /// The object id at `path` in commit `at`'s tree (None: no commit, or no such path).
    pub fn entry_at(&self, at: Option<Oid>, path: &str) -> Result<Option<Oid>> {
        let Some(at) = at else { return Ok(None) };
        let tree = self.git.find_commit(at)?.tree()?;
        match tree.get_path(Path::new(path)) {
            Ok(e) => Ok(Some(e.id())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => bail!("cannot read {path} at {at}: {}", e.message()),
        }
    }

    /// The paths that differ between two commits' trees (`old` None: every path of `new`).
    pub fn changed_paths_between(&self, old: Option<Oid>, new: Oid) -> Result<Vec<String>> {
        let new_tree = self.git.find_commit(new)?.tree()?;
        let old_tree = old
            .map(|o| self.git.find_commit(o).and_then(|c| c.tree()))
            .transpose()?;
        self.paths_differing(old_tree.as_ref(), &new_tree)
            .context("cannot compare the trees")
    }

    /// The commits every ref points to (peeled), listed once.
    pub fn ref_tips(&self) -> Result<std::collections::HashSet<Oid>> {
        Ok(self
            .refs_where(|_| true)?
            .into_iter()
            .map(|(_, id)| id)
            .collect())
    }

    /// Up to `limit` commits from `tip` back through first and other parents, stopping at
    /// any commit in `stops` (a bounded walk: advice, not an exact set).
    pub fn first_commits(
        &self,
        tip: Oid,
        stops: &std::collections::HashSet<Oid>,
        limit: usize,
    ) -> Result<Vec<Oid>> {
        let odb = self.git.odb()?;
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut queue = std::collections::VecDeque::from([tip]);
        while let Some(c) = queue.pop_front() {
            if out.len() >= limit {
                break;
            }
            if stops.contains(&c) || !seen.insert(c) {
                continue;
            }
            let Ok(parents) = self.raw_parents(&odb, c) else {
                continue; // a shallow boundary
            };
            out.push(c);
            queue.extend(parents);
        }
        Ok(out)
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

/// Files larger than this are not line-diffed: every old line counts as deleted (an
/// overestimate only asks for more review). The total diffed per commit is capped likewise.
const MAX_DIFF_BYTES: usize = 8 << 20;
const MAX_DIFF_TOTAL: usize = 64 << 20;

/// Lines the changed files delete, by a histogram line diff (imara-diff: linear in practice,
/// where libgit2's diff took ~1.8 s per commit on a 200,000-line file); past the caps, every
/// old line of a file counts as deleted.
fn deleted_lines(
    odb: &git2::Odb<'_>,
    changes: &[crate::tree::Change],
    deadline: Option<std::time::Instant>,
) -> Result<u64> {
    use imara_diff::intern::InternedInput;
    use imara_diff::sink::Counter;
    use imara_diff::sources::byte_lines;
    let mut deleted = 0u64;
    let mut budget = MAX_DIFF_TOTAL;
    for ch in changes.iter() {
        // Per file: one file's blobs can be a long delta chain of large blobs.
        crate::git::budget::check(deadline)?;
        let (Some(old), false) = (&ch.old, ch.old_gitlink) else {
            continue;
        };
        let old = odb.read(Oid::from_bytes(old)?)?;
        let new = match &ch.new {
            Some(id) => odb
                .read(Oid::from_bytes(id)?)
                .ok()
                .filter(|o| o.kind() == git2::ObjectType::Blob),
            None => None,
        };
        let (a, b) = (old.data(), new.as_ref().map_or(&[][..], |n| n.data()));
        let size = a.len() + b.len();
        if new.is_none() || a.len() > MAX_DIFF_BYTES || b.len() > MAX_DIFF_BYTES || size > budget {
            deleted += count_lines(a);
            continue;
        }
        budget -= size;
        let input = InternedInput::new(byte_lines(a), byte_lines(b));
        let c = imara_diff::diff(imara_diff::Algorithm::Histogram, &input, Counter::new(()));
        deleted += u64::from(c.removals);
    }
    Ok(deleted)
}

/// A change that can delete fewer lines than this is never over the percentage limit (it would
/// take a repository under 100 lines at 20%); it spares small commits the count of tracked lines.
pub const MIN_COUNTED_DELETIONS: u64 = 20;

fn count_lines(content: &[u8]) -> u64 {
    let n = content.iter().filter(|&&c| c == b'\n').count() as u64;
    n + u64::from(content.last().is_some_and(|&c| c != b'\n'))
}

/// A commit's facts from its raw object bytes (see `commit::parse`).
pub fn facts_of(id: Oid, data: &[u8]) -> Result<CommitFacts> {
    let c = crate::commit::parse(data)
        .map_err(|e| anyhow!("commit {id} cannot be read: {e} (check it with `git fsck`)"))?;
    Ok(CommitFacts {
        id: id.to_string(),
        message: crate::commit::decode_message(c.message, c.encoding),
        author: c.author,
        committer: c.committer,
        parent_count: c.parents.len(),
        time: c.time,
        changed_paths: None,
        approvals: Vec::new(),
        notes: Vec::new(),
        extra_evidence: Vec::new(),
        blast: None,
    })
}

/// A commit's trees (see `Repo::trees_of`).
struct Trees {
    new: Oid,
    old: Option<Oid>,
    parent_missing: bool,
}

/// Reads a commit object; a missing object or one of another type is an error that says how
/// to look further.
pub fn read_commit<'o>(odb: &'o git2::Odb<'_>, id: Oid) -> Result<git2::OdbObject<'o>> {
    let obj = odb.read(id).map_err(|e| {
        anyhow!(
            "commit {id} cannot be read: {} (a partial clone? check the repository with `git fsck`)",
            e.message()
        )
    })?;
    if obj.kind() != git2::ObjectType::Commit {
        bail!("{id} is a {}, not a commit", obj.kind().str());
    }
    Ok(obj)
}

/// A full object id (40 or 64 hex digits; git2 alone would take an abbreviation).
fn full_oid(hex: &str) -> Option<Oid> {
    Oid::from_str(hex)
        .ok()
        .filter(|_| hex.len() == 40 || hex.len() == 64)
}

/// A commit's parent ids from its parsed header.
pub fn parse_parents(id: Oid, h: &crate::commit::Header<'_>) -> Result<Vec<Oid>> {
    h.parents
        .iter()
        .map(|hex| {
            full_oid(hex).with_context(|| {
                format!("commit {id} has a bad parent line (check it with `git fsck`)")
            })
        })
        .collect()
}

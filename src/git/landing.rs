//! The git side of change-bound approvals: a change's paths key, the three-way merge of an
//! approved change onto the target as it is now (made in memory: nothing is written, so a
//! server hook never writes into git's quarantine), the files where a landing differs from
//! what was approved, and the people who wrote an approved change. `aigate_core::landing`
//! decides; this reads.

use super::repo::Repo;
use aigate_core::landing::{paths_key_text, Merged};
use anyhow::{Context, Result};
use git2::{ObjectType, Oid};

/// The most commits of an approved change read for its authors.
const MAX_CHANGE_COMMITS: usize = aigate_core::approvals::MAX_COMMITS;

/// The paths where trees `a` and `b` of `git` differ (at most `limit`; none if one is missing).
fn paths_differing(git: &git2::Repository, a: Oid, b: Oid, limit: usize) -> Result<Vec<String>> {
    let (Ok(ta), Ok(tb)) = (git.find_tree(a), git.find_tree(b)) else {
        return Ok(Vec::new());
    };
    let diff = git.diff_tree_to_tree(Some(&ta), Some(&tb), None)?;
    Ok(diff
        .deltas()
        .filter_map(|d| d.new_file().path().or(d.old_file().path()))
        .take(limit)
        .map(|p| p.to_string_lossy().into_owned())
        .collect())
}

impl Repo {
    /// A change's index key: the blob id of its sorted changed paths (`paths_key_text`).
    pub fn paths_key(&self, base: Option<Oid>, head: Oid) -> Result<String> {
        let paths = self.changed_paths_between(base, head)?;
        Ok(Oid::hash_object(ObjectType::Blob, &paths_key_text(&paths))?.to_string())
    }

    /// The three-way merge of (base, ours, theirs), in memory: its tree id, or the conflicts;
    /// with the paths where a clean merge differs from the tree `landed` (at most 10), read
    /// while the merged trees still exist.
    pub fn merge_in_memory(
        &self,
        base: Oid,
        ours: Oid,
        theirs: Oid,
        landed: Oid,
    ) -> Result<(Merged, Vec<String>)> {
        // A second handle whose object writes go to memory (libgit2's mempack backend, at a
        // priority above the disk): the merged trees are hashed, never stored.
        let r = self.reopen()?;
        let odb = r.git.odb()?;
        let _mem = odb.add_new_mempack_backend(1000)?;
        let tree = |c: Oid| -> Result<git2::Tree<'_>> {
            Ok(r.git
                .find_commit(c)
                .with_context(|| format!("commit {c} is not in this repository"))?
                .tree()?)
        };
        let (b, o, t) = (tree(base)?, tree(ours)?, tree(theirs)?);
        let mut index = r.git.merge_trees(&b, &o, &t, None)?;
        if index.has_conflicts() {
            let mut paths = Vec::new();
            for c in index.conflicts()?.flatten().take(50) {
                if let Some(e) = c.our.or(c.their).or(c.ancestor) {
                    paths.push(String::from_utf8_lossy(&e.path).into_owned());
                }
            }
            return Ok((Merged::Conflict(paths), Vec::new()));
        }
        let merged = index.write_tree_to(&r.git)?;
        let differs = if merged == landed {
            Vec::new()
        } else {
            paths_differing(&r.git, merged, landed, 10)?
        };
        Ok((Merged::Tree(merged.to_string()), differs))
    }

    /// The paths where two trees differ (at most `limit`).
    pub fn trees_differ(&self, a: Oid, b: Oid, limit: usize) -> Result<Vec<String>> {
        paths_differing(&self.git, a, b, limit)
    }

    /// The authors' and committers' emails of the commits of base..head (at most
    /// `MAX_CHANGE_COMMITS` commits read): the people who may not approve that change.
    pub fn change_people(&self, base: Oid, head: Oid) -> Result<Vec<String>> {
        let mut walk = self.git.revwalk()?;
        walk.push(head)?;
        walk.hide(base)?;
        let mut out: Vec<String> = Vec::new();
        for id in walk.take(MAX_CHANGE_COMMITS) {
            let c = self.git.find_commit(id?)?;
            for e in [c.author().email(), c.committer().email()]
                .into_iter()
                .flatten()
            {
                let e = e.to_string();
                if !out.contains(&e) {
                    out.push(e);
                }
            }
        }
        Ok(out)
    }
}

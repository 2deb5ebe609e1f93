//! Where signed approvals live in git: the ref `refs/aigate/approvals`, a history of commits
//! whose trees hold each approval record (statement + SSH signature) at
//! `<2 hex>/<commit id>/<record blob id>` for every commit it covers. It travels with
//! `git push` / `git fetch` like any ref and never changes an approved commit's id. The server
//! lets it only grow: no deletion, no rewrite, and every added record must verify.

use super::repo::Repo;
use anyhow::{bail, Context, Result};
use git2::{ObjectType, Oid};
use std::path::Path;

pub const REF: &str = "refs/aigate/approvals";
/// The most approval records read for one commit.
pub const MAX_PER_COMMIT: usize = 4096;

/// The directory of a change's approvals (by its paths key, `landing::paths_key_text`): a
/// landing finds the approvals of the change it brings here, whatever commit ids it has.
pub fn change_dir(key: &str) -> String {
    let k = key.to_ascii_lowercase();
    format!("changes/{}/{}", &k[..2.min(k.len())], k)
}

/// The directory of a commit's approvals inside the approvals tree.
pub fn dir_of(commit: &str) -> String {
    let c = commit.to_ascii_lowercase();
    format!("{}/{}", &c[..2.min(c.len())], c)
}

impl Repo {
    /// The current tip of the approvals ref, if any.
    pub fn approvals_tip(&self) -> Option<Oid> {
        self.git.refname_to_id(REF).ok()
    }

    /// The approval records stored for `commit` in the approvals tree at `tip`: (blob id, text).
    pub fn approval_records(&self, tip: Oid, commit: &str) -> Result<Vec<(Oid, String)>> {
        self.approval_record_ids(tip, commit)?
            .into_iter()
            .map(|id| Ok((id, self.approval_record_text(id)?)))
            .collect()
    }

    /// The blob ids of the approval records stored for `commit` at `tip` (read with
    /// `approval_record_text`).
    pub fn approval_record_ids(&self, tip: Oid, commit: &str) -> Result<Vec<Oid>> {
        self.approval_ids_in(tip, &dir_of(commit))
    }

    /// The blob ids of the approval records in one directory of the approvals tree at `tip`.
    pub fn approval_ids_in(&self, tip: Oid, dir: &str) -> Result<Vec<Oid>> {
        let commit = dir;
        let tree = self
            .git
            .find_commit(tip)
            .and_then(|c| c.tree())
            .with_context(|| format!("cannot read the approvals at {tip}"))?;
        let dir = match tree.get_path(Path::new(dir)) {
            Ok(e) => e,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Vec::new()),
            Err(e) => bail!("cannot read approvals of {commit}: {}", e.message()),
        };
        let Ok(sub) = self.git.find_tree(dir.id()) else {
            return Ok(Vec::new());
        };
        Ok(sub
            .iter()
            .take(MAX_PER_COMMIT)
            .filter(|e| e.kind() == Some(ObjectType::Blob))
            .map(|e| e.id())
            .collect())
    }

    /// One approval record's text (a record over the size limit reads as empty, and is not
    /// inflated: its size is read from the object's header first).
    pub fn approval_record_text(&self, blob: Oid) -> Result<String> {
        let (size, kind) = self.git.odb()?.read_header(blob)?;
        if kind != ObjectType::Blob || size > aigate_core::approvals::MAX_RECORD_BYTES {
            return Ok(String::new());
        }
        let b = self.git.find_blob(blob)?;
        Ok(String::from_utf8_lossy(b.content()).into_owned())
    }

    /// Adds one record on top of `base` (the current approvals, or none), stored under each of
    /// `dirs` (`dir_of` a commit it names, `change_dir` of its change), and returns the new
    /// approvals commit (the ref is not moved).
    pub fn add_approval(
        &self,
        base: Option<Oid>,
        dirs: &[String],
        record: &str,
        message: &str,
    ) -> Result<Oid> {
        let blob = self.git.blob(record.as_bytes())?;
        let base_commit = base.map(|b| self.git.find_commit(b)).transpose()?;
        let mut root = base_commit.as_ref().map(|c| c.tree()).transpose()?;
        for dir in dirs {
            let parts: Vec<&str> = dir.split('/').collect();
            let id = self.insert_at(root.as_ref(), &parts, blob)?;
            root = Some(self.git.find_tree(id)?);
        }
        let root = root.context("no commits to approve")?;
        let sig = self
            .git
            .signature()
            .or_else(|_| git2::Signature::now("aigate", "aigate@localhost"))?;
        let parents: Vec<&git2::Commit<'_>> = base_commit.iter().collect();
        Ok(self
            .git
            .commit(None, &sig, &sig, message, &root, &parents)?)
    }

    /// `tree` with the blob added under the directory `parts` (named by its own id).
    fn insert_at(&self, tree: Option<&git2::Tree<'_>>, parts: &[&str], blob: Oid) -> Result<Oid> {
        let mut b = self.git.treebuilder(tree)?;
        match parts.split_first() {
            None => {
                b.insert(blob.to_string(), blob, 0o100644)?;
            }
            Some((first, rest)) => {
                let sub = tree
                    .and_then(|t| t.get_name(first))
                    .and_then(|e| self.git.find_tree(e.id()).ok());
                let id = self.insert_at(sub.as_ref(), rest, blob)?;
                b.insert(first, id, 0o040000)?;
            }
        }
        Ok(b.write()?)
    }
}

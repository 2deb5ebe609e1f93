//! Editing `.aigate/exemptions.toml`: granting (appending a record with a fresh id) and
//! revoking (marking a record, which is kept). toml_edit keeps the file's comments and layout.

use crate::exemptions::{day_start, Record, Revocation};
use anyhow::{bail, Context, Result};
use std::path::Path;
use toml_edit::{value, Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table};

const HEADER: &str =
    "# aigate exemptions: compliance records that let a named unapproved tool through
# for a bounded scope and time. They apply from the governing branch only, once an owner
# granted them (`aigate exemption grant ID`) and owners approved the change to this file.
# Commits cite one with `AI-Exemption: ID` (or `git push -o aigate.exemption=ID`).
# Manage with `aigate exemption request|grant|list|show|revoke`.
";

fn load(path: &Path) -> Result<DocumentMut> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    text.parse::<DocumentMut>()
        .with_context(|| format!("{} is not valid TOML", path.display()))
}

fn save(path: &Path, doc: &DocumentMut) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, doc.to_string())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn array(v: &[String]) -> Item {
    let mut a = Array::new();
    for s in v {
        a.push(s.as_str());
    }
    value(a)
}

/// A fresh id: `EX-YYYYMMDD-xxxxxx`, the suffix hashed from the record and the time.
pub fn fresh_id(r: &Record, now_nanos: u128, taken: &[String]) -> String {
    use std::hash::{Hash, Hasher};
    let date = r.not_before.clone().unwrap_or_default().replace('-', "");
    let mut salt = 0u64;
    loop {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            &r.tools,
            &r.branches,
            &r.paths,
            &r.ticket,
            &r.reason,
            now_nanos,
            salt,
        )
            .hash(&mut h);
        let id = format!("EX-{date}-{:06x}", h.finish() & 0xff_ffff);
        if !taken.contains(&id) {
            return id;
        }
        salt += 1;
    }
}

fn ids(doc: &DocumentMut) -> Vec<String> {
    doc.get("exemption")
        .and_then(Item::as_array_of_tables)
        .map(|a| {
            a.iter()
                .filter_map(|t| t.get("id").and_then(Item::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Appends a record (its `id` is filled in here) and returns the id.
pub fn append(path: &Path, mut r: Record, now_nanos: u128) -> Result<String> {
    if day_start(&r.expires).is_none() {
        bail!("--expires `{}` is not a date (YYYY-MM-DD)", r.expires);
    }
    let mut doc = load(path)?;
    r.id = fresh_id(&r, now_nanos, &ids(&doc));
    let mut t = Table::new();
    t.insert("id", value(r.id.as_str()));
    t.insert("tools", array(&r.tools));
    t.insert("branches", array(&r.branches));
    t.insert("paths", array(&r.paths));
    if !r.authors.is_empty() {
        t.insert("authors", array(&r.authors));
    }
    t.insert("approved_by", value(r.approved_by.as_str()));
    t.insert("ticket", value(r.ticket.as_str()));
    t.insert("reason", value(r.reason.as_str()));
    if let Some(nb) = &r.not_before {
        t.insert("not_before", value(nb.as_str()));
    }
    t.insert("expires", value(r.expires.as_str()));
    match doc.get_mut("exemption") {
        Some(Item::ArrayOfTables(a)) => a.push(t),
        Some(_) => bail!(
            "{}: `exemption` must be an array of tables ([[exemption]])",
            path.display()
        ),
        None => {
            // A new file: the explanatory header goes before the first record.
            t.decor_mut().set_prefix(format!("{HEADER}\n"));
            let mut a = ArrayOfTables::new();
            a.push(t);
            doc.insert("exemption", Item::ArrayOfTables(a));
        }
    }
    save(path, &doc)?;
    Ok(r.id)
}

/// The record with this id (ids compare ignoring case).
fn record_mut<'d>(doc: &'d mut DocumentMut, path: &Path, id: &str) -> Result<&'d mut Table> {
    let Some(Item::ArrayOfTables(a)) = doc.get_mut("exemption") else {
        bail!("{} has no exemptions", path.display());
    };
    a.iter_mut()
        .find(|t| {
            t.get("id")
                .and_then(Item::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case(id))
        })
        .with_context(|| {
            format!(
                "no exemption `{id}` in {}; `aigate exemption list` shows them",
                path.display()
            )
        })
}

/// Marks a record revoked (by whom, when, why); the record stays for the audit trail.
pub fn revoke(path: &Path, id: &str, rv: &Revocation) -> Result<()> {
    let mut doc = load(path)?;
    let t = record_mut(&mut doc, path, id)?;
    if t.contains_key("revoked") {
        bail!("exemption `{id}` is already revoked");
    }
    let mut it = InlineTable::new();
    it.insert("by", rv.by.as_str().into());
    it.insert("at", rv.at.as_str().into());
    if let Some(reason) = &rv.reason {
        it.insert("reason", reason.as_str().into());
    }
    t.insert("revoked", value(it));
    save(path, &doc)
}

/// Writes an owner's grant (principal and signature) into a record.
pub fn grant(path: &Path, id: &str, by: &str, signature: &str) -> Result<()> {
    let mut doc = load(path)?;
    let t = record_mut(&mut doc, path, id)?;
    let mut g = Table::new();
    g.insert("by", value(by));
    g.insert("signature", value(signature.trim_end()));
    t.insert("grant", Item::Table(g));
    save(path, &doc)
}

//! Tree objects: the entries of a raw tree, and the files where two trees differ (what a
//! commit changed). Pure: the caller supplies a function that reads a tree's bytes, so the
//! comparison needs no git library and skips every subtree whose id is unchanged, as git does.

/// One entry of a tree object: `MODE SP NAME NUL ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub mode: u32,
    pub name: &'a [u8],
    pub id: &'a [u8],
}

impl Entry<'_> {
    pub fn is_tree(&self) -> bool {
        self.mode == 0o40000
    }
    /// A submodule: its id names a commit in another repository.
    pub fn is_gitlink(&self) -> bool {
        self.mode == 0o160000
    }
}

/// A tree object that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed tree object")]
pub struct BadTree;

/// The entries of a raw tree object, in stored order. `hash_len`: 20 (SHA-1) or 32 (SHA-256).
pub fn entries(mut data: &[u8], hash_len: usize) -> Result<Vec<Entry<'_>>, BadTree> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let sp = data.iter().position(|&b| b == b' ').ok_or(BadTree)?;
        let mode = std::str::from_utf8(&data[..sp])
            .ok()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
            .ok_or(BadTree)?;
        let rest = &data[sp + 1..];
        let nul = rest.iter().position(|&b| b == 0).ok_or(BadTree)?;
        let end = nul + 1 + hash_len;
        if rest.len() < end {
            return Err(BadTree);
        }
        out.push(Entry {
            mode,
            name: &rest[..nul],
            id: &rest[nul + 1..end],
        });
        data = &rest[end..];
    }
    Ok(out)
}

/// A file that differs between two trees: its path and its ids before and after (`None` when
/// absent). Submodules count as files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
    /// The old side is a submodule (no content to read).
    pub old_gitlink: bool,
}

/// The files that differ between tree `old` and tree `new` (ids as raw bytes; `None`: empty),
/// in git's order. `read(id)` returns a tree's raw bytes.
pub fn changes<E>(
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    hash_len: usize,
    read: &mut impl FnMut(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<Vec<Change>, E>
where
    E: From<BadTree>,
{
    let mut out = Vec::new();
    diff(old, new, hash_len, read, "", &mut out)?;
    Ok(out)
}

fn diff<E: From<BadTree>>(
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    hash_len: usize,
    read: &mut impl FnMut(&[u8]) -> Result<Vec<u8>, E>,
    prefix: &str,
    out: &mut Vec<Change>,
) -> Result<(), E> {
    if old == new {
        return Ok(());
    }
    let old_data = old.map(&mut *read).transpose()?;
    let new_data = new.map(&mut *read).transpose()?;
    let a = match &old_data {
        Some(d) => entries(d, hash_len)?,
        None => Vec::new(),
    };
    let b = match &new_data {
        Some(d) => entries(d, hash_len)?,
        None => Vec::new(),
    };
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let order = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => git_order(x, y),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (x, y) = match order {
            std::cmp::Ordering::Less => (a.get(i).copied(), None),
            std::cmp::Ordering::Greater => (None, b.get(j).copied()),
            std::cmp::Ordering::Equal => (a.get(i).copied(), b.get(j).copied()),
        };
        if x.is_some() {
            i += 1;
        }
        if y.is_some() {
            j += 1;
        }
        if let (Some(x), Some(y)) = (x, y) {
            if x.id == y.id && x.mode == y.mode {
                continue;
            }
        }
        let name = String::from_utf8_lossy(x.or(y).map(|e| e.name).unwrap_or_default());
        let path = format!("{prefix}{name}");
        let tree = |e: Option<Entry<'_>>| e.filter(Entry::is_tree).map(|e| e.id.to_vec());
        let (ta, tb) = (tree(x), tree(y));
        if ta.is_some() || tb.is_some() {
            diff(
                ta.as_deref(),
                tb.as_deref(),
                hash_len,
                read,
                &format!("{path}/"),
                out,
            )?;
        }
        let (fa, fb) = (x.filter(|e| !e.is_tree()), y.filter(|e| !e.is_tree()));
        if fa.is_some() || fb.is_some() {
            out.push(Change {
                path,
                old: fa.map(|e| e.id.to_vec()),
                new: fb.map(|e| e.id.to_vec()),
                old_gitlink: fa.is_some_and(|e| e.is_gitlink()),
            });
        }
    }
    Ok(())
}

/// git's tree order: names compared as bytes, a tree's name as if it ended in `/`. Within one
/// tree that order is strict, so a file and a directory of the same name are different entries.
fn git_order(x: &Entry<'_>, y: &Entry<'_>) -> std::cmp::Ordering {
    let key = |e: &Entry<'_>| -> u8 {
        if e.is_tree() {
            b'/'
        } else {
            0
        }
    };
    let n = x.name.len().min(y.name.len());
    match x.name[..n].cmp(&y.name[..n]) {
        std::cmp::Ordering::Equal => {}
        o => return o,
    }
    let cx = x.name.get(n).copied().unwrap_or_else(|| key(x));
    let cy = y.name.get(n).copied().unwrap_or_else(|| key(y));
    cx.cmp(&cy)
        .then_with(|| x.name.len().cmp(&y.name.len()))
        .then_with(|| key(x).cmp(&key(y)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn tree(items: &[(u32, &str, u8)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (mode, name, id) in items {
            out.extend_from_slice(format!("{mode:o} {name}\0").as_bytes());
            out.extend_from_slice(&[*id; 20]);
        }
        out
    }

    fn run(store: &HashMap<u8, Vec<u8>>, old: Option<u8>, new: Option<u8>) -> Vec<String> {
        let mut read =
            |id: &[u8]| -> Result<Vec<u8>, BadTree> { store.get(&id[0]).cloned().ok_or(BadTree) };
        let (o, n) = (old.map(|i| [i; 20]), new.map(|i| [i; 20]));
        changes(
            o.as_ref().map(|x| &x[..]),
            n.as_ref().map(|x| &x[..]),
            20,
            &mut read,
        )
        .unwrap()
        .into_iter()
        .map(|c| {
            format!(
                "{}{}{}",
                c.path,
                if c.old.is_none() { " +" } else { "" },
                if c.new.is_none() { " -" } else { "" }
            )
        })
        .collect()
    }

    #[test]
    fn reports_changed_added_and_deleted_files_in_git_order_skipping_equal_subtrees() {
        let mut s = HashMap::new();
        s.insert(10, tree(&[(0o100644, "a.rs", 1), (0o100644, "b.rs", 2)])); // src, old
        s.insert(11, tree(&[(0o100644, "a.rs", 3), (0o100644, "c.rs", 4)])); // src, new
        s.insert(20, tree(&[(0o100644, "x", 5)])); // docs, same on both sides
        s.insert(
            1,
            tree(&[
                (0o40000, "docs", 20),
                (0o100644, "gone", 6),
                (0o40000, "src", 10),
            ]),
        );
        s.insert(2, tree(&[(0o40000, "docs", 20), (0o40000, "src", 11)]));
        assert_eq!(
            run(&s, Some(1), Some(2)),
            ["gone -", "src/a.rs", "src/b.rs -", "src/c.rs +"]
        );
        assert_eq!(run(&s, None, Some(2)).len(), 3);
        assert!(run(&s, Some(2), Some(2)).is_empty());
    }

    #[test]
    fn a_file_replaced_by_a_directory_is_a_deletion_and_additions() {
        let mut s = HashMap::new();
        s.insert(30, tree(&[(0o100644, "inner", 7)]));
        s.insert(1, tree(&[(0o100644, "foo", 8), (0o100644, "foo.c", 9)]));
        s.insert(2, tree(&[(0o100644, "foo.c", 9), (0o40000, "foo", 30)]));
        assert_eq!(run(&s, Some(1), Some(2)), ["foo -", "foo/inner +"]);
    }

    #[test]
    fn a_truncated_tree_is_an_error_not_a_panic() {
        let t = tree(&[(0o100644, "a", 1)]);
        for cut in 0..t.len() {
            let _ = entries(&t[..cut], 20);
        }
        assert_eq!(entries(&t[..t.len() - 1], 20), Err(BadTree));
        assert_eq!(entries(b"zz a\0", 20), Err(BadTree));
    }
}

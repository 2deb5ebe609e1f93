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

/// The mode of a tree entry that is a directory.
const TREE_MODE: u32 = 0o40000;
/// The mode of a submodule: its id names a commit in another repository.
const GITLINK_MODE: u32 = 0o160000;

impl Entry<'_> {
    pub fn is_tree(&self) -> bool {
        self.mode == TREE_MODE
    }
}

/// A tree that cannot be compared: an object that does not parse, or nesting deeper than
/// `MAX_DEPTH`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadTree {
    #[error("malformed tree object")]
    Malformed,
    #[error("tree nested deeper than {MAX_DEPTH} levels (git's core.maxTreeDepth)")]
    TooDeep,
}

/// The entries of a raw tree object, in stored order. `hash_len`: 20 (SHA-1) or 32 (SHA-256).
pub fn entries(mut data: &[u8], hash_len: usize) -> Result<Vec<Entry<'_>>, BadTree> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let sp = data
            .iter()
            .position(|&b| b == b' ')
            .ok_or(BadTree::Malformed)?;
        let mode = std::str::from_utf8(&data[..sp])
            .ok()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
            .ok_or(BadTree::Malformed)?;
        let rest = &data[sp + 1..];
        let nul = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(BadTree::Malformed)?;
        let end = nul + 1 + hash_len;
        if rest.len() < end {
            return Err(BadTree::Malformed);
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

/// Trees nested deeper than this are refused (git's `core.maxTreeDepth` default): a hostile
/// tree cannot make the comparison deep or its paths long.
pub const MAX_DEPTH: usize = 4096;

/// The files that differ between tree `old` and tree `new` (ids as raw bytes; `None`: empty),
/// in git's order. `read(id)` returns a tree's raw bytes. Iterative: a deep tree costs heap,
/// not stack.
pub fn changes<E>(
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    hash_len: usize,
    read: &mut impl FnMut(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<Vec<Change>, E>
where
    E: From<BadTree>,
{
    /// One tree pair being compared: its entries (owned), where the merge stands, its path.
    struct Frame {
        a: Vec<Owned>,
        b: Vec<Owned>,
        i: usize,
        j: usize,
        prefix: String,
    }
    #[derive(Clone)]
    struct Owned {
        mode: u32,
        name: Vec<u8>,
        id: Vec<u8>,
    }
    let load = |id: Option<&[u8]>,
                read: &mut dyn FnMut(&[u8]) -> Result<Vec<u8>, E>|
     -> Result<Vec<Owned>, E> {
        let Some(id) = id else { return Ok(Vec::new()) };
        let data = read(id)?;
        Ok(entries(&data, hash_len)?
            .into_iter()
            .map(|e| Owned {
                mode: e.mode,
                name: e.name.to_vec(),
                id: e.id.to_vec(),
            })
            .collect())
    };
    let mut out = Vec::new();
    if old == new {
        return Ok(out);
    }
    let mut stack = vec![Frame {
        a: load(old, read)?,
        b: load(new, read)?,
        i: 0,
        j: 0,
        prefix: String::new(),
    }];
    while let Some(f) = stack.last_mut() {
        if f.i >= f.a.len() && f.j >= f.b.len() {
            stack.pop();
            continue;
        }
        fn view(o: &Owned) -> Entry<'_> {
            Entry {
                mode: o.mode,
                name: &o.name,
                id: &o.id,
            }
        }
        let order = match (f.a.get(f.i), f.b.get(f.j)) {
            (Some(x), Some(y)) => git_order(&view(x), &view(y)),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (x, y) = match order {
            std::cmp::Ordering::Less => (f.a.get(f.i).cloned(), None),
            std::cmp::Ordering::Greater => (None, f.b.get(f.j).cloned()),
            std::cmp::Ordering::Equal => (f.a.get(f.i).cloned(), f.b.get(f.j).cloned()),
        };
        if x.is_some() {
            f.i += 1;
        }
        if y.is_some() {
            f.j += 1;
        }
        if let (Some(x), Some(y)) = (&x, &y) {
            if x.id == y.id && x.mode == y.mode {
                continue;
            }
        }
        let name = String::from_utf8_lossy(
            x.as_ref()
                .or(y.as_ref())
                .map(|e| e.name.as_slice())
                .unwrap_or_default(),
        );
        let path = format!("{}{name}", f.prefix);
        let is_tree = |e: &Option<Owned>| {
            e.as_ref()
                .filter(|e| e.mode == TREE_MODE)
                .map(|e| e.id.clone())
        };
        let (ta, tb) = (is_tree(&x), is_tree(&y));
        let file = |e: &Option<Owned>| e.clone().filter(|e| e.mode != TREE_MODE);
        let (fa, fb) = (file(&x), file(&y));
        if fa.is_some() || fb.is_some() {
            out.push(Change {
                path: path.clone(),
                old: fa.as_ref().map(|e| e.id.clone()),
                new: fb.as_ref().map(|e| e.id.clone()),
                old_gitlink: fa.as_ref().is_some_and(|e| e.mode == GITLINK_MODE),
            });
        }
        if ta.is_some() || tb.is_some() {
            if stack.len() >= MAX_DEPTH {
                return Err(BadTree::TooDeep.into());
            }
            let frame = Frame {
                a: load(ta.as_deref(), read)?,
                b: load(tb.as_deref(), read)?,
                i: 0,
                j: 0,
                prefix: format!("{path}/"),
            };
            stack.push(frame);
        }
    }
    Ok(out)
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
        let mut read = |id: &[u8]| -> Result<Vec<u8>, BadTree> {
            store.get(&id[0]).cloned().ok_or(BadTree::Malformed)
        };
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
        assert_eq!(entries(&t[..t.len() - 1], 20), Err(BadTree::Malformed));
        assert_eq!(entries(b"zz a\0", 20), Err(BadTree::Malformed));
    }
}

#[cfg(test)]
mod depth_tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_tree_nested_ten_thousand_levels_is_refused_without_overflowing_the_stack() {
        // Tree k holds one subtree `d` pointing to tree k+1; the old side is empty.
        let n: u32 = 10_000;
        let id = |k: u32| {
            let mut v = vec![0u8; 20];
            v[..4].copy_from_slice(&k.to_be_bytes());
            v
        };
        let store: HashMap<Vec<u8>, Vec<u8>> = (0..n)
            .map(|k| {
                let mut t = b"40000 d\0".to_vec();
                t.extend(id(k + 1));
                if k == n - 1 {
                    t = b"100644 f\0".to_vec();
                    t.extend(id(n + 1));
                }
                (id(k), t)
            })
            .collect();
        let mut read = |i: &[u8]| store.get(i).cloned().ok_or(BadTree::Malformed);
        let r = changes(None, Some(&id(0)), 20, &mut read);
        assert_eq!(r, Err(BadTree::TooDeep));
    }
}

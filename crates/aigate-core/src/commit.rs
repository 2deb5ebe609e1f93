//! A raw commit object's bytes → what aigate reads of it: parents, author, committer, committer
//! time, encoding and message. Pure (no git library), so the server hook, the audit and the
//! history walk read a commit once and interpret it the same way.
//!
//! Where git and libgit2 differ, the choices are: parents are the `parent` lines directly after
//! `tree` (as git reads them; a graft or replace ref plays no part), author and committer are the
//! first header lines of that name, an identity is split as git's `split_ident_line` splits it
//! (the name up to the first `<`, the email from there to the next `>`, the time after the last
//! `>`: `Copilot <…> <ann@…>` is Copilot, as `git log` shows it), and the message ends at the first NUL byte (both git and libgit2 read it as a C
//! string, so text after a NUL is invisible to them and must be to aigate).

use crate::identity::Identity;

/// A parsed commit header and message, borrowing from the object's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCommit<'a> {
    /// The tree id as hex text, when the object starts with a `tree` line.
    pub tree: Option<&'a str>,
    /// Parent ids as hex text, in order.
    pub parents: Vec<&'a str>,
    pub author: Identity,
    pub committer: Identity,
    /// Committer time in seconds since the epoch (0 when absent or unreadable).
    pub time: i64,
    /// The `encoding` header, if any.
    pub encoding: Option<&'a str>,
    /// The message: everything after the blank line that ends the header, up to a NUL.
    pub message: &'a [u8],
}

/// The header lines aigate reads, as slices of the object (no identity is decoded): what a
/// history walk needs for every commit, cheaply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    pub tree: Option<&'a str>,
    pub parents: Vec<&'a str>,
    author: Option<&'a [u8]>,
    committer: Option<&'a [u8]>,
    encoding: Option<&'a str>,
    message: &'a [u8],
}

impl Header<'_> {
    /// Committer time in seconds since the epoch (0 when absent or unreadable).
    pub fn time(&self) -> i64 {
        self.committer.and_then(signature_time).unwrap_or(0)
    }
}

/// Why a commit object cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitError {
    #[error("it has no {0} header")]
    Missing(&'static str),
    #[error("its {0} header has no `Name <email>`")]
    Malformed(&'static str),
}

/// Reads a commit object's header lines and message (the bytes after git's
/// `commit <size>\0` prefix).
pub fn header(data: &[u8]) -> Header<'_> {
    let data = match memchr::memchr(0, data) {
        Some(nul) => &data[..nul],
        None => data,
    };
    let (head, message) = split_header(data);
    let mut lines = head.split(|&b| b == b'\n').peekable();
    let tree = lines
        .peek()
        .and_then(|l| l.strip_prefix(b"tree "))
        .and_then(text);
    let mut parents = Vec::new();
    if tree.is_some() {
        lines.next();
        while let Some(hex) = lines.peek().and_then(|l| l.strip_prefix(b"parent ")) {
            parents.extend(text(hex));
            lines.next();
        }
    }
    let mut h = Header {
        tree,
        parents,
        author: None,
        committer: None,
        encoding: None,
        message,
    };
    for line in lines {
        if let (None, Some(v)) = (h.author, line.strip_prefix(b"author ")) {
            h.author = Some(v);
        } else if let (None, Some(v)) = (h.committer, line.strip_prefix(b"committer ")) {
            h.committer = Some(v);
        } else if let (None, Some(v)) = (h.encoding, line.strip_prefix(b"encoding ")) {
            h.encoding = text(v);
        }
    }
    h
}

/// Parses a commit object's content: `header` plus the author and committer identities.
pub fn parse(data: &[u8]) -> Result<RawCommit<'_>, CommitError> {
    let h = header(data);
    let (author, _) = signature(h.author.ok_or(CommitError::Missing("author"))?)
        .ok_or(CommitError::Malformed("author"))?;
    let (committer, time) = signature(h.committer.ok_or(CommitError::Missing("committer"))?)
        .ok_or(CommitError::Malformed("committer"))?;
    Ok(RawCommit {
        tree: h.tree,
        parents: h.parents,
        author,
        committer,
        time,
        encoding: h.encoding,
        message: h.message,
    })
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

fn text(b: &[u8]) -> Option<&str> {
    std::str::from_utf8(b).ok()
}

/// Header lines and message: the header ends at the first empty line.
fn split_header(data: &[u8]) -> (&[u8], &[u8]) {
    if data.first() == Some(&b'\n') {
        return (&[], &data[1..]);
    }
    match memchr::memmem::find(data, b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data.strip_suffix(b"\n").unwrap_or(data), &[]),
    }
}

/// Where a signature's email starts and ends, as git's `split_ident_line` finds them: the first
/// `<`, and the first `>` after it. `None` without `<...>`.
fn angles(line: &[u8]) -> Option<(usize, usize)> {
    let open = memchr::memchr(b'<', line)?;
    let close = memchr::memchr(b'>', &line[open..])? + open;
    Some((open, close))
}

/// The time of a signature (0 when unreadable): after the last `>`, as git reads it; `None`
/// without `<...>`.
fn signature_time(line: &[u8]) -> Option<i64> {
    angles(line)?;
    let close = memchr::memrchr(b'>', line)?;
    Some(
        std::str::from_utf8(&line[close + 1..])
            .ok()
            .and_then(|rest| rest.split_ascii_whitespace().next())
            .and_then(|t| t.parse::<i64>().ok())
            .unwrap_or(0),
    )
}

/// `Name <email> 1700000000 +0000` → identity and time. `None` without `<...>`.
fn signature(line: &[u8]) -> Option<(Identity, i64)> {
    let (open, close) = angles(line)?;
    let text = |b: &[u8]| String::from_utf8_lossy(b.trim_ascii()).into_owned();
    let time = signature_time(line).unwrap_or(0);
    Some((
        Identity {
            name: text(&line[..open]),
            email: text(&line[open + 1..close]),
        },
        time,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
        parent 1111111111111111111111111111111111111111\n\
        parent 2222222222222222222222222222222222222222\n\
        author Ann Author <ann@example.com> 1700000000 +0100\n\
        committer  Cy Committer  < cy@example.com > 1700000500 -0700\n";

    #[test]
    fn reads_parents_people_time_and_message() {
        let raw = format!("{HEAD}\nfeat: x\n\nbody\n");
        let c = parse(raw.as_bytes()).unwrap();
        assert_eq!(c.parents.len(), 2);
        assert!(c.parents[1].starts_with("2222"));
        assert_eq!(c.author, Identity::new("Ann Author", "ann@example.com"));
        assert_eq!(c.committer, Identity::new("Cy Committer", "cy@example.com"));
        assert_eq!(c.time, 1_700_000_500);
        assert_eq!(c.message, b"feat: x\n\nbody\n");
        assert_eq!(c.encoding, None);
    }

    #[test]
    fn message_ends_at_a_nul_byte() {
        let raw = format!("{HEAD}\nfeat: x\n\nA: b\n\0Reviewed-by: R <r@example.com>\n");
        assert_eq!(parse(raw.as_bytes()).unwrap().message, b"feat: x\n\nA: b\n");
    }

    #[test]
    fn continuation_lines_and_later_parent_lines_are_not_headers() {
        let raw = format!(
            "{HEAD}encoding ISO-8859-1\ngpgsig -----BEGIN-----\n author Evil <e@x.com> 1 +0000\n \
             -----END-----\nparent 3333333333333333333333333333333333333333\n\nmsg\n"
        );
        let c = parse(raw.as_bytes()).unwrap();
        assert_eq!(c.author.email, "ann@example.com");
        assert_eq!(c.parents.len(), 2);
        assert_eq!(c.encoding, Some("ISO-8859-1"));
    }

    #[test]
    fn an_ident_with_two_addresses_is_read_as_git_reads_it() {
        let raw =
            "tree t\nauthor A <a@x.com> <b@y.com> 5 +0000\ncommitter C <c@x.com> 6 +0000\n\nm";
        let c = parse(raw.as_bytes()).unwrap();
        assert_eq!(c.author, Identity::new("A", "a@x.com"));
        let raw = "tree t\nauthor A <a<b@x.com>> 5 +0000\ncommitter C <c@x.com> 6 +0000\n\nm";
        assert_eq!(parse(raw.as_bytes()).unwrap().author.email, "a<b@x.com");
    }

    #[test]
    fn missing_or_malformed_people_are_errors() {
        let no_author = "tree t\ncommitter C <c@x.com> 6 +0000\n\nm";
        assert_eq!(
            parse(no_author.as_bytes()),
            Err(CommitError::Missing("author"))
        );
        let bad = "tree t\nauthor nobody 5 +0000\ncommitter C <c@x.com> 6 +0000\n\nm";
        assert_eq!(parse(bad.as_bytes()), Err(CommitError::Malformed("author")));
        // Parents are still found for the walk, and the time is unknown.
        let h = header(b"tree t\nparent abc\nauthor x\n\nm");
        assert_eq!(
            (h.tree, h.parents.clone(), h.time()),
            (Some("t"), vec!["abc"], 0)
        );
    }

    #[test]
    fn a_header_without_a_message_has_an_empty_message() {
        let raw = "tree t\nauthor A <a@x.com> 5 +0000\ncommitter C <c@x.com> 6 +0000\n";
        let c = parse(raw.as_bytes()).unwrap();
        assert_eq!(c.message, b"");
        assert_eq!(c.time, 6);
    }
}

//! Trailers, found exactly as git finds them.
//!
//! A pure port of git's `trailer.c` (`trailer_info_get`, `find_trailer_block_start`,
//! `find_separator`, `unfold_value`), `commit.c` (`ignored_log_message_bytes`) and
//! `wt-status.c` (`wt_status_locate_end`), as described in `spec/git-trailers.md`. It works
//! on bytes like git does; keys and values come out as (lossy) UTF-8 strings. A trailer git
//! would not show is not returned here, and one it would show is never missed.

/// How trailers are recognised: git's `core.commentChar`, `trailer.separators` and
/// `trailer.<alias>.key` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailerConfig {
    /// The comment prefix (`core.commentChar` / `core.commentString`); `auto` means `#`.
    pub comment: String,
    /// The separator bytes; the first one is used when printing.
    pub separators: String,
    /// Configured trailers: `(alias, key)` from `trailer.<alias>.key` (key may be absent).
    pub aliases: Vec<(String, Option<String>)>,
    /// Stop at a `---` patch divider (`interpret-trailers` without `--no-divider`).
    /// Stored commit messages are always read without it.
    pub divider: bool,
}

impl Default for TrailerConfig {
    fn default() -> Self {
        TrailerConfig {
            comment: "#".into(),
            separators: ":".into(),
            aliases: Vec::new(),
            divider: false,
        }
    }
}

impl TrailerConfig {
    /// Sets the comment prefix from a `core.commentChar`/`core.commentString` value.
    pub fn with_comment(mut self, value: &str) -> Self {
        self.comment = if value.is_empty() || value == "auto" {
            "#".into()
        } else {
            value.into()
        };
        self
    }
}

/// One `key: value` trailer, unfolded, as `git interpret-trailers --parse` prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Trailer {
    pub key: String,
    pub value: String,
}

impl Trailer {
    /// Whether the key equals `key`, ignoring ASCII case (every git comparison is so).
    pub fn is(&self, key: &str) -> bool {
        self.key.eq_ignore_ascii_case(key)
    }
}

impl std::fmt::Display for Trailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.value)
    }
}

const CUT_LINE: &[u8] = b"------------------------ >8 ------------------------";
const GIT_GENERATED_PREFIXES: [&[u8]; 2] = [b"Signed-off-by: ", b"(cherry picked from commit "];

/// git's `isspace`: SP, TAB, LF, CR (not VT or FF).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Parses the trailers of `message` (raw bytes: comments, scissors and all).
pub fn parse(message: &[u8], cfg: &TrailerConfig) -> Vec<Trailer> {
    // git works on C strings: a NUL ends the message.
    let message = match memchr::memchr(0, message) {
        Some(n) => &message[..n],
        None => message,
    };
    let mut owned;
    let buf: &[u8] = if message.last().is_some_and(|&b| b != b'\n') {
        owned = Vec::with_capacity(message.len() + 1);
        owned.extend_from_slice(message);
        owned.push(b'\n');
        &owned
    } else {
        message
    };
    let comment = cfg.comment.as_bytes();
    let seps = cfg.separators.as_bytes();
    let end = end_of_log_message(buf, comment, cfg.divider);
    let start = trailer_block_start(buf, end, comment, seps, &cfg.aliases);

    // Split the block into items, joining continuation lines (trailer_info_get).
    let mut items: Vec<Vec<u8>> = Vec::new();
    let mut last_has_sep = false;
    for line in split_lines_keep(&buf[start..end]) {
        if last_has_sep && is_space(line[0]) {
            if let Some(last) = items.last_mut() {
                last.extend_from_slice(line);
            }
            continue;
        }
        last_has_sep = find_separator(line, seps).is_some_and(|p| p >= 1);
        items.push(line.to_vec());
    }

    let mut out = Vec::new();
    for item in &items {
        if item.starts_with(comment) {
            continue;
        }
        let Some(pos) = find_separator(item, seps).filter(|&p| p >= 1) else {
            continue;
        };
        let key = trim(&item[..pos]);
        let value = unfold(trim(&item[pos + 1..]));
        let key = resolve_alias(key, &cfg.aliases);
        out.push(Trailer {
            key: String::from_utf8_lossy(&key).into_owned(),
            value: String::from_utf8_lossy(&value).into_owned(),
        });
    }
    out
}

/// The message as git will store it from an edited message file: cut where a whole scissors
/// line is (the same rule `parse` follows), comment lines dropped.
pub fn cleanup(text: &str, comment: &str) -> String {
    let cut = scissors_end(text.as_bytes(), text.len(), comment.as_bytes());
    text[..cut]
        .split_inclusive('\n')
        .filter(|l| comment.is_empty() || !l.starts_with(comment))
        .collect()
}

/// Parses a message given as text.
pub fn parse_str(message: &str, cfg: &TrailerConfig) -> Vec<Trailer> {
    parse(message.as_bytes(), cfg)
}

/// Lines of `s`, each with its `\n` (the last may lack one), like `strbuf_split_buf`.
fn split_lines_keep(s: &[u8]) -> impl Iterator<Item = &[u8]> {
    s.split_inclusive(|&b| b == b'\n')
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_space(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |p| p + 1);
    &s[start..end.max(start)]
}

/// `unfold_value`: each newline and the whitespace after it become one space.
fn unfold(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        i += 1;
        if c == b'\n' {
            while i < v.len() && is_space(v[i]) {
                i += 1;
            }
            out.push(b' ');
        } else {
            out.push(c);
        }
    }
    trim(&out).to_vec()
}

/// `token_len_without_separator`: the token with trailing whitespace removed.
fn token_len(tok: &[u8]) -> usize {
    tok.iter().rposition(|&b| !is_space(b)).map_or(0, |p| p + 1)
}

/// `token_matches_item`: the token is a case-insensitive prefix of the alias or its key.
fn token_matches(tok: &[u8], alias: &str, key: Option<&str>) -> bool {
    let len = token_len(tok);
    let prefix_of = |name: &str| {
        let name = name.as_bytes();
        name.len() >= len && name[..len].eq_ignore_ascii_case(&tok[..len])
    };
    prefix_of(alias) || key.is_some_and(prefix_of)
}

fn resolve_alias(key: &[u8], aliases: &[(String, Option<String>)]) -> Vec<u8> {
    for (alias, k) in aliases {
        if token_matches(key, alias, k.as_deref()) {
            return match k {
                Some(k) => k.as_bytes().to_vec(),
                None => key.to_vec(),
            };
        }
    }
    key.to_vec()
}

/// `find_separator`: index of the separator if the line starts with a trailer key.
fn find_separator(line: &[u8], seps: &[u8]) -> Option<usize> {
    let mut whitespace_found = false;
    for (i, &c) in line.iter().enumerate() {
        if seps.contains(&c) {
            return Some(i);
        }
        if !whitespace_found && (c.is_ascii_alphanumeric() || c == b'-') {
            continue;
        }
        if i != 0 && (c == b' ' || c == b'\t') {
            whitespace_found = true;
            continue;
        }
        break;
    }
    None
}

/// `is_blank_line`: only whitespace up to the newline (or the end).
fn is_blank_line(s: &[u8]) -> bool {
    for &c in s {
        if c == b'\n' {
            return true;
        }
        if !is_space(c) {
            return false;
        }
    }
    true
}

/// `next_line`: offset just after the newline at or after `at`, or the end.
fn next_line(buf: &[u8], at: usize) -> usize {
    match buf[at..].iter().position(|&b| b == b'\n') {
        Some(p) => at + p + 1,
        None => buf.len(),
    }
}

/// `last_line`: start of the last line of `buf[..len]`, ignoring a final newline.
fn last_line(buf: &[u8], len: usize) -> Option<usize> {
    match len {
        0 => None,
        1 => Some(0),
        _ => Some(
            buf[..len - 1]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1),
        ),
    }
}

/// `wt_status_locate_end`: where a scissors line cuts the message. As in git (2.47), only a
/// whole scissors line cuts: one with anything after it (a space, CR, text) is an ordinary
/// comment line.
fn scissors_end(buf: &[u8], len: usize, comment: &[u8]) -> usize {
    let mut pattern = Vec::with_capacity(comment.len() + CUT_LINE.len() + 2);
    pattern.push(b'\n');
    pattern.extend_from_slice(comment);
    pattern.push(b' ');
    pattern.extend_from_slice(CUT_LINE);
    let whole_line_at = |end: usize| end == buf.len() || buf[end] == b'\n';
    if buf.starts_with(&pattern[1..]) && whole_line_at(pattern.len() - 1) {
        return 0;
    }
    let mut from = 0;
    while let Some(p) = find_sub(&buf[from..], &pattern) {
        let at = from + p;
        if whole_line_at(at + pattern.len()) {
            return len.min(at + 1);
        }
        from = at + 1;
    }
    len
}

fn find_sub(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    memchr::memmem::find(hay, needle)
}

/// `ignored_log_message_bytes`: trailing comments, blank lines and a `Conflicts:` block.
fn ignored_bytes(buf: &[u8], len: usize, comment: &[u8]) -> usize {
    let mut boc = 0usize;
    let mut bol = 0usize;
    let mut in_conflicts = false;
    let cutoff = scissors_end(buf, len, comment);
    while bol < cutoff {
        let next = match buf[bol..cutoff].iter().position(|&b| b == b'\n') {
            Some(p) => bol + p + 1,
            None => cutoff,
        };
        if buf[bol..cutoff].starts_with(comment) || buf[bol] == b'\n' {
            if boc == 0 {
                boc = bol;
            }
        } else if buf[bol..].starts_with(b"Conflicts:\n") {
            in_conflicts = true;
            if boc == 0 {
                boc = bol;
            }
        } else if in_conflicts && buf[bol] == b'\t' {
            // a path in the conflicts block
        } else if boc != 0 {
            boc = 0;
            in_conflicts = false;
        }
        bol = next;
    }
    if boc != 0 {
        len - boc
    } else {
        len - cutoff
    }
}

/// `find_end_of_log_message`.
fn end_of_log_message(buf: &[u8], comment: &[u8], divider: bool) -> usize {
    let mut end = buf.len();
    if divider {
        let mut s = 0;
        while s < buf.len() {
            let line = &buf[s..];
            if line.starts_with(b"---") && line.get(3).is_some_and(|&c| is_space(c)) {
                end = s;
                break;
            }
            s = next_line(buf, s);
        }
    }
    end - ignored_bytes(buf, end, comment)
}

/// `find_trailer_block_start`: where the trailer block begins, or `len` for none.
fn trailer_block_start(
    buf: &[u8],
    len: usize,
    comment: &[u8],
    seps: &[u8],
    aliases: &[(String, Option<String>)],
) -> usize {
    // The first paragraph is the title and cannot be trailers.
    let mut s = 0;
    while s < len {
        if buf[s..len].starts_with(comment) {
            s = next_line(buf, s);
            continue;
        }
        if is_blank_line(&buf[s..]) {
            break;
        }
        s = next_line(buf, s);
    }
    let end_of_title = s;

    let mut only_spaces = true;
    let mut recognized = false;
    let (mut trailers, mut non_trailers, mut continuations) = (0usize, 0usize, 0usize);
    let mut l = last_line(buf, len);
    while let Some(bol) = l.filter(|&l| l >= end_of_title) {
        l = last_line(buf, bol);
        let line = &buf[bol..];
        if buf[bol..len].starts_with(comment) {
            non_trailers += continuations;
            continuations = 0;
            continue;
        }
        if is_blank_line(line) {
            if only_spaces {
                continue;
            }
            non_trailers += continuations;
            if (recognized && trailers * 3 >= non_trailers) || (trailers > 0 && non_trailers == 0) {
                return next_line(buf, bol);
            }
            return len;
        }
        only_spaces = false;
        if GIT_GENERATED_PREFIXES.iter().any(|p| line.starts_with(p)) {
            trailers += 1;
            continuations = 0;
            recognized = true;
            continue;
        }
        let sep = find_separator(line, seps);
        if let Some(pos) = sep.filter(|&p| p >= 1 && !is_space(line[0])) {
            trailers += 1;
            continuations = 0;
            if !recognized {
                recognized = aliases
                    .iter()
                    .any(|(a, k)| token_matches(&line[..pos], a, k.as_deref()));
            }
        } else if is_space(line[0]) {
            continuations += 1;
        } else {
            non_trailers += 1 + continuations;
            continuations = 0;
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(msg: &str) -> Vec<String> {
        parse_str(msg, &TrailerConfig::default())
            .iter()
            .map(|t| t.to_string())
            .collect()
    }

    #[test]
    fn cleanup_cuts_where_parse_cuts_and_drops_comments() {
        let cut = "# ------------------------ >8 ------------------------";
        assert_eq!(cleanup(&format!("t\n# c\nb\n{cut}\ndiff\n"), "#"), "t\nb\n");
        // A scissors line with anything after it is an ordinary comment line, as for `parse`.
        assert_eq!(cleanup(&format!("t\n{cut}\r\nb\n"), "#"), "t\nb\n");
        assert_eq!(cleanup("t\nb\n", ""), "t\nb\n");
    }

    #[test]
    fn title_alone_has_no_trailers() {
        assert!(kv("Fixes: x").is_empty());
        assert!(kv("Fixes: x\n").is_empty());
    }

    #[test]
    fn plain_trailer_block_is_found() {
        assert_eq!(
            kv("t\n\nFixes: x\nAcked-by: y\n"),
            ["Fixes: x", "Acked-by: y"]
        );
    }

    #[test]
    fn reviewed_by_in_a_body_paragraph_is_prose() {
        assert!(
            kv("t\n\nReviewed-by: A <a@x>\nbut it was not reviewed.\n\nmore prose\n").is_empty()
        );
    }

    #[test]
    fn twenty_five_percent_rule_needs_a_git_prefix() {
        assert_eq!(kv("t\n\na\nb\nc\nSigned-off-by: x\n").len(), 1);
        assert!(kv("t\n\na\nb\nc\nd\nSigned-off-by: x\n").is_empty());
        assert!(kv("t\n\nA: 1\nB: 2\nC: 3\nprose\n").is_empty());
    }

    #[test]
    fn continuation_lines_unfold() {
        assert_eq!(kv("t\n\nKey: a\n  b\n\tc\n"), ["Key: a b c"]);
    }

    #[test]
    fn separator_rules_follow_git() {
        assert_eq!(kv("t\n\nFixes  : x\n"), ["Fixes: x"]);
        assert!(kv("t\n\nFoo Bar: x\n").is_empty());
        assert!(kv("t\n\nFoo_Bar: x\n").is_empty());
        assert_eq!(kv("t\n\nFixes: a: b\n"), ["Fixes: a: b"]);
    }

    #[test]
    fn comments_and_scissors_are_ignored() {
        let msg = "t\n\nReviewed-by: A <a@x>\n# comment\n# ------------------------ >8 ------------------------\nX: y\n";
        assert_eq!(kv(msg), ["Reviewed-by: A <a@x>"]);
    }

    #[test]
    fn conflicts_block_is_ignored() {
        let msg = "t\n\nAcked-by: a\n\nConflicts:\n\tfile.c\n";
        assert_eq!(kv(msg), ["Acked-by: a"]);
    }

    #[test]
    fn divider_only_when_asked() {
        let msg = "t\n\nbody\n--- \n\nA: b\n";
        assert_eq!(kv(msg), ["A: b"]);
        let cfg = TrailerConfig {
            divider: true,
            ..Default::default()
        };
        assert!(parse_str(msg, &cfg).is_empty());
    }

    #[test]
    fn aliases_rewrite_keys_and_count_as_recognised() {
        let cfg = TrailerConfig {
            aliases: vec![("rev".into(), Some("Reviewed-by".into()))],
            ..Default::default()
        };
        let got = parse_str("t\n\na\nb\nrev: X <x@y>\n", &cfg);
        assert_eq!(
            got,
            vec![Trailer {
                key: "Reviewed-by".into(),
                value: "X <x@y>".into()
            }]
        );
    }

    #[test]
    fn nul_ends_the_message_and_invalid_utf8_does_not_panic() {
        assert_eq!(
            parse(b"t\n\nA: b\n\0C: d\n", &TrailerConfig::default()).len(),
            1
        );
        assert_eq!(
            parse(b"t\n\nA: \xff\xfe\n", &TrailerConfig::default())[0].value,
            "\u{fffd}\u{fffd}"
        );
    }
}

// Literal pre-checks for catalog regexes: what a pattern's matches must start with, end with
// and contain, found from the pattern text alone. Shared with build.rs (`include!`), which
// stores the results in the embedded catalog so that no process pays for the analysis; hence
// plain `//` comments and no `use` of the crate here.

/// Literals that every match of `p` contains: the runs of plain characters at the top level of
/// a pattern without top-level alternation (a character before a quantifier does not count).
/// A leading `(?i)` makes them ASCII case-insensitive; any other flag, or anything unsure,
/// gives `None` (which only costs the pre-check).
pub fn required_literals(p: &str) -> Option<(Vec<String>, bool)> {
    let (body, fold) = match p.strip_prefix("(?i)") {
        Some(rest) => (rest, true),
        None => (p, false),
    };
    if body.contains("(?") || has_escape_with_argument(body) {
        return None;
    }
    let mut runs: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut class = false;
    let mut chars = body.chars().peekable();
    let flush = |cur: &mut String, runs: &mut Vec<String>| {
        if !cur.is_empty() {
            runs.push(std::mem::take(cur));
        }
    };
    while let Some(c) = chars.next() {
        if class {
            match c {
                '\\' => {
                    chars.next();
                }
                // A nested class (`[[:alpha:]]`, `[a-z&&[^x]]`): unsure where it ends.
                '[' => return None,
                ']' => class = false,
                _ => {}
            }
            continue;
        }
        let lit = match c {
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_punctuation() => Some(e),
                _ => None,
            },
            '[' => {
                // `[]...]` and `[^]...]` hold a literal `]`: unsure where they end.
                let mut ahead = chars.clone();
                if ahead.peek() == Some(&'^') {
                    ahead.next();
                }
                if ahead.peek() == Some(&']') {
                    return None;
                }
                class = true;
                None
            }
            '(' => {
                depth += 1;
                None
            }
            ')' => {
                depth -= 1;
                None
            }
            '|' if depth <= 0 => return None,
            '|' | '.' | '^' | '$' => None,
            '*' | '+' | '?' | '{' => {
                // The character before a quantifier may be absent or repeated.
                cur.pop();
                if c == '{' {
                    for n in chars.by_ref() {
                        if n == '}' {
                            break;
                        }
                    }
                }
                flush(&mut cur, &mut runs);
                continue;
            }
            c => Some(c),
        };
        match lit {
            Some(ch) if depth == 0 && !(fold && !ch.is_ascii()) => cur.push(ch),
            _ => flush(&mut cur, &mut runs),
        }
    }
    // A trailing quantifier on a group makes nothing after it optional; runs are at depth 0.
    flush(&mut cur, &mut runs);
    let runs: Vec<String> = runs
        .into_iter()
        .filter(|r| r.len() >= 3)
        .map(|r| if fold { r.to_ascii_lowercase() } else { r })
        .collect();
    (!runs.is_empty()).then_some((runs, fold))
}

/// The literal a pattern must start with (after `^`) and end with (before `$`), when that is
/// plain: no flags, no alternation outside groups, no quantifier on the literal's edge.
/// `None` whenever unsure, which only costs the pre-check.
pub fn anchored_literals(p: &str) -> (Option<String>, Option<String>) {
    if has_escape_with_argument(p) {
        return (None, None);
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Lit(char),
        Quant,
        Open,
        Close,
        Alt,
        Class,
        Start,
        End,
        Other,
    }
    // A flag set for the rest of the pattern (`(?i)`, not a `(?i:...)` group) can change case
    // or whitespace rules of a literal.
    let mut rest = p;
    while let Some(i) = rest.find("(?") {
        let flags = &rest[i + 2..];
        let end = flags.find([')', ':']).unwrap_or(flags.len());
        if flags[end..].starts_with(')') {
            return (None, None);
        }
        rest = &rest[i + 2..];
    }
    let mut toks = Vec::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_punctuation() => Tok::Lit(e),
                _ => Tok::Other,
            },
            '*' | '+' | '?' | '{' => Tok::Quant,
            '(' => Tok::Open,
            ')' => Tok::Close,
            '|' => Tok::Alt,
            '[' => Tok::Class,
            '^' => Tok::Start,
            '$' => Tok::End,
            '.' | ']' | '}' => Tok::Other,
            c => Tok::Lit(c),
        });
    }
    // Inside a class, `(` and `|` are literals: group depth cannot be trusted.
    if toks.contains(&Tok::Class) && toks.contains(&Tok::Alt) {
        return (None, None);
    }
    let mut depth = 0i32;
    for t in &toks {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => depth -= 1,
            Tok::Alt if depth <= 0 => return (None, None),
            _ => {}
        }
    }
    let lit = |t: &Tok| match t {
        Tok::Lit(c) => Some(*c),
        _ => None,
    };
    let prefix = (toks.first() == Some(&Tok::Start)).then(|| {
        let mut run: Vec<char> = toks[1..].iter().map_while(lit).collect();
        // A quantifier after the run may make its last character optional.
        if toks.get(1 + run.len()) == Some(&Tok::Quant) {
            run.pop();
        }
        run.into_iter().collect::<String>()
    });
    let suffix = (toks.last() == Some(&Tok::End)).then(|| {
        let n = toks.len() - 1;
        let mut run: Vec<char> = toks[..n].iter().rev().map_while(lit).collect();
        run.reverse();
        run.into_iter().collect::<String>()
    });
    (
        prefix.filter(|s| !s.is_empty()),
        suffix.filter(|s| !s.is_empty()),
    )
}

// Whether `p` has an escape that takes an argument (`\x41`, `\u{..}`, `\pL`, `\P{..}`): the
// characters after it are not literals, and these functions do not parse them.
fn has_escape_with_argument(p: &str) -> bool {
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.next(), Some('x' | 'u' | 'U' | 'p' | 'P')) {
            return true;
        }
    }
    false
}

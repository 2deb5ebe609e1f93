//! Signed approvals: "I, REVIEWER, reviewed these commits for REF", signed with the reviewer's
//! own SSH key (SSHSIG, the format `ssh-keygen -Y sign` and git's SSH signing make), and the
//! trust root they are checked against (git's allowed-signers format).
//!
//! The binding is the commit id. A commit id covers the tree, the parents and the message, so
//! an amended, rebased or re-worded commit is not covered by an approval of the old one (SLSA:
//! "an approval of an earlier revision does not count"). A patch-id binding would survive a
//! rebase, but a rebase onto a new base can change what the code does without changing its
//! patch; the reviewer re-approves the rebased commits instead (one command).
//!
//! Pure: statements and trust roots are text, the decision time is an input.

use serde::Serialize;
use ssh_key::{HashAlg, PublicKey, SshSig};

/// The SSHSIG namespace of approvals (a signature made for git commits or for anything else
/// cannot be replayed as an approval).
pub const NAMESPACE: &str = "aigate-approval";
const MAGIC: &str = "aigate approval v1";
const SIG_BEGIN: &str = "-----BEGIN SSH SIGNATURE-----";
/// The most commits one statement may cover (a range approval), and the largest record read.
pub const MAX_COMMITS: usize = 10_000;
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// What a reviewer signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The full ref the commits were approved for (`refs/heads/main`).
    pub refname: String,
    /// Full commit ids, as reviewed (for a change: the commits of base..head).
    pub commits: Vec<String>,
    /// The reviewer's principal (an email, as in the allowed-signers file); for a forge review,
    /// the bridge's principal (the key that attests it).
    pub reviewer: String,
    /// When it was signed, seconds since the epoch (the signer's claim; informational).
    pub time: i64,
    /// The change approved (v2): landed by any merge method, see `crate::landing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// A review made in a forge's web page, attested by a bridge (v2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forge: Option<ForgeReview>,
}

/// A change as reviewed: the target's commit it was reviewed against and the head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Where the change starts (the merge base of the target and the head when reviewed).
    pub base: String,
    /// The head commit reviewed.
    pub head: String,
    /// The change's index key: the git blob id of its sorted changed paths (`landing::paths_key`).
    pub paths: String,
}

/// A forge's review, as a bridge saw it in the forge's event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForgeReview {
    /// `github`, `gitea` or `gitlab`.
    pub forge: String,
    /// The reviewer's forge login.
    pub login: String,
    /// The pull request (number or id).
    pub pr: String,
    /// The pull request author's login.
    pub pr_author: String,
}

const MAGIC_V2: &str = "aigate approval v2";

impl Statement {
    /// The canonical text that is signed: one field per line, in a fixed order, each value
    /// without whitespace or control characters, so one text reads as exactly one statement.
    pub fn to_text(&self) -> String {
        let v2 = self.change.is_some() || self.forge.is_some();
        let mut s = format!(
            "{}\nref {}\n",
            if v2 { MAGIC_V2 } else { MAGIC },
            self.refname
        );
        if let Some(c) = &self.change {
            s.push_str(&format!(
                "base {}\nhead {}\npaths {}\n",
                c.base, c.head, c.paths
            ));
        }
        for c in &self.commits {
            s.push_str("commit ");
            s.push_str(c);
            s.push('\n');
        }
        s.push_str(&format!("reviewer {}\n", self.reviewer));
        if let Some(f) = &self.forge {
            s.push_str(&format!(
                "forge {}\nlogin {}\npr {}\npr-author {}\n",
                f.forge, f.login, f.pr, f.pr_author
            ));
        }
        s.push_str(&format!("time {}\n", self.time));
        s
    }

    /// Parses the canonical text (and nothing else: the parse must give back the same text).
    pub fn parse(text: &str) -> Result<Statement, String> {
        let mut lines = text.lines();
        let v2 = match lines.next() {
            Some(MAGIC) => false,
            Some(MAGIC_V2) => true,
            _ => {
                return Err(format!(
                    "not an approval statement (first line is not `{MAGIC}` or `{MAGIC_V2}`)"
                ))
            }
        };
        let mut st = Statement {
            refname: String::new(),
            commits: Vec::new(),
            reviewer: String::new(),
            time: 0,
            change: None,
            forge: None,
        };
        let (mut base, mut head, mut paths) = (None, None, None);
        let (mut forge, mut login, mut pr, mut pr_author) = (None, None, None, None);
        let once = |slot: &mut Option<String>, v: &str, l: &str| -> Result<(), String> {
            if slot.is_some() || !v2 || !is_word(v) {
                return Err(format!("unexpected line `{l}`"));
            }
            *slot = Some(v.to_string());
            Ok(())
        };
        for l in lines {
            let (k, v) = l.split_once(' ').ok_or_else(|| format!("bad line `{l}`"))?;
            match k {
                "ref" if st.refname.is_empty() && v.starts_with("refs/") && is_word(v) => {
                    st.refname = v.into()
                }
                "commit" if is_full_hex(v) && st.commits.len() < MAX_COMMITS => {
                    st.commits.push(v.to_ascii_lowercase())
                }
                "reviewer" if st.reviewer.is_empty() && is_word(v) => st.reviewer = v.into(),
                "time" => st.time = v.parse().map_err(|_| format!("bad time `{v}`"))?,
                "base" if is_full_hex(v) => once(&mut base, v, l)?,
                "head" if is_full_hex(v) => once(&mut head, v, l)?,
                "paths" if is_full_hex(v) => once(&mut paths, v, l)?,
                "forge" if matches!(v, "github" | "gitea" | "gitlab") => once(&mut forge, v, l)?,
                "login" => once(&mut login, v, l)?,
                "pr" => once(&mut pr, v, l)?,
                "pr-author" => once(&mut pr_author, v, l)?,
                _ => return Err(format!("unexpected line `{l}`")),
            }
        }
        st.change = match (base, head, paths) {
            (Some(base), Some(head), Some(paths)) => Some(Change { base, head, paths }),
            (None, None, None) => None,
            _ => return Err("a change needs a base, a head and its paths".into()),
        };
        st.forge = match (forge, login, pr, pr_author) {
            (Some(forge), Some(login), Some(pr), Some(pr_author)) => Some(ForgeReview {
                forge,
                login,
                pr,
                pr_author,
            }),
            (None, None, None, None) => None,
            _ => return Err("a forge review needs a forge, a login, a pr and its author".into()),
        };
        if st.refname.is_empty() || st.commits.is_empty() || st.reviewer.is_empty() {
            return Err("a statement needs a ref, at least one commit and a reviewer".into());
        }
        if v2 && st.change.is_none() && st.forge.is_none() {
            return Err("a v2 statement names a change or a forge review".into());
        }
        if st.to_text() != text {
            return Err("the statement is not in canonical form".into());
        }
        Ok(st)
    }
}

/// A statement value: non-empty, no whitespace, no control characters.
fn is_word(v: &str) -> bool {
    !v.is_empty() && !v.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn is_full_hex(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A stored approval: the statement followed by its armored SSH signature.
pub fn record(statement: &Statement, armored_signature: &str) -> String {
    format!("{}{}\n", statement.to_text(), armored_signature.trim_end())
}

/// Splits a stored record into statement text and signature.
pub fn split_record(text: &str) -> Result<(&str, &str), String> {
    let i = text
        .find(SIG_BEGIN)
        .ok_or("the record has no SSH signature")?;
    Ok((&text[..i], &text[i..]))
}

/// One line of an allowed-signers file.
#[derive(Debug, Clone)]
pub struct Signer {
    pub principals: Vec<String>,
    pub namespaces: Option<Vec<String>>,
    pub valid_after: Option<i64>,
    pub valid_before: Option<i64>,
    pub key: PublicKey,
    /// Where it was read (`origin:line`), for messages.
    pub at: String,
}

/// A trust root: who may sign, with which key, when.
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    pub signers: Vec<Signer>,
    pub origin: String,
}

impl AllowedSigners {
    /// Parses git's allowed-signers format (`ssh-keygen(1)`, ALLOWED SIGNERS):
    /// `principals [options] keytype base64-key [comment]`, options `namespaces="..."`,
    /// `valid-after="YYYYMMDD[HHMM[SS]][Z]"`, `valid-before=...`. `cert-authority` lines are
    /// refused (aigate does not verify certificates), so a trust root never means less than
    /// it says.
    pub fn parse(text: &str, origin: &str) -> Result<AllowedSigners, String> {
        let mut signers = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = format!("{origin}:{}", n + 1);
            let (principals, rest) = split_field(line);
            let mut rest = rest.trim_start();
            let mut namespaces = None;
            let mut valid_after = None;
            let mut valid_before = None;
            // Options come before the key type; a key type starts with ssh- / ecdsa- / sk-.
            loop {
                let (field, after) = split_field(rest);
                if field.is_empty() {
                    return Err(format!("{at}: no public key"));
                }
                if field.starts_with("ssh-")
                    || field.starts_with("ecdsa-")
                    || field.starts_with("sk-")
                {
                    break;
                }
                for opt in split_options(field) {
                    let (k, v) = match opt.split_once('=') {
                        Some((k, v)) => (k.to_ascii_lowercase(), v.trim_matches('"').to_string()),
                        None => (opt.to_ascii_lowercase(), String::new()),
                    };
                    match k.as_str() {
                        "namespaces" => {
                            namespaces = Some(v.split(',').map(|s| s.trim().to_string()).collect())
                        }
                        "valid-after" => valid_after = Some(parse_time(&v).map_err(|e| format!("{at}: {e}"))?),
                        "valid-before" => valid_before = Some(parse_time(&v).map_err(|e| format!("{at}: {e}"))?),
                        "cert-authority" => {
                            return Err(format!("{at}: cert-authority lines are not supported; list each signer's own key"))
                        }
                        _ => return Err(format!("{at}: unknown option `{k}`")),
                    }
                }
                rest = after.trim_start();
            }
            let key = PublicKey::from_openssh(rest.trim())
                .map_err(|e| format!("{at}: not a public key ({e})"))?;
            let principals: Vec<String> = principals
                .trim_matches('"')
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
            if principals.is_empty() {
                return Err(format!("{at}: no principal"));
            }
            signers.push(Signer {
                principals,
                namespaces,
                valid_after,
                valid_before,
                key,
                at,
            });
        }
        Ok(AllowedSigners {
            signers,
            origin: origin.to_string(),
        })
    }

    /// Adds another trust root's signers (a server's owners file beside the repository's).
    pub fn extend(&mut self, other: AllowedSigners) {
        self.signers.extend(other.signers);
    }

    /// Every principal pattern named (negated patterns left out).
    pub fn principals(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.signers {
            for p in s.principals.iter().filter(|p| !p.starts_with('!')) {
                if !out.contains(p) {
                    out.push(p.clone());
                }
            }
        }
        out
    }

    /// Whether `principal` may sign with `key` in `namespace` at `now`; the reason if not.
    fn admits(
        &self,
        principal: &str,
        key: &PublicKey,
        namespace: &str,
        now: i64,
    ) -> Result<&Signer, String> {
        let mut why = format!(
            "no key of {principal} in {} matches the signature",
            self.origin_name()
        );
        for s in &self.signers {
            if s.key.key_data() != key.key_data() {
                continue;
            }
            if !match_pattern_list(&s.principals, principal) {
                why = format!(
                    "the signing key belongs to {} ({}), not to {principal}",
                    s.principals.join(","),
                    s.at
                );
                continue;
            }
            if let Some(ns) = &s.namespaces {
                if !match_pattern_list(ns, namespace) {
                    why = format!("{}: the key is not allowed for namespace {namespace}", s.at);
                    continue;
                }
            }
            if s.valid_after.is_some_and(|t| now < t) {
                why = format!("{}: the key of {principal} is not valid yet", s.at);
                continue;
            }
            if s.valid_before.is_some_and(|t| now >= t) {
                why = format!("{}: the key of {principal} has expired", s.at);
                continue;
            }
            return Ok(s);
        }
        Err(why)
    }

    /// Everyone a key stands for: the principal patterns of every line that lists the same
    /// key. A person is a key: whoever holds it signs as each of these, so each of them is
    /// the same person for exclusions and counts.
    pub fn key_principals(&self, key: &PublicKey) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in self
            .signers
            .iter()
            .filter(|s| s.key.key_data() == key.key_data())
        {
            for p in &s.principals {
                if !out.contains(p) {
                    out.push(p.clone());
                }
            }
        }
        out
    }

    /// The fingerprint of a key the trust root gives `principal` (any valid one), if any: how
    /// a person named by address (a forge login mapped to an email) is found as a key.
    pub fn key_of(&self, principal: &str) -> Option<(String, Vec<String>)> {
        self.signers
            .iter()
            .find(|s| match_pattern_list(&s.principals, principal))
            .map(|s| {
                (
                    s.key.fingerprint(HashAlg::Sha256).to_string(),
                    self.key_principals(&s.key),
                )
            })
    }

    /// Whether a key with this fingerprint is `principal`'s here (any line of that key admits
    /// the principal): an approval verified against a wider trust root, checked against this
    /// narrower one (the owners' keys).
    pub fn admits_fingerprint(&self, principal: &str, fingerprint: &str) -> bool {
        self.signers.iter().any(|s| {
            s.key.fingerprint(HashAlg::Sha256).to_string() == fingerprint
                && match_pattern_list(&s.principals, principal)
        })
    }

    fn origin_name(&self) -> &str {
        if self.origin.is_empty() {
            "the trust root"
        } else {
            &self.origin
        }
    }
}

/// A pattern list as OpenSSH reads it (`match_pattern_list`): comma-separated patterns, each
/// possibly negated with `!`; the name matches when some positive pattern matches and no
/// negated one does.
pub fn match_pattern_list(patterns: &[String], name: &str) -> bool {
    let mut positive = false;
    for p in patterns {
        match p.strip_prefix('!') {
            Some(neg) => {
                if principal_matches(neg, name) {
                    return false;
                }
            }
            None => positive |= principal_matches(p, name),
        }
    }
    positive
}

/// Whether a person holding `principals` (a key's patterns) is `email`, in the address's raw
/// or canonical form (`Ann+x@Example.com` is ann@example.com).
pub fn admits_person(principals: &[String], email: &str) -> bool {
    !email.is_empty()
        && (match_pattern_list(principals, email)
            || match_pattern_list(principals, &crate::identity::canonical_email(email)))
}

/// A principal pattern as ssh-keygen reads them: `*` and `?` wildcards, case-insensitive for
/// the email's domain (compared lowercased whole, as addresses are in practice).
pub fn principal_matches(pattern: &str, name: &str) -> bool {
    fn m(p: &[u8], n: &[u8]) -> bool {
        // Iterative wildcard match: linear in practice, no recursion.
        let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
        while ni < n.len() {
            if pi < p.len() && (p[pi] == b'?' || p[pi] == n[ni]) {
                pi += 1;
                ni += 1;
            } else if pi < p.len() && p[pi] == b'*' {
                star = Some(pi);
                mark = ni;
                pi += 1;
            } else if let Some(s) = star {
                pi = s + 1;
                mark += 1;
                ni = mark;
            } else {
                return false;
            }
        }
        while pi < p.len() && p[pi] == b'*' {
            pi += 1;
        }
        pi == p.len()
    }
    m(
        pattern.to_ascii_lowercase().as_bytes(),
        name.to_ascii_lowercase().as_bytes(),
    )
}

fn split_field(s: &str) -> (&str, &str) {
    // A field ends at whitespace outside double quotes.
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return (&s[..i], &s[i..]),
            _ => {}
        }
    }
    (s, "")
}

fn split_options(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// `YYYYMMDD[HHMM[SS]][Z]` (ssh-keygen reads it as local time without Z; aigate reads UTC
/// always, so a server's time zone cannot change a verdict).
fn parse_time(v: &str) -> Result<i64, String> {
    let d = v.trim_end_matches(['Z', 'z']);
    if !(d.len() == 8 || d.len() == 12 || d.len() == 14) || !d.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("bad time `{v}` (YYYYMMDD[HHMM[SS]])"));
    }
    let n = |a: usize, b: usize| d.get(a..b).map_or(0, |s| s.parse::<u32>().unwrap_or(0));
    let month = time::Month::try_from(n(4, 6) as u8).map_err(|_| format!("bad month in `{v}`"))?;
    let date = time::Date::from_calendar_date(n(0, 4) as i32, month, n(6, 8) as u8)
        .map_err(|_| format!("bad date `{v}`"))?;
    let t = time::Time::from_hms(n(8, 10) as u8, n(10, 12) as u8, n(12, 14) as u8)
        .map_err(|_| format!("bad time of day `{v}`"))?;
    Ok(time::PrimitiveDateTime::new(date, t)
        .assume_utc()
        .unix_timestamp())
}

/// An approval whose signature verified against the trust root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub statement: Statement,
    /// The key's SHA-256 fingerprint (`SHA256:...`), as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// Every principal pattern the signing key holds in the trust root (`key_principals`).
    pub principals: Vec<String>,
}

/// Verifies one stored approval record against `signers` at the decision time `now`.
pub fn verify(record: &str, signers: &AllowedSigners, now: i64) -> Result<Verified, String> {
    if record.len() > MAX_RECORD_BYTES {
        return Err("the approval record is too large".into());
    }
    let (text, armored) = split_record(record)?;
    let statement = Statement::parse(text)?;
    let (fingerprint, principals) =
        verify_signed_key(text, armored, &statement.reviewer, NAMESPACE, signers, now)?;
    Ok(Verified {
        statement,
        fingerprint,
        principals,
    })
}

/// Verifies an armored SSH signature of `text`, made in `namespace` by `principal` with a key
/// the trust root gives them at `now`. Returns the key's fingerprint.
pub fn verify_signed(
    text: &str,
    armored: &str,
    principal: &str,
    namespace: &str,
    signers: &AllowedSigners,
    now: i64,
) -> Result<String, String> {
    verify_signed_key(text, armored, principal, namespace, signers, now).map(|(f, _)| f)
}

/// `verify_signed`, with every principal the signing key holds in the trust root.
pub fn verify_signed_key(
    text: &str,
    armored: &str,
    principal: &str,
    namespace: &str,
    signers: &AllowedSigners,
    now: i64,
) -> Result<(String, Vec<String>), String> {
    let sig = SshSig::from_pem(armored.trim().as_bytes())
        .map_err(|e| format!("the signature does not parse ({e})"))?;
    if sig.namespace() != namespace {
        return Err(format!(
            "the signature is for namespace `{}`, not `{namespace}`",
            sig.namespace()
        ));
    }
    let key = PublicKey::from(sig.public_key().clone());
    signers.admits(principal, &key, namespace, now)?;
    key.verify(namespace, text.as_bytes(), &sig)
        .map_err(|_| format!("the signature of {principal} does not verify"))?;
    Ok((
        key.fingerprint(HashAlg::Sha256).to_string(),
        signers.key_principals(&key),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_round_trip_and_only_canonical_text_parses() {
        let st = Statement {
            refname: "refs/heads/main".into(),
            commits: vec!["a".repeat(40)],
            reviewer: "bob@example.com".into(),
            time: 1_700_000_000,
            change: None,
            forge: None,
        };
        assert_eq!(Statement::parse(&st.to_text()).unwrap(), st);
        let v2 = Statement {
            change: Some(Change {
                base: "b".repeat(40),
                head: "c".repeat(40),
                paths: "d".repeat(40),
            }),
            forge: Some(ForgeReview {
                forge: "github".into(),
                login: "rob".into(),
                pr: "7".into(),
                pr_author: "ann".into(),
            }),
            ..st.clone()
        };
        assert_eq!(Statement::parse(&v2.to_text()).unwrap(), v2);
        // A value cannot carry a second field: one text is one statement.
        let mut bad = v2.clone();
        bad.forge.as_mut().unwrap().login = "rob\npr-author x".into();
        assert!(Statement::parse(&bad.to_text()).is_err());
        // v1 text cannot smuggle v2 fields.
        assert!(
            Statement::parse(&st.to_text().replace("reviewer", "base bbbb\nreviewer")).is_err()
        );
        assert!(Statement::parse(&st.to_text().replace("ref ", "ref  ")).is_err());
        assert!(Statement::parse(&format!("{}extra line\n", st.to_text())).is_err());
        assert!(Statement::parse(&st.to_text().replace(&"a".repeat(40), "abc")).is_err());
    }

    #[test]
    fn principal_patterns_match_like_ssh_keygen() {
        assert!(principal_matches("*@example.com", "bob@example.com"));
        assert!(principal_matches("Bob@Example.com", "bob@example.com"));
        assert!(!principal_matches("*@example.com", "bob@example.org"));
        assert!(principal_matches("b?b@x", "bob@x"));
        assert!(!principal_matches("bob@x", "bob@x.evil"));
    }

    #[test]
    fn pattern_lists_negate_like_openssh() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(match_pattern_list(&l(&["*@x", "!bob@x"]), "ann@x"));
        assert!(!match_pattern_list(&l(&["*@x", "!bob@x"]), "bob@x"));
        assert!(!match_pattern_list(&l(&["!bob@x"]), "ann@x"));
        assert!(!match_pattern_list(
            &l(&["*", "!aigate-approval"]),
            "aigate-approval"
        ));
        assert!(admits_person(
            &l(&["ann@example.com"]),
            "Ann+alt@Example.com"
        ));
    }

    #[test]
    fn allowed_signers_options_and_refusals() {
        let key =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti";
        let a = AllowedSigners::parse(
            &format!("# owners\nbob@example.com,carol@example.com namespaces=\"aigate-approval\",valid-after=\"20250101\",valid-before=\"20300101Z\" {key} bob\n"),
            "signers",
        )
        .unwrap();
        assert_eq!(a.signers.len(), 1);
        assert_eq!(a.signers[0].principals.len(), 2);
        assert!(a.signers[0].valid_after.unwrap() < a.signers[0].valid_before.unwrap());
        assert!(AllowedSigners::parse(&format!("x@y cert-authority {key}\n"), "s").is_err());
        assert!(AllowedSigners::parse("x@y ssh-ed25519 notbase64\n", "s").is_err());
        assert!(AllowedSigners::parse(&format!("x@y bogus=1 {key}\n"), "s").is_err());
    }
}

//! Identities: `Name <email>` as it appears in author/committer headers and trailers,
//! and the comparisons aigate makes on them (case-insensitive email, `+tag` folded).

use serde::Serialize;

/// A person or bot: a display name and an email address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

impl Identity {
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> Self {
        Identity {
            name: name.into(),
            email: email.into(),
        }
    }

    /// Parses `Name <email>` (the form of `Reviewed-by:` and `Co-authored-by:` values).
    /// Returns `None` when there is no `<...>` part.
    pub fn parse(value: &str) -> Option<Identity> {
        let value = value.trim();
        let open = value.rfind('<')?;
        let close = value[open..].find('>')? + open;
        if !value[close + 1..].trim().is_empty() {
            return None;
        }
        Some(Identity {
            name: value[..open].trim().to_string(),
            email: value[open + 1..close].trim().to_string(),
        })
    }

    /// Whether the email is a plausible address: ASCII only (no look-alike letters), one `@`,
    /// a non-empty local part and a dotted domain, no spaces or angle brackets.
    pub fn has_valid_email(&self) -> bool {
        let e = &self.email;
        let Some((local, domain)) = e.split_once('@') else {
            return false;
        };
        e.is_ascii()
            && !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !e
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b"<>,;\"".contains(&b) || b < 0x20)
    }

    /// The email in the form used to decide whether two identities are the same person:
    /// lower case, with any `+tag` removed from the local part.
    pub fn canonical_email(&self) -> String {
        canonical_email(&self.email)
    }

    /// Whether this looks like a bot account: `[bot]` in the name or address, or a
    /// well-known automation address.
    pub fn is_bot(&self) -> bool {
        let name = self.name.to_ascii_lowercase();
        let email = self.email.to_ascii_lowercase();
        name.ends_with("[bot]")
            || email.contains("[bot]")
            || matches!(
                email.as_str(),
                "noreply@github.com" | "actions@github.com" | "bot@renovateapp.com"
            )
            || name == "github-actions"
            || name == "dependabot"
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.name.is_empty() {
            write!(f, "<{}>", self.email)
        } else {
            write!(f, "{} <{}>", self.name, self.email)
        }
    }
}

/// Lower-cases an address and drops a `+tag` from its local part.
pub fn canonical_email(email: &str) -> String {
    let email = email.trim().to_lowercase();
    match email.split_once('@') {
        Some((local, domain)) => {
            let local = local.split('+').next().unwrap_or(local);
            format!("{local}@{domain}")
        }
        None => email,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_and_email() {
        let id = Identity::parse("Jane Doe <jane@example.com>").unwrap();
        assert_eq!(id, Identity::new("Jane Doe", "jane@example.com"));
        assert!(Identity::parse("Jane Doe").is_none());
        assert!(Identity::parse("Jane <jane@example.com> trailing").is_none());
    }

    #[test]
    fn email_validity_rejects_lookalikes_and_garbage() {
        assert!(Identity::new("a", "a@example.com").has_valid_email());
        assert!(!Identity::new("a", "a@exаmple.com").has_valid_email()); // Cyrillic а
        assert!(!Identity::new("a", "nobody").has_valid_email());
        assert!(!Identity::new("a", "a@localhost").has_valid_email());
        assert!(!Identity::new("a", "@example.com").has_valid_email());
    }

    #[test]
    fn canonical_email_folds_case_and_plus_tags() {
        assert_eq!(
            canonical_email("Jane+review@Example.COM"),
            "jane@example.com"
        );
    }
}

//! Differential target: properties git's trailer rules guarantee, checked on arbitrary input.
//! (The live comparison with `git interpret-trailers` runs as a property test in tests/.)
#![no_main]
use aigate::trailers::{parse, TrailerConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = TrailerConfig::default();
    let got = parse(data, &cfg);
    for t in &got {
        // With the default separator a key is [A-Za-z0-9-]+ (whitespace before `:` is trimmed).
        assert!(!t.key.is_empty(), "empty key");
        assert!(t.key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "bad key {:?}", t.key);
        // Values are unfolded: no newline survives, and no leading/trailing ASCII whitespace.
        assert!(!t.value.contains('\n'), "newline in value");
        assert_eq!(t.value.trim_matches([' ', '\t', '\r', '\n']), t.value);
    }
    // A message and the same message with its missing final newline added are the same.
    if data.last().is_some_and(|&b| b != b'\n') && !data.contains(&0) {
        let mut with_nl = data.to_vec();
        with_nl.push(b'\n');
        assert_eq!(parse(&with_nl, &cfg), got, "final newline changed the result");
        // Trailing comment lines are ignored by git.
        with_nl.extend_from_slice(b"# a comment\n");
        assert_eq!(parse(&with_nl, &cfg), got, "a trailing comment changed the result");
    }
    // Nothing after a NUL byte exists for git.
    if let Some(n) = data.iter().position(|&b| b == 0) {
        assert_eq!(parse(&data[..n], &cfg), got);
    }
});

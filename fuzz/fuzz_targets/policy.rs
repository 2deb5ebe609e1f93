//! The policy parser and validator on arbitrary text: errors, never panics.
#![no_main]
use aigate::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = Policy::from_str(text, "fuzz.toml") {
            let _ = p.is_protected("refs/heads/main");
            let _ = p.describe();
        }
    }
});

//! The exemptions parser and validator on arbitrary text: errors, never panics.
#![no_main]
use aigate::catalog::Catalog;
use aigate::exemptions::Exemptions;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static CATALOG: OnceLock<Catalog> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let catalog = CATALOG.get_or_init(|| Catalog::builtin().unwrap());
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Exemptions::from_str(text, "fuzz.toml", catalog, Some(90));
    }
});

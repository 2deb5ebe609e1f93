//! What a pusher controls in the approvals and the trust root: approval records, allowed-signers
//! text, attestation values. Parsing and verifying them errs, never panics.
#![no_main]
use aigate::approvals::{verify, AllowedSigners, Statement};
use aigate::catalog::Catalog;
use aigate::models::Models;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // One input feeds every parser: a trust root, a record, a statement, an attestation.
    let signers = AllowedSigners::parse(text, "fuzz").unwrap_or_default();
    let _ = verify(text, &signers, 0);
    let _ = Statement::parse(text);
    if let Ok(cat) = Catalog::builtin() {
        for line in text.lines().take(64) {
            let _ = aigate::attestation::read(line, &cat, &Models::builtin);
        }
    }
});

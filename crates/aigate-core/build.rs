//! Turns the built-in TOML tables (AI tool catalog, agent signatures) into JSON at build time:
//! the binary embeds both, and the commit-msg hook reads them on every commit. serde_json
//! reads the JSON in a fraction of what the TOML parser spends (measured with callgrind on
//! `aigate hook commit-msg`: the TOML parse of the catalog was a quarter of its instructions).
//! The TOML files stay the source of truth; `aigate catalog` and the tests read them as TOML.

use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for (src, json) in [
        ("../../rules/ai-tools.toml", "ai-tools.json"),
        ("../../rules/agents.toml", "agents.json"),
        ("../../rules/models.toml", "models.json"),
    ] {
        println!("cargo:rerun-if-changed={src}");
        let text = std::fs::read_to_string(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{src}: {e}"));
        let text = serde_json::to_string(&value).expect("TOML values are JSON values");
        std::fs::write(Path::new(&out).join(json), text).expect("OUT_DIR is writable");
    }
}

//! Turns the built-in TOML tables into what the binary embeds, since the commit-msg hook reads
//! them on every commit: the AI tool catalog as Rust statics with each regex's literal
//! pre-checks (nothing to parse at run time; parsing its JSON form was a third of the hook's
//! instructions, measured with callgrind), the agent and model tables as JSON (serde_json
//! reads them in a fraction of what the TOML parser spends). People's `source` notes are left
//! out. The TOML files stay the source of truth; `aigate catalog` and the tests read them.

use std::path::Path;

// The literal analysis of catalog regexes, shared with the library.
include!("src/literals.rs");

/// `source` notes are for people (and `aigate catalog`, which reads the TOML): the embedded
/// JSON leaves them out, a third of the catalog's bytes that every commit would parse.
fn strip_sources(v: &mut toml::Value) {
    match v {
        toml::Value::Table(t) => {
            t.remove("source");
            t.remove("process_source");
            t.iter_mut().for_each(|(_, v)| strip_sources(v));
        }
        toml::Value::Array(a) => a.iter_mut().for_each(strip_sources),
        _ => {}
    }
}

/// The catalog as Rust statics: the commit-msg hook builds its catalog from them without
/// parsing anything (parsing the JSON form was a third of the hook's instructions).
fn catalog_statics(v: &toml::Value) -> String {
    let q = |s: &str| format!("{s:?}");
    let opt = |t: &toml::map::Map<String, toml::Value>, k: &str| match t
        .get(k)
        .and_then(|x| x.as_str())
    {
        Some(x) => format!("Some({})", q(x)),
        None => "None".into(),
    };
    let pre = |p: Option<&str>| match p {
        None => "None".to_string(),
        Some(p) => {
            let (prefix, suffix) = anchored_literals(p);
            let (inner, fold) = required_literals(p).unwrap_or_default();
            let o = |x: Option<String>| x.map_or("None".to_string(), |x| format!("Some({x:?})"));
            format!(
                "Some(StaticPre {{ prefix: {}, suffix: {}, inner: &[{}], fold: {fold} }})",
                o(prefix),
                o(suffix),
                inner
                    .iter()
                    .map(|i| format!("{i:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    let mut out = String::from("pub(crate) static BUILTIN_TOOLS: &[StaticTool] = &[\n");
    for tool in v
        .get("tool")
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
    {
        let t = tool.as_table().expect("a [[tool]] is a table");
        let aliases: Vec<String> = t
            .get("aliases")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str())
            .map(q)
            .collect();
        out.push_str(&format!(
            "  StaticTool {{ id: {}, name: {}, category: {}, aliases: &[{}], signatures: &[\n",
            opt(t, "id")
                .trim_start_matches("Some(")
                .trim_end_matches(')'),
            opt(t, "name"),
            opt(t, "category"),
            aliases.join(", ")
        ));
        for sig in t
            .get("signature")
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
        {
            let g = sig.as_table().expect("a signature is a table");
            let main = g
                .get("pattern")
                .or_else(|| g.get("value"))
                .and_then(|p| p.as_str());
            out.push_str(&format!(
                "    StaticSig {{ kind: {}, key: {}, email: {}, bot: {}, name: {}, value: {}, pattern: {}, pre: {}, pre_name: {} }},\n",
                q(g.get("kind").and_then(|k| k.as_str()).expect("a signature has a kind")),
                opt(g, "key"),
                opt(g, "email"),
                opt(g, "bot"),
                opt(g, "name"),
                opt(g, "value"),
                opt(g, "pattern"),
                pre(main),
                pre(g.get("name").and_then(|p| p.as_str())),
            ));
        }
        out.push_str("  ] },\n");
    }
    out.push_str("];\n");
    out
}

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for (src, json) in [
        ("../../rules/ai-tools.toml", "ai-tools.json"),
        ("../../rules/agents.toml", "agents.json"),
        ("../../rules/models.toml", "models.json"),
    ] {
        println!("cargo:rerun-if-changed={src}");
        println!("cargo:rerun-if-changed=src/literals.rs");
        let text = std::fs::read_to_string(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let mut value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{src}: {e}"));
        strip_sources(&mut value);
        if json == "ai-tools.json" {
            std::fs::write(Path::new(&out).join("ai-tools.rs"), catalog_statics(&value))
                .expect("OUT_DIR is writable");
            continue;
        }
        let text = serde_json::to_string(&value).expect("TOML values are JSON values");
        std::fs::write(Path::new(&out).join(json), text).expect("OUT_DIR is writable");
    }
}

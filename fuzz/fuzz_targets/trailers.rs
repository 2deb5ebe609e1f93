//! The trailer parser on arbitrary bytes, with each comment setting git allows.
#![no_main]
use aigate::trailers::{parse, TrailerConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (cfg, msg) = match data.split_first() {
        Some((0, rest)) => (TrailerConfig::default().with_comment(";"), rest),
        Some((1, rest)) => (TrailerConfig { divider: true, ..TrailerConfig::default() }, rest),
        Some((2, rest)) => (TrailerConfig { separators: ":=#".into(), ..TrailerConfig::default() }, rest),
        _ => (TrailerConfig::default(), data),
    };
    let _ = parse(msg, &cfg);
});

//! The hook stdin parsers (pre-receive and pre-push) on arbitrary input.
#![no_main]
use aigate::hooks::{parse_pre_push_input, parse_receive_lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(lines) = parse_receive_lines(&text) {
        for l in lines {
            assert_eq!(l.old.len(), 40);
            assert_eq!(l.new.len(), 40);
        }
    }
    let _ = parse_pre_push_input(&text);
});

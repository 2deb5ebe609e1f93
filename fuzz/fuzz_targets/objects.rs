//! Raw git objects on arbitrary bytes: the commit parser and the tree-entry parser return
//! values or errors, never panic, and the comparison of two arbitrary trees terminates.
#![no_main]
use aigate::{commit, tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = commit::parse(data) {
        // The message is a suffix of the object, cut at a NUL.
        assert!(!c.message.contains(&0));
        let _ = commit::decode_message(c.message, c.encoding);
    }
    let h = commit::header(data);
    let _ = h.time();
    let _ = tree::entries(data, 20);
    // Two trees from the input: the first half and the second; any id reads the other half.
    let (a, b) = data.split_at(data.len() / 2);
    let mut reads = 0;
    let mut read = |id: &[u8]| -> Result<Vec<u8>, tree::BadTree> {
        reads += 1;
        if reads > 64 {
            return Err(tree::BadTree::Malformed); // a cycle of ids is cut, as a real object store has none
        }
        Ok(if id.first().is_some_and(|x| x % 2 == 0) { a.to_vec() } else { b.to_vec() })
    };
    let _ = tree::changes(Some(&[0u8; 20][..]), Some(&[1u8; 20][..]), 20, &mut read);
});

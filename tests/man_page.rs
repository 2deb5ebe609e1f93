//! The man page and completions: what a shell user reaches for.

mod common;
use common::*;

#[test]
fn the_man_page_refers_to_no_page_it_does_not_ship_and_has_the_usual_sections() {
    let s = Scratch::new();
    let o = s.aigate(s.dir.path(), &["man"]);
    assert!(o.status.success(), "{}", all(&o));
    let page = text(&o.stdout);
    let re = regex::Regex::new(r"aigate-[a-z-]+\(1\)").unwrap();
    assert!(
        !re.is_match(&page),
        "refers to pages never generated:\n{page}"
    );
    for section in [
        ".SH COMMANDS",
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        ".SH FILES",
    ] {
        assert!(page.contains(section), "no {section}:\n{page}");
    }
    assert!(page.contains("aigate check"), "{page}");
}

#[test]
fn init_preset_completes_the_preset_names() {
    let s = Scratch::new();
    let o = s.aigate(s.dir.path(), &["completions", "bash"]);
    let script = text(&o.stdout);
    assert!(
        script.contains("starter kernel fedora llvm qemu"),
        "--preset completes names, not files"
    );
}

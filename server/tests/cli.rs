//! The operator's command line documents itself: shell completions and a man page.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_orgdeck-server");

fn run(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn completions_and_the_man_page_cover_every_command() {
    let bash = run(&["completions", "bash"]);
    for word in ["init", "serve", "admin", "--data-dir"] {
        assert!(bash.contains(word), "{word} missing from the bash completions");
    }
    assert!(run(&["completions", "fish"]).contains("orgdeck-server"));
    let man = run(&["man"]);
    assert!(man.contains(".TH orgdeck-server"), "{man}");
    assert!(man.contains("admin") && man.contains("serve"), "{man}");
}

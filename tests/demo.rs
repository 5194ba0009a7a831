//! The README's first command runs `examples/demo.sh`; keep it true.

use std::process::Command;

#[test]
fn the_demo_sets_up_the_example_and_shows_each_layer_at_work() {
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo.sh"))
        .env("LANES", env!("CARGO_BIN_EXE_lanes"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "created  .claude/settings.json",
        "created  .git/hooks/pre-commit",
        "researcher Write research/notes.md                            -> allowed",
        "researcher Write src/main.rs                                  -> DENIED",
        "reason: lanes blocked Write to src/main.rs: that path is in the lane of role 'builder'",
        "builder    Write lanes.toml                                   -> DENIED",
        "builder    Bash  cargo build && echo ok > src/build.log       -> allowed",
        "builder    Bash  cd research && touch x.md                    -> DENIED",
        "reason: lanes blocked `touch x.md` (writes research/x.md)",
        "researcher Bash  git status && grep -r TODO src               -> allowed",
        "modified  research/findings.md",
        "git commit exit status: 1",
        "research/findings.md (2x)  [lane of researcher: research/]",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

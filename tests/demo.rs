//! The README's first command runs `examples/demo.sh`; keep it true.

use std::process::Command;

#[test]
fn the_demo_runs_and_shows_allowed_and_denied_calls() {
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo.sh"))
        .env("LANES", env!("CARGO_BIN_EXE_lanes"))
        .env_remove("LANES_ROLE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("researcher Write research/notes.md            -> allowed"),
        "{text}"
    );
    assert!(
        text.contains("researcher Write src/main.rs                  -> DENIED"),
        "{text}"
    );
    assert!(text.contains("reason: lanes blocked Write to src/main.rs: that path is in the lane of role 'builder'"), "{text}");
    assert!(
        text.contains("builder    Write lanes.toml                   -> DENIED"),
        "{text}"
    );
    assert!(text.contains("deny  lane of builder: src/"), "{text}");
}

//! `lanes init --client`, `lanes uninstall` and `lanes status` for Codex, Copilot CLI and
//! Gemini CLI, through the binary: the registration each client reads, merged into what is
//! there, idempotent, removed again; the trust each needs, said once by init and checked by
//! status.

mod support;

use serde_json::{json, Value};
use std::fs;
use std::path::Path;
use support::Repo;

const POLICY: &str = "[roles.builder]\nwrite = [\"src/\"]\n";

fn lanes(root: &Path, home: &Path, args: &[&str]) -> (i32, String) {
    let out = support::lanes()
        .args(args)
        .current_dir(root)
        .env("HOME", home)
        .env_remove("CODEX_HOME")
        .env_remove("GEMINI_CLI_HOME")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn json(root: &Path, rel: &str) -> Value {
    serde_json::from_str(&fs::read_to_string(root.join(rel)).unwrap()).unwrap()
}

#[test]
fn init_registers_each_client_merges_and_uninstall_removes_it() {
    let repo = Repo::new(POLICY);
    let home = tempfile::tempdir().unwrap();
    let root = &repo.root;
    // A Gemini settings file with the user's own hook and settings.
    fs::create_dir_all(root.join(".gemini")).unwrap();
    let mine = json!({"model": {"name": "gemini-2.5-pro"}, "hooks": {"BeforeTool": [
        {"matcher": "write_file", "hooks": [{"type": "command", "command": "fmt.sh"}]}]}});
    fs::write(
        root.join(".gemini/settings.json"),
        serde_json::to_string_pretty(&mine).unwrap(),
    )
    .unwrap();
    let args = [
        "init",
        "--client",
        "codex",
        "--client",
        "copilot",
        "--client",
        "gemini",
        "--hook-command",
        "/opt/lanes",
    ];
    let (code, out) = lanes(root, home.path(), &args);
    assert_eq!(code, 0, "{out}");
    for line in [
        "created  .codex/hooks.json",
        "created  .github/hooks/lanes.json",
        "updated  .gemini/settings.json",
        "Codex skips hooks nobody has trusted, silently",
        "Gemini CLI runs project hooks only in a trusted folder",
    ] {
        assert!(out.contains(line), "{line:?} missing from:\n{out}");
    }
    assert!(
        !root.join(".claude/settings.json").exists(),
        "--client without claude leaves Claude Code alone"
    );
    assert_eq!(
        json(root, ".codex/hooks.json")["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
        "/opt/lanes hook --client codex"
    );
    assert_eq!(
        json(root, ".github/hooks/lanes.json")["hooks"]["PreToolUse"][0]["bash"],
        "/opt/lanes hook --client copilot"
    );
    let gemini = json(root, ".gemini/settings.json");
    assert_eq!(gemini["model"], mine["model"]);
    assert_eq!(
        gemini["hooks"]["BeforeTool"][0],
        mine["hooks"]["BeforeTool"][0]
    );
    assert_eq!(
        gemini["hooks"]["BeforeTool"][1]["hooks"][0]["command"],
        "/opt/lanes hook --client gemini"
    );
    let (code, again) = lanes(root, home.path(), &args);
    assert_eq!(code, 0);
    assert!(again.contains("lanes init: nothing to change"), "{again}");
    let (code, out) = lanes(root, home.path(), &["uninstall"]);
    assert_eq!(code, 0, "{out}");
    assert!(!root.join(".codex/hooks.json").exists());
    assert!(!root.join(".github/hooks/lanes.json").exists());
    assert_eq!(
        json(root, ".gemini/settings.json"),
        mine,
        "the user's own settings come back as they were"
    );
}

#[test]
fn status_says_when_a_client_will_skip_the_hook() {
    let repo = Repo::new(POLICY);
    let home = tempfile::tempdir().unwrap();
    let root = &repo.root;
    let (code, _) = lanes(
        root,
        home.path(),
        &[
            "init",
            "--client",
            "gemini",
            "--client",
            "codex",
            "--hook-command",
            "lanes",
        ],
    );
    assert_eq!(code, 0);
    let (code, out) = lanes(root, home.path(), &["status"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the gemini hook in"), "{out}");
    assert!(
        out.contains("Gemini skips project hooks in an untrusted folder"),
        "{out}"
    );
    assert!(
        out.contains("Codex ignores .codex/hooks.json because the project is not trusted"),
        "{out}"
    );
    // Trusting the folder, as Gemini records it, clears Gemini's problem.
    fs::create_dir_all(home.path().join(".gemini")).unwrap();
    let trusted = json!({ root.to_str().unwrap(): "TRUST_FOLDER" });
    fs::write(
        home.path().join(".gemini/trustedFolders.json"),
        trusted.to_string(),
    )
    .unwrap();
    let (_, out) = lanes(root, home.path(), &["status"]);
    assert!(!out.contains("the gemini hook in"), "{out}");
    assert!(
        out.contains("gemini hook: runs: the folder is trusted"),
        "{out}"
    );
}

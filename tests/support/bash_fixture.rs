//! The Bash table's fixture and rows, shared by `tests/bash_table.rs` (which judges every row)
//! and `tests/bash_differential.rs` (which also runs every row and compares what changed).
//!
//! Rows live in `tests/data/bash_table.jsonl` and the adversarial tables beside it (every
//! `tests/data/bash*.jsonl`, one per class of bypass), one JSON object per line with the
//! command, the targets lanes must find (repo-relative; `X/**` a subtree, `X/?` an unknown
//! name under X, `?` unknown, `opaque`, `repo-wide`, `tamper`, `unparseable`) and the decision
//! (`allow`, `ask`, `deny`) for the role `src` in the fixture below. `ref` is the reference's
//! decision; `note` says why ours differs where it does.

use lanes::env::Env;
use lanes::hook::{self, Options};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One row of a Bash table.
#[derive(Debug, Deserialize, serde::Serialize, Clone)]
pub struct Row {
    pub id: String,
    pub cmd: String,
    #[serde(default)]
    pub targets: Vec<String>,
    pub decision: String,
    #[serde(default, rename = "ref")]
    pub reference: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

pub const POLICY: &str = r#"
[roles.src]
write = ["src/"]
[roles.docs]
write = ["docs/"]
[roles.tests]
write = ["tests/"]
[shared]
write = ["target/", "Cargo.lock"]
"#;

/// The fixture of the reference's §5: `src/`, `docs/` and `tests/` lanes, unowned files at
/// the root, `../other` outside, a private HOME. `base` holds `proj` (the root), `other` and
/// `home`.
pub struct Fixture {
    /// Keeps the directory alive; removed on drop.
    pub dir: tempfile::TempDir,
    pub base: PathBuf,
    pub root: PathBuf,
    pub home: PathBuf,
}

/// `.git` is a plain directory, not a repository: the analysis never runs git, it only looks
/// for `.git` to find the worktree's top. What the git rows claim about git itself is checked
/// against real git in `tests/bash_git_real.rs`, and every row runs for real in
/// `tests/bash_differential.rs` (in a scratch copy that is a real repository).
pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let root = base.join("proj");
    let home = base.join("home");
    for d in ["src/util", "docs", "tests", ".git/hooks", "target"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(base.join("other")).unwrap();
    for (f, text) in [
        ("lanes.toml", POLICY),
        ("src/main.rs", "fn main() {}\n"),
        ("src/lib.rs", ""),
        ("src/util/mod.rs", ""),
        ("docs/a.md", "a\n"),
        ("docs/guide.md", "g\n"),
        ("tests/t.rs", ""),
        ("a.txt", "a\n"),
        ("b.txt", "b\n"),
        ("list.txt", "docs/a.md\n"),
        ("README.md", "r\n"),
        (
            "fix.diff",
            "--- a/docs/a.md\n+++ b/docs/a.md\n@@ -1 +1 @@\n-a\n+b\n",
        ),
        ("pkg.tgz", ""),
        ("pkg.zip", ""),
    ] {
        std::fs::write(root.join(f), text).unwrap();
    }
    Fixture {
        dir,
        base,
        root,
        home,
    }
}

/// Runs one command through `hook::evaluate` as role `src` and returns (targets, decision).
pub fn judge(fx: &Fixture, cmd: &str) -> (Vec<String>, String) {
    let input = serde_json::json!({
        "tool_name": "Bash",
        "cwd": fx.root.to_str().unwrap(),
        "hook_event_name": "PreToolUse",
        "tool_input": { "command": cmd },
    });
    let input = lanes::hook_input::parse(input.to_string().as_bytes()).unwrap();
    let env = Env {
        lanes_role: Some("src".into()),
        home: Some(fx.home.clone()),
        ..Env::default()
    };
    let eval = match hook::evaluate(&input, &env, &Options::default()) {
        Ok(e) => e,
        Err(e) => return (vec![format!("error: {e}")], "block".into()),
    };
    let show = |p: &str| -> String {
        let p = p.replace(&format!("{}/", fx.home.display()), "~/");
        let p = if p == fx.home.display().to_string() {
            "~".to_string()
        } else {
            p
        };
        p.replace(&format!("{}/", fx.base.display()), "../")
    };
    let mut targets = BTreeSet::new();
    for j in &eval.judged {
        let kind = j.extra.finding.unwrap_or("");
        let t = match (kind, &j.path) {
            ("write" | "subtree", Some(p)) => show(p),
            ("unknown", Some(p)) => show(p),
            ("unknown", None) => "?".into(),
            ("opaque", _) => "opaque".into(),
            ("repo-wide", _) => "repo-wide".into(),
            ("tamper", _) => "tamper".into(),
            ("unparseable", _) => "unparseable".into(),
            (k, p) => format!("{k}:{p:?}"),
        };
        targets.insert(t);
    }
    let decision = match eval.outcome() {
        hook::Outcome::Allow => "allow",
        hook::Outcome::Ask(_) => "ask",
        hook::Outcome::Deny(_) => "deny",
        hook::Outcome::Block(_) => "block",
    };
    (targets.into_iter().collect(), decision.to_string())
}

/// Every row of every `tests/data/bash*.jsonl`, files in name order; ids are unique.
pub fn rows() -> Vec<Row> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("bash") && name.ends_with(".jsonl")
        })
        .collect();
    files.sort();
    let mut rows: Vec<Row> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for l in text.lines() {
            if l.trim().is_empty() || l.starts_with("//") {
                continue;
            }
            let row: Row = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: bad row {l}: {e}", file.display()));
            assert!(
                rows.iter().all(|r| r.id != row.id),
                "{}: row id {} is used twice",
                file.display(),
                row.id
            );
            rows.push(row);
        }
    }
    rows
}

//! The reference's 177-command table (shared/reference/bash-write-targets.md §5) plus our own
//! rows, as data: `tests/data/bash_table.jsonl` and the adversarial tables beside it (every
//! `tests/data/bash_*.jsonl`, one per class of bypass), one JSON object per line with the command,
//! the targets lanes must find (repo-relative; `X/**` a subtree, `X/?` an unknown name under
//! X, `?` unknown, `opaque`, `repo-wide`, `tamper`, `unparseable`) and the decision
//! (`allow`, `ask`, `deny`) for the role `src` in the fixture below. `ref` is the reference's
//! decision; `note` says why ours differs where it does.
//!
//! Every row whose reference decision is `allow` must stay `allow` (false positives are
//! defects too); rows are also checked through the real binary in `tests/bash_hook.rs`.

use lanes::env::Env;
use lanes::hook::{self, Options};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize, serde::Serialize, Clone)]
struct Row {
    id: String,
    cmd: String,
    #[serde(default)]
    targets: Vec<String>,
    decision: String,
    #[serde(default, rename = "ref")]
    reference: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

const POLICY: &str = r#"
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
/// the root, `../other` outside, a private HOME.
struct Fixture {
    _dir: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
    home: PathBuf,
}

/// `.git` is a plain directory, not a repository: the analysis never runs git, it only looks
/// for `.git` to find the worktree's top. What the git rows claim about git itself is checked
/// against real git in `tests/bash_git_real.rs`.
fn fixture() -> Fixture {
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
        _dir: dir,
        base,
        root,
        home,
    }
}

/// Runs one command through `hook::evaluate` as role `src` and returns (targets, decision).
fn judge(fx: &Fixture, cmd: &str) -> (Vec<String>, String) {
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
fn rows() -> Vec<Row> {
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

#[test]
fn reference_table_and_own_rows() {
    let fx = fixture();
    assert!(fx.root.join("lanes.toml").exists());
    let rows = rows();
    assert!(rows.len() >= 177, "the table has {} rows", rows.len());
    let mut failures = Vec::new();
    let mut actual_rows = Vec::new();
    for row in &rows {
        let (targets, decision) = judge(&fx, &row.cmd);
        let mut want: Vec<String> = row.targets.clone();
        want.sort();
        if targets != want || decision != row.decision {
            failures.push(format!(
                "row {} `{}`:\n    want {:?} {}\n    got  {:?} {}",
                row.id,
                row.cmd.escape_debug(),
                want,
                row.decision,
                targets,
                decision
            ));
        }
        if row.reference.as_deref() == Some("allow") && decision != "allow" && row.note.is_none() {
            failures.push(format!(
                "row {} is allowed by the reference but {decision} here, with no note",
                row.id
            ));
        }
        actual_rows.push(Row {
            targets,
            decision,
            ..row.clone()
        });
    }
    // The actual results, for reviewing a change to the table.
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bash_table.actual.jsonl");
    let text: Vec<String> = actual_rows
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(&out, text.join("\n") + "\n").unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} rows differ (actual: {}):\n{}",
        failures.len(),
        rows.len(),
        out.display(),
        failures.join("\n")
    );
}

//! The completion receipt (`lanes report --format markdown|json`) on a real repository with
//! two worktrees and three roles, each section checked.

mod support;

use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::Repo;

const POLICY: &str = r###"
mode = "enforce"
unassigned = "allow"
audit = ".lanes/audit.jsonl"

[roles.researcher]
write = ["research/"]
signal = "research/DONE.md"
signal_requires = ["## Findings"]
branches = ["lanes/researcher"]

[roles.builder]
write = ["src/"]
branches = ["lanes/builder"]

[roles.reviewer]
write = ["reviews/"]
"###;

/// One hook call: `event` in the checkout `cwd`, for `session`, with `fields` merged in.
fn hook(r: &Repo, cwd: &Path, session: &str, event: &str, fields: Value) {
    hook_as(r, None, cwd, session, event, fields)
}

/// [`hook`] with `LANES_ROLE` set to `role`.
fn hook_as(r: &Repo, role: Option<&str>, cwd: &Path, session: &str, event: &str, fields: Value) {
    let mut v = json!({
        "session_id": session,
        "transcript_path": "/t.jsonl",
        "cwd": cwd,
        "permission_mode": "acceptEdits",
        "hook_event_name": event,
    });
    for (k, x) in fields.as_object().unwrap() {
        v[k] = x.clone();
    }
    let mut call = r.hook();
    if let Some(role) = role {
        call = call.role(role);
    }
    let out = call.stdin(&serde_json::to_vec(&v).unwrap()).run();
    assert_eq!(out.code, 0, "{out:?}");
}

fn prompt(r: &Repo, cwd: &Path, session: &str, text: &str) {
    hook(
        r,
        cwd,
        session,
        "UserPromptSubmit",
        json!({ "prompt": text }),
    );
}

/// A Write the hook judges, then (when allowed) made on disk.
fn write(r: &Repo, cwd: &Path, session: &str, id: &str, rel: &str, text: &str) {
    let file = cwd.join(rel);
    hook(
        r,
        cwd,
        session,
        "PreToolUse",
        json!({"tool_name": "Write", "tool_input": {"file_path": file, "content": text}, "tool_use_id": id}),
    );
    let denied = r
        .audit_in(cwd)
        .iter()
        .any(|l| l["tool_use_id"] == id && l["decision"] == "deny");
    if !denied {
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(file, text).unwrap();
    }
}

fn bash_before(r: &Repo, cwd: &Path, session: &str, id: &str, command: &str) {
    hook(
        r,
        cwd,
        session,
        "PreToolUse",
        json!({"tool_name": "Bash", "tool_input": {"command": command}, "tool_use_id": id}),
    );
}

fn bash_after(r: &Repo, cwd: &Path, session: &str, id: &str, command: &str, response: Value) {
    hook(
        r,
        cwd,
        session,
        "PostToolUse",
        json!({"tool_name": "Bash", "tool_input": {"command": command}, "tool_use_id": id, "tool_response": response}),
    );
}

fn git(r: &Repo, dir: &Path, args: &[&str]) -> String {
    let out = support::git_command(dir, r.dir.path())
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

struct Setup {
    r: Repo,
    builder: PathBuf,
    researcher: PathBuf,
}

fn setup() -> Setup {
    let r = Repo::new(POLICY);
    fs::write(r.root.join("src/keep"), "").unwrap();
    fs::write(r.root.join(".gitignore"), ".lanes/\n").unwrap();
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "init"]);
    let wt = |name: &str, branch: &str| {
        let p = r.dir.path().join(name);
        r.git(&["worktree", "add", "-q", p.to_str().unwrap(), "-b", branch]);
        p.canonicalize().unwrap()
    };
    let builder = wt("wt-builder", "lanes/builder");
    let researcher = wt("wt-researcher", "lanes/researcher");
    let root = r.root.clone();

    // The researcher, in its worktree: notes committed, the signal written and settled.
    prompt(&r, &researcher, "s-res", "Research the parser's grammar");
    write(
        &r,
        &researcher,
        "s-res",
        "r1",
        "research/notes.md",
        "notes\n",
    );
    git(&r, &researcher, &["add", "research/notes.md"]);
    git(&r, &researcher, &["commit", "-qm", "notes"]);
    write(
        &r,
        &researcher,
        "s-res",
        "r2",
        "research/DONE.md",
        "## Findings\n- LL(1)\n",
    );
    let old = Command::new("touch")
        .args(["-d", "1 hour ago"])
        .arg(researcher.join("research/DONE.md"))
        .status()
        .unwrap();
    assert!(old.success());

    // The builder, in its worktree.
    let b = &builder;
    prompt(
        &r,
        b,
        "s-build",
        "Build the parser in src/\nThen wire it up.",
    );
    write(&r, b, "s-build", "b1", "src/parser.rs", "fn parse() {}\n");
    write(&r, b, "s-build", "b2", "research/x.md", "mine now\n"); // denied
                                                                  // An opaque program that wrote into the researcher's lane, seen by the client's diff.
    bash_before(&r, b, "s-build", "b3", "python3 gen.py");
    fs::create_dir_all(b.join("research")).unwrap();
    fs::write(b.join("research/y.txt"), "y\n").unwrap();
    let y = b.join("research/y.txt").to_string_lossy().into_owned();
    bash_after(
        &r,
        b,
        "s-build",
        "b3",
        "python3 gen.py",
        json!({"stdout": "", "bashEditDiff": {
        "files": [{"filePath": y, "hunks": [], "created": true}], "moreFiles": 0, "changedFiles": [y]}}),
    );
    // Tests that passed (no diff: nothing changed, the diff being on), a failing build.
    bash_before(&r, b, "s-build", "b4", "cargo test");
    bash_after(
        &r,
        b,
        "s-build",
        "b4",
        "cargo test",
        json!({"stdout": "ok"}),
    );
    hook(
        &r,
        b,
        "s-build",
        "PostToolUseFailure",
        json!({"tool_name": "Bash", "tool_input": {"command": "./build.sh"}, "tool_use_id": "b5",
               "error": "Exit code 3", "is_interrupt": false}),
    );
    // An opaque program nothing reported on after it ran.
    bash_before(&r, b, "s-build", "b6", "node gen.js");
    // Committed: the parser, the out-of-lane file, and a file no tool call wrote.
    fs::write(b.join("src/extra.rs"), "// by hand\n").unwrap();
    git(
        &r,
        b,
        &["add", "src/parser.rs", "research/y.txt", "src/extra.rs"],
    );
    git(&r, b, &["commit", "-qm", "parser"]);

    // The reviewer, in the main checkout.
    let rev = Some("reviewer");
    hook_as(
        &r,
        rev,
        &root,
        "s-rev",
        "UserPromptSubmit",
        json!({"prompt": "Review the parser"}),
    );
    let file = root.join("reviews/r.md");
    hook_as(
        &r,
        rev,
        &root,
        "s-rev",
        "PreToolUse",
        json!({"tool_name": "Write",
        "tool_input": {"file_path": file, "content": "ok"}, "tool_use_id": "v1"}),
    );
    fs::create_dir_all(root.join("reviews")).unwrap();
    fs::write(file, "ok").unwrap();
    Setup {
        r,
        builder,
        researcher,
    }
}

fn report(r: &Repo, format: &str) -> String {
    let out = support::lanes()
        .args(["report", "--format", format])
        .current_dir(&r.root)
        .env("HOME", r.dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The markdown section of one role, up to the next `### role`.
fn section<'a>(md: &'a str, role: &str) -> &'a str {
    let start = md
        .find(&format!("### role {role} "))
        .unwrap_or_else(|| panic!("no section for {role}:\n{md}"));
    let rest = &md[start + 4..];
    &md[start..start + 4 + rest.find("### role").unwrap_or(rest.len())]
}

fn has(text: &str, want: &str) {
    assert!(text.contains(want), "missing {want:?} in:\n{text}");
}

#[test]
fn the_receipt_holds_every_section_per_role_and_session() {
    let s = setup();
    let r = &s.r;
    let md = report(r, "markdown");
    has(&md, &format!("lanes {}", env!("CARGO_PKG_VERSION")));
    has(&md, "3 logs, one per checkout");
    let blob = git(r, &r.root, &["hash-object", "lanes.toml"]);

    let b = section(&md, "builder");
    let head = git(r, &s.builder, &["rev-parse", "HEAD"]);
    let base = git(r, &r.root, &["rev-parse", "main"]);
    has(b, "- **Task:** “Build the parser in src/…”");
    has(b, "- **Role:** builder");
    has(b, "- **Branch:** `lanes/builder`");
    has(b, "- **Worktree:** `../wt-builder`");
    has(b, &format!("- **HEAD:** `{}`", &head[..12]));
    has(b, &format!("- **Base:** `main` at `{}`", &base[..12]));
    has(b, &format!("(git blob `{blob}`)"));
    // Files: from git against the base, and from the audit.
    has(b, "- `src/parser.rs` (added)\n");
    has(b, "- `src/extra.rs` (added) — not in the audit");
    has(b, "- `research/y.txt` (added)\n");
    has(
        b,
        "**From the audit:**\n\n- `src/parser.rs`\n- `research/y.txt`\n",
    );
    // Commands with their outcome, and the tests among them.
    has(b, "- `cargo test` — ok (test)");
    has(
        b,
        "- `./build.sh` — Exit code 3 (effects not verified: the command failed",
    );
    has(b, "- `python3 gen.py` — ok (changed 1 file)");
    has(b, "- `node gen.js` — outcome not reported");
    has(b, "**Test commands:**\n\n- `cargo test`\n");
    // Out of lane: denied, detected after the run, not verified.
    has(b, "**Denied attempts (they did not run):**\n\n- `research/x.md` (lane of researcher: research/)");
    has(
        b,
        "**Changes detected after the run:**\n\n- `research/y.txt` (lane of researcher: research/)",
    );
    has(
        b,
        "**Opaque commands not verified:**\n\n- `node gen.js` (no PostToolUse line",
    );
    assert!(!b.contains("- `python3 gen.py` (no PostToolUse"), "{b}");
    // lanes check on the branch's commits, as the builder.
    has(b, &format!("`lanes check --range {base}..{head}` as this role: **fail** (1 commit): research/y.txt (lane of researcher: research/)"));
    has(b, "none (the role has no `signal`)");
    // What to review, in order.
    let review = &b[b.find("#### Before merging, review").unwrap()..];
    has(
        review,
        "1. Restore or hand over `research/y.txt`: a command changed it out of lane",
    );
    has(review, "2. `lanes check --range");
    has(review, "3. Read what `node gen.js` changed");
    has(review, "`src/extra.rs` (added) changed in git, but no tool call of this session is recorded writing it.");
    has(review, "`./build.sh` ended with: Exit code 3.");
    has(
        review,
        "1 attempt denied: check that the work they aimed at was done by the owning role.",
    );
    has(
        review,
        &format!(
            "The whole diff: `git diff {}..{}`",
            &base[..12],
            &head[..12]
        ),
    );

    let res = section(&md, "researcher");
    has(res, "- **Task:** “Research the parser's grammar”");
    has(res, "- **Branch:** `lanes/researcher`");
    has(res, "- **Worktree:** `../wt-researcher`");
    has(res, "- `research/notes.md` (added)\n");
    has(res, "- `research/DONE.md` (untracked)\n");
    has(res, "**pass** (1 commit)");
    has(res, "`research/DONE.md`: **complete**");
    has(
        res,
        "`research/DONE.md` is not committed: commit it or remove it.",
    );

    let rev = section(&md, "reviewer");
    has(rev, "- **Task:** “Review the parser”");
    has(rev, "- **Branch:** `main`");
    has(rev, "- **Worktree:** `.`");
    has(rev, "- **Base:** (none: the main checkout");
    assert!(!rev.contains("Not gathered"), "{rev}");
    has(rev, "- `reviews/r.md` (untracked)\n");
    has(rev, "not run (no base to compare with)");
    assert!(!rev.contains("not in the audit"), "{rev}");

    // The JSON carries the same facts.
    let v: Value = serde_json::from_str(&report(r, "json")).unwrap();
    let receipts = v["receipts"].as_array().unwrap();
    assert_eq!(receipts.len(), 3);
    let bj = receipts.iter().find(|x| x["role"] == "builder").unwrap();
    assert_eq!(bj["branch"], "lanes/builder");
    assert_eq!(bj["worktree"], "../wt-builder");
    assert_eq!(bj["head"], head.as_str());
    assert_eq!(bj["base"], json!({"branch": "main", "commit": base}));
    assert_eq!(bj["task"], "Build the parser in src/…");
    assert_eq!(bj["tests"], json!(["cargo test"]));
    assert_eq!(bj["check"]["verdict"], "fail");
    assert_eq!(bj["violations_after"][0]["item"], "research/y.txt");
    assert_eq!(bj["denied"][0]["item"], "research/x.md");
    assert_eq!(bj["opaque_unverified"][0]["item"], "node gen.js");
    assert_eq!(bj["policy"]["blob"], blob.as_str());
    assert_eq!(bj["lanes_version"], env!("CARGO_PKG_VERSION"));
    assert!(bj["review"].as_array().unwrap().len() >= 6);
    let rj = receipts.iter().find(|x| x["role"] == "researcher").unwrap();
    assert_eq!(
        rj["signal"],
        json!({"file": "research/DONE.md", "state": "complete"})
    );
    let _ = &s.researcher;
}

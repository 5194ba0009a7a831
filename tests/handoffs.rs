//! Issue 19, findings 3 and 4, through the real binary: the audit says only what ran, and
//! worktrees are supported throughout (the branch names the hook's role, `wait` finds the
//! signal file in the role's worktree, `report` reads every worktree's log).

mod support;

use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
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
write = ["src/", "test/"]
branches = ["lanes/builder"]

[roles.reviewer]
write = ["reviews/"]

[bash]
opaque = "ask"
"###;

fn bash(command: &str) -> Value {
    json!({ "command": command, "description": "d" })
}

/// `lanes ARGS` in `dir`, hermetic.
fn lanes(repo: &Repo, dir: &Path, args: &[&str]) -> std::process::Output {
    support::lanes()
        .args(args)
        .current_dir(dir)
        .env("HOME", repo.dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap()
}

fn report_json(repo: &Repo, dir: &Path) -> Value {
    let out = lanes(repo, dir, &["report", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn items(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["item"].as_str().unwrap().to_string())
        .collect()
}

/// A repository with a first commit and a worktree per branch, `base/wt-NAME`.
fn with_worktrees(branches: &[&str]) -> (Repo, Vec<PathBuf>) {
    let r = Repo::new(POLICY);
    fs::write(r.root.join("src/keep"), "").unwrap();
    fs::write(r.root.join(".gitignore"), ".lanes/\n").unwrap();
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "init"]);
    let wts = branches
        .iter()
        .map(|b| {
            let name = b.rsplit('/').next().unwrap();
            let wt = r.dir.path().join(format!("wt-{name}"));
            r.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "-b", b]);
            wt.canonicalize().unwrap()
        })
        .collect();
    (r, wts)
}

// ---------------------------------------------------------------- finding 3

#[test]
fn a_denied_call_is_recorded_as_not_run_and_the_report_counts_only_what_ran() {
    let r = Repo::new(POLICY);
    r.hook()
        .role("builder")
        .tool("Bash", bash("echo a > src/a.rs; echo b > research/x.md"))
        .run()
        .denied();
    let log = r.audit();
    assert_eq!(log.len(), 2, "{log:#?}");
    for line in &log {
        assert_eq!(line["ran"], false, "{line}");
        assert_eq!(line["tool_use_id"], "toolu_01");
    }
    assert_eq!(log[0]["path"], "src/a.rs");
    assert_eq!(log[0]["decision"], "allow", "the target itself was in lane");
    // An asked opaque command is neither denied nor known to have run.
    let asked = r
        .hook()
        .role("builder")
        .tool("Bash", bash("python3 gen.py"))
        .run();
    assert!(asked.stdout.contains("\"ask\""), "{asked:?}");
    // An allowed call is recorded without `ran` (the client may still refuse it).
    r.hook().role("builder").write("src/b.rs").run().allowed();
    assert_eq!(r.audit().last().unwrap().get("ran"), None);
    let v = report_json(&r, &r.root);
    let g = &v["groups"][0];
    assert_eq!(items(&g["written"]), ["src/b.rs"]);
    assert_eq!(items(&g["denied"]), ["research/x.md"]);
    assert_eq!(items(&g["asked"]), ["python3 gen.py"]);
    assert_eq!(items(&g["opaque"]), Vec::<String>::new());
}

#[test]
fn a_blocked_opaque_command_is_not_counted_as_run() {
    let r = Repo::new(&POLICY.replace("opaque = \"ask\"", "opaque = \"deny\""));
    r.hook()
        .role("builder")
        .tool("Bash", bash("python3 gen.py"))
        .run()
        .denied();
    let v = report_json(&r, &r.root);
    let g = &v["groups"][0];
    assert_eq!(items(&g["opaque"]), Vec::<String>::new());
    assert_eq!(items(&g["denied"]), ["python3 gen.py"]);
}

#[test]
fn old_logs_without_ran_are_still_read_by_call() {
    let r = Repo::new(POLICY);
    let line = |path: &str, decision: &str| {
        json!({"ts":"2026-11-24T06:00:00.000001Z","session_id":"s","agent_id":null,"agent_type":null,
               "role":"builder","role_source":"env","tool":"Bash","path":path,"decision":decision,
               "violation":decision == "deny","rule":"r"})
        .to_string()
    };
    fs::create_dir_all(r.root.join(".lanes")).unwrap();
    fs::write(
        r.root.join(".lanes/audit.jsonl"),
        format!(
            "{}\n{}\n",
            line("src/a.rs", "allow"),
            line("research/x.md", "deny")
        ),
    )
    .unwrap();
    let v = report_json(&r, &r.root);
    assert_eq!(items(&v["groups"][0]["written"]), Vec::<String>::new());
    assert_eq!(items(&v["groups"][0]["denied"]), ["research/x.md"]);
}

// ---------------------------------------------------------------- finding 4

#[test]
fn the_branch_checked_out_names_the_role_after_agent_type_and_lanes_role() {
    let (r, wts) = with_worktrees(&["lanes/builder"]);
    let wt = &wts[0];
    let write = |rel: &str| json!({"file_path": wt.join(rel), "content": "x"});
    // No LANES_ROLE, no agent_type: the builder's worktree makes the session the builder.
    let reason = r
        .hook()
        .cwd(wt)
        .tool("Write", write("research/x.md"))
        .run()
        .denied();
    assert!(reason.contains("builder"), "{reason}");
    let last = r.audit_in(wt).pop().unwrap();
    assert_eq!(
        (last["role"].as_str(), last["role_source"].as_str()),
        (Some("builder"), Some("branch"))
    );
    r.hook()
        .cwd(wt)
        .tool("Write", write("test/t.rs"))
        .run()
        .allowed();
    // LANES_ROLE and agent_type come first.
    r.hook()
        .cwd(wt)
        .role("researcher")
        .tool("Write", write("research/x.md"))
        .run()
        .allowed();
    r.hook()
        .cwd(wt)
        .agent("researcher")
        .tool("Write", write("research/y.md"))
        .run()
        .allowed();
    // A session in the main checkout, whose branch maps to no role: unassigned there.
    r.hook()
        .session("sess-main")
        .write("research/z.md")
        .run()
        .allowed();
    assert_eq!(r.audit().last().unwrap()["role_source"], "unassigned");
}

/// The branch names a session's role once: an agent that switches its checkout to another
/// role's branch keeps the role it started with; a new session takes the new branch's role.
#[test]
fn a_session_keeps_the_role_its_branch_gave_it_when_the_branch_changes() {
    let (r, wts) = with_worktrees(&["lanes/researcher"]);
    let wt = &wts[0];
    let write = |rel: &str| json!({"file_path": wt.join(rel), "content": "x"});
    r.hook()
        .cwd(wt)
        .tool("Write", write("research/a.md"))
        .run()
        .allowed();
    let switched = std::process::Command::new("git")
        .args(["checkout", "-q", "-b", "lanes/builder"])
        .current_dir(wt)
        .status()
        .unwrap();
    assert!(switched.success());
    let reason = r
        .hook()
        .cwd(wt)
        .tool("Write", write("src/x.rs"))
        .run()
        .denied();
    assert!(reason.contains("You are the researcher"), "{reason}");
    let last = r.audit_in(wt).pop().unwrap();
    assert_eq!(
        (last["role"].as_str(), last["role_source"].as_str()),
        (Some("researcher"), Some("branch"))
    );
    // Another session started on the builder's branch is the builder.
    let mut payload: Value =
        serde_json::from_slice(&r.hook().cwd(wt).tool("Write", write("src/x.rs")).payload())
            .unwrap();
    payload["session_id"] = json!("sess-2");
    r.hook()
        .stdin(payload.to_string().as_bytes())
        .run()
        .allowed();
    assert_eq!(r.audit_in(wt).pop().unwrap()["role"], "builder");
}

#[test]
fn wait_finds_the_signal_file_in_the_worktree_of_the_role() {
    let (r, wts) = with_worktrees(&["lanes/researcher"]);
    fs::create_dir_all(wts[0].join("research")).unwrap();
    fs::write(wts[0].join("research/DONE.md"), "## Findings\n- x\n").unwrap();
    let out = lanes(
        &r,
        &r.root,
        &["wait", "researcher", "--timeout", "5", "--settle", "0"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("wt-researcher/research/DONE.md"),
        "{stderr}"
    );
    // `lanes status` reads it where `lanes wait` does, and shows `after`.
    let out = lanes(&r, &r.root, &["status", "--settle", "0"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "signal research/DONE.md in {}: complete",
            wts[0].display()
        )),
        "{stdout}"
    );
    // A role whose branch no checkout has out is looked for here, with a note.
    fs::remove_dir_all(&wts[0]).unwrap();
    r.git(&["worktree", "prune"]);
    let out = lanes(
        &r,
        &r.root,
        &["wait", "researcher", "--timeout", "0.2", "--settle", "0"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no checkout has a branch of role 'researcher' out"),
        "{stderr}"
    );
}

#[test]
fn report_reads_the_audit_log_of_every_worktree() {
    let (r, wts) = with_worktrees(&["lanes/builder", "lanes/researcher"]);
    let file = |wt: &Path, rel: &str| json!({"file_path": wt.join(rel), "content": "x"});
    r.hook()
        .cwd(&wts[0])
        .tool("Write", file(&wts[0], "src/a.rs"))
        .run()
        .allowed();
    // The researcher is another session, in its own worktree.
    r.hook()
        .session("sess-researcher")
        .cwd(&wts[1])
        .tool("Write", file(&wts[1], "research/n.md"))
        .run()
        .allowed();
    r.hook()
        .role("reviewer")
        .write("reviews/r.md")
        .run()
        .allowed();
    for dir in [&r.root, &wts[0]] {
        let v = report_json(&r, dir);
        assert_eq!(v["logs"].as_array().unwrap().len(), 3, "{v:#}");
        let mut roles: Vec<&str> = v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["role"].as_str().unwrap())
            .collect();
        roles.sort();
        assert_eq!(roles, ["builder", "researcher", "reviewer"]);
    }
}

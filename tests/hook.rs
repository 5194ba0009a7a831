//! `lanes hook` through the real binary, on the payload shapes Claude Code sends
//! (shared/reference/claude-code-hooks.md, sections 3 and 10).

mod support;

use serde_json::{json, Value};
use std::fs;
use std::os::unix::fs::symlink;
use support::Repo;

const POLICY: &str = r#"
mode = "enforce"
unassigned = "allow"
audit = ".lanes/audit.jsonl"

[roles.researcher]
description = "Researches; never writes code."
write = ["research/"]
agents = ["researcher", "scout"]
signal = "research/DONE.md"

[roles.builder]
write = ["src/", "package.json"]
spawn = ["reviewer"]

[roles.reviewer]
write = ["reviews/"]

[shared]
write = ["target/", "node_modules/"]

[protected]
paths = ["contracts/"]
"#;

fn repo() -> Repo {
    Repo::new(POLICY)
}

#[test]
fn in_lane_write_is_allowed_silently_and_recorded() {
    let r = repo();
    r.hook()
        .role("builder")
        .write("src/main.rs")
        .run()
        .allowed();
    let log = r.audit();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["path"], "src/main.rs");
    assert_eq!(log[0]["role"], "builder");
    assert_eq!(log[0]["role_source"], "env");
    assert_eq!(log[0]["decision"], "allow");
    assert_eq!(log[0]["violation"], false);
    assert_eq!(log[0]["rule"], "own lane: src/");
    assert_eq!(log[0]["tool"], "Write");
    assert_eq!(log[0]["session_id"], "sess-1");
    assert!(humantime::parse_rfc3339(log[0]["ts"].as_str().unwrap()).is_ok());
}

#[test]
fn out_of_lane_write_is_denied_with_a_reason_that_re_anchors_the_agent() {
    let r = repo();
    let reason = r
        .hook()
        .role("researcher")
        .write("src/main.rs")
        .run()
        .denied();
    assert_eq!(
        reason,
        "lanes blocked Write to src/main.rs: that path is in the lane of role 'builder' (pattern `src/`). \
         You are the researcher (Researches; never writes code); you may write research/ and the shared paths \
         target/, node_modules/. Do the work inside your own lane, and if something outside it needs to change, \
         write that down in research/NOTES.md instead of writing it. Re-read CLAUDE.md. You are the \
         researcher; you write to research/ only."
    );
    let log = r.audit();
    assert_eq!(log[0]["decision"], "deny");
    assert_eq!(log[0]["violation"], true);
    assert_eq!(log[0]["rule"], "lane of builder: src/");
}

#[test]
fn every_file_tool_names_its_path() {
    let r = repo();
    let edit = json!({"file_path": r.abs("research/a.md"), "old_string": "a", "new_string": "b", "replace_all": false});
    r.hook().role("builder").tool("Edit", edit).run().denied();
    let multi = json!({"file_path": r.abs("research/a.md"), "edits": [{"old_string": "a", "new_string": "b"}]});
    r.hook()
        .role("builder")
        .tool("MultiEdit", multi)
        .run()
        .denied();
    let nb = json!({"notebook_path": r.abs("research/n.ipynb"), "new_source": "x", "edit_mode": "replace"});
    r.hook()
        .role("builder")
        .tool("NotebookEdit", nb)
        .run()
        .denied();
    let nb = json!({"notebook_path": r.abs("src/n.ipynb"), "new_source": "x"});
    r.hook()
        .role("builder")
        .tool("NotebookEdit", nb)
        .run()
        .allowed();
}

#[test]
fn paths_are_resolved_against_cwd_and_normalized() {
    let r = repo();
    let src = r.root.join("src");
    r.hook()
        .role("builder")
        .cwd(&src)
        .write_raw("../research/x.md")
        .run()
        .denied();
    r.hook()
        .role("builder")
        .cwd(&src)
        .write_raw("./util//mod.rs")
        .run()
        .allowed();
    r.hook()
        .role("builder")
        .write_raw(&format!("{}/src/../research/x", r.root.display()))
        .run()
        .denied();
    // A prefix is not a parent.
    let reason = r
        .hook()
        .role("researcher")
        .write("researchers/x.md")
        .run()
        .denied();
    assert!(
        reason.contains("researchers/x.md: that path lies outside every lane"),
        "{reason}"
    );
}

#[test]
fn symlinks_cannot_reach_another_lane() {
    let r = repo();
    symlink("../research", r.root.join("src/link")).unwrap();
    let reason = r
        .hook()
        .role("builder")
        .write("src/link/notes.md")
        .run()
        .denied();
    assert!(
        reason.starts_with("lanes blocked Write to research/notes.md:"),
        "{reason}"
    );
    // A dangling link made in one's own lane, pointing into another lane.
    symlink("../research/later.md", r.root.join("src/dangling")).unwrap();
    r.hook()
        .role("builder")
        .write("src/dangling")
        .run()
        .denied();
    // A link to somewhere in one's own lane is fine.
    symlink("main.rs", r.root.join("src/alias.rs")).unwrap();
    r.hook()
        .role("builder")
        .write("src/alias.rs")
        .run()
        .allowed();
}

#[test]
fn files_no_lane_names_are_out_of_lane() {
    let r = repo();
    let reason = r.hook().role("builder").write("README.md").run().denied();
    assert!(
        reason.contains("README.md: that path lies outside every lane"),
        "{reason}"
    );
    r.hook()
        .role("builder")
        .write("package.json")
        .run()
        .allowed();
    r.hook()
        .role("builder")
        .write("web/package.json")
        .run()
        .denied();
}

#[test]
fn shared_lanes_are_open_to_every_role() {
    let r = repo();
    r.hook()
        .role("researcher")
        .write("target/debug/x")
        .run()
        .allowed();
    r.hook()
        .role("builder")
        .write("node_modules/x/index.js")
        .run()
        .allowed();
}

#[test]
fn protected_paths_are_closed_to_every_role() {
    let r = repo();
    let reason = r
        .hook()
        .role("builder")
        .write("contracts/api.md")
        .run()
        .denied();
    assert!(
        reason.contains("that path is protected (pattern `contracts/`); no role may write it"),
        "{reason}"
    );
    for p in [
        "lanes.toml",
        ".claude/settings.json",
        ".claude/agents/builder.md",
        ".git/hooks/pre-commit",
        ".lanes/audit.jsonl",
    ] {
        let reason = r.hook().role("builder").write(p).run().denied();
        assert!(
            reason.contains("that path is always protected"),
            "{p}: {reason}"
        );
    }
    // Unassigned sessions (the person, a lead) may, with `unassigned = "allow"`.
    r.hook().write("contracts/api.md").run().allowed();
}

#[test]
fn writes_outside_the_project_are_allowed() {
    let r = repo();
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("scratch.txt");
    r.hook()
        .role("researcher")
        .write_raw(path.to_str().unwrap())
        .run()
        .allowed();
    assert_eq!(r.audit()[0]["rule"], "outside the project");
}

#[test]
fn another_checkout_of_the_same_repository_is_judged_as_at_home() {
    let r = repo();
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "init"]);
    let wt = r.dir.path().join("wt");
    r.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "-b", "wt"]);
    let wt = wt.canonicalize().unwrap();
    let reason = r
        .hook()
        .role("builder")
        .write_raw(wt.join("research/x.md").to_str().unwrap())
        .run()
        .denied();
    assert!(
        reason.contains("in the lane of role 'researcher'"),
        "{reason}"
    );
    r.hook()
        .role("builder")
        .write_raw(wt.join("src/x.rs").to_str().unwrap())
        .run()
        .allowed();
    // And from inside the worktree, the main checkout is another checkout.
    let main_research = r.root.join("research/y.md");
    r.hook()
        .role("builder")
        .cwd(&wt)
        .write_raw(main_research.to_str().unwrap())
        .run()
        .denied();
}

#[test]
fn a_worktree_nested_in_the_project_is_judged_against_its_own_root() {
    let r = repo();
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "init"]);
    r.git(&[
        "worktree",
        "add",
        "-q",
        ".claude/worktrees/feature",
        "-b",
        "feature",
    ]);
    // Not `.claude/` (protected): `src/a.rs` of that checkout.
    r.hook()
        .role("builder")
        .write(".claude/worktrees/feature/src/a.rs")
        .run()
        .allowed();
    r.hook()
        .role("builder")
        .write(".claude/worktrees/feature/research/a.md")
        .run()
        .denied();
}

#[test]
fn role_comes_from_agent_type_then_env() {
    let r = repo();
    r.hook()
        .agent("scout")
        .write("research/a.md")
        .run()
        .allowed();
    let log = r.audit();
    assert_eq!(
        (log[0]["role"].as_str(), log[0]["role_source"].as_str()),
        (Some("researcher"), Some("agent_type"))
    );
    // agent_type beats LANES_ROLE.
    r.hook()
        .agent("researcher")
        .role("builder")
        .write("src/a.rs")
        .run()
        .denied();
    // A built-in subagent type inherits the session's role.
    r.hook()
        .agent("general-purpose")
        .role("builder")
        .write("src/a.rs")
        .run()
        .allowed();
    r.hook()
        .agent("general-purpose")
        .role("builder")
        .write("research/a.md")
        .run()
        .denied();
    assert_eq!(r.audit().last().unwrap()["role_source"], "env");
}

#[test]
fn an_unknown_role_fails_closed_and_lists_the_roles() {
    let r = repo();
    let reason = r.hook().role("buidler").write("src/a.rs").run().denied();
    assert!(
        reason.contains("the session's role 'buidler' (from env) is not defined in"),
        "{reason}"
    );
    assert!(
        reason.ends_with("Use one of: researcher, builder, reviewer."),
        "{reason}"
    );
    // Even outside the project.
    r.hook()
        .role("buidler")
        .write_raw("/tmp/lanes-unknown-role.txt")
        .run()
        .denied();
}

#[test]
fn unassigned_sessions_follow_the_policy() {
    let r = repo();
    r.hook().write("src/a.rs").run().allowed();
    assert_eq!(r.audit()[0]["role_source"], "unassigned");
    let r = Repo::new(&POLICY.replace("unassigned = \"allow\"", "unassigned = \"deny\""));
    let reason = r.hook().write("src/a.rs").run().denied();
    assert!(reason.contains("this session has no role"), "{reason}");
}

#[test]
fn log_mode_allows_and_records_the_violation() {
    let r = Repo::new(&POLICY.replace("mode = \"enforce\"", "mode = \"log\""));
    r.hook()
        .role("researcher")
        .write("src/a.rs")
        .run()
        .allowed();
    let log = r.audit();
    assert_eq!(
        (log[0]["decision"].as_str(), log[0]["violation"].as_bool()),
        (Some("allow"), Some(true))
    );
}

#[test]
fn audit_can_be_turned_off() {
    let r = Repo::new(&POLICY.replace("audit = \".lanes/audit.jsonl\"", "audit = false"));
    r.hook().role("researcher").write("src/a.rs").run().denied();
    assert!(!r.root.join(".lanes").exists());
}

#[test]
fn subagents_cannot_launder_another_role() {
    let r = repo();
    let spawn = |t: &str| json!({"description": "d", "prompt": "p", "subagent_type": t});
    let reason = r
        .hook()
        .role("builder")
        .tool("Agent", spawn("researcher"))
        .run()
        .denied();
    assert!(
        reason.contains("a 'researcher' subagent acts as role 'researcher'"),
        "{reason}"
    );
    r.hook()
        .role("builder")
        .tool("Agent", spawn("reviewer"))
        .run()
        .allowed(); // listed in spawn
    r.hook()
        .role("builder")
        .tool("Agent", spawn("builder"))
        .run()
        .allowed();
    r.hook()
        .role("builder")
        .tool("Agent", spawn("Explore"))
        .run()
        .allowed(); // maps to no role
    r.hook()
        .role("builder")
        .tool("Task", json!({"prompt": "p"}))
        .run()
        .allowed();
    r.hook().tool("Agent", spawn("researcher")).run().allowed(); // a lead may start any
    let log = r.audit();
    assert_eq!(log[0]["tool"], "Agent");
    assert_eq!(log[0]["path"], Value::Null);
    assert_eq!(log[0]["extra"]["subagent_type"], "researcher");
}

#[test]
fn mcp_filesystem_tools_are_judged_by_their_path_fields() {
    let r = repo();
    let w = json!({"path": r.abs("research/a.md"), "content": "x"});
    r.hook()
        .role("builder")
        .tool("mcp__filesystem__write_file", w)
        .run()
        .denied();
    let mv = json!({"source": r.abs("research/a.md"), "destination": r.abs("src/a.md")});
    let reason = r
        .hook()
        .role("builder")
        .tool("mcp__filesystem__move_file", mv)
        .run()
        .denied();
    assert!(
        reason.contains("research/a.md"),
        "moving a file out of another lane writes it: {reason}"
    );
    let mv = json!({"source": r.abs("src/a.md"), "destination": r.abs("src/b.md")});
    r.hook()
        .role("builder")
        .tool("mcp__filesystem__move_file", mv)
        .run()
        .allowed();
    r.hook()
        .role("builder")
        .tool("mcp__memory__store", json!({"path": "research/a"}))
        .run()
        .allowed();
    // A mapped tool whose field is missing is blocked, not waved through.
    r.hook()
        .role("builder")
        .tool("mcp__filesystem__write_file", json!({}))
        .run()
        .blocked();
}

#[test]
fn mcp_tools_can_be_mapped_in_the_policy() {
    let r = Repo::new(&format!(
        "{POLICY}\n[mcp_tools]\n\"mcp__notes__*\" = [\"files\"]\n"
    ));
    let call = json!({"files": [r.abs("src/a"), r.abs("research/b")]});
    let reason = r
        .hook()
        .role("builder")
        .tool("mcp__notes__save", call)
        .run()
        .denied();
    assert!(reason.contains("research/b"), "{reason}");
}

#[test]
fn tools_that_write_nothing_pass_even_with_a_broken_policy() {
    let r = Repo::new("this is not toml");
    r.hook()
        .role("builder")
        .tool("Read", json!({"file_path": r.abs("src/a")}))
        .run()
        .allowed();
    r.hook()
        .role("builder")
        .tool("Grep", json!({"pattern": "x"}))
        .run()
        .allowed();
    r.hook().role("builder").write("src/a.rs").run().blocked();
}

#[test]
fn without_a_policy_everything_passes_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let r = Repo::bare(dir.path());
    r.hook()
        .role("builder")
        .write("anything.txt")
        .run()
        .allowed();
    assert!(!dir.path().join(".lanes").exists());
}

#[test]
fn an_explicit_policy_judges_its_project_and_each_other_path_its_own_project() {
    let r = repo();
    let other = tempfile::tempdir().unwrap();
    let file = other.path().join("strict.toml");
    fs::write(&file, "[roles.builder]\nwrite = [\"nothing/\"]\n").unwrap();
    // The explicit policy's directory is its project root; the repository keeps its own
    // policy, which still judges writes into it.
    r.hook()
        .role("builder")
        .arg("--policy")
        .arg(file.to_str().unwrap())
        .write("research/x")
        .run()
        .denied();
    r.hook()
        .role("builder")
        .arg("--policy")
        .arg(file.to_str().unwrap())
        .write("src/x")
        .run()
        .allowed();
    r.hook()
        .role("builder")
        .env("LANES_POLICY", "/nonexistent/lanes.toml")
        .write("src/x")
        .run()
        .blocked();
}

#[test]
fn a_role_cannot_choose_the_policy_that_judges_it() {
    let r = repo();
    let elsewhere = tempfile::tempdir().unwrap();
    let elsewhere = elsewhere.path().canonicalize().unwrap();
    // From a cwd outside the project, by absolute path: still the project's policy.
    r.hook()
        .role("builder")
        .cwd(&elsewhere)
        .write_raw(&r.abs("research/notes.md"))
        .run()
        .denied();
    r.hook()
        .role("builder")
        .cwd(&elsewhere)
        .write_raw(&r.abs("src/ok.rs"))
        .run()
        .allowed();
    // A relative LANES_POLICY would follow the call's cwd, which the agent picks.
    r.hook()
        .role("builder")
        .env("LANES_POLICY", "lanes.toml")
        .write("src/x")
        .run()
        .blocked();
    // A lanes.toml below the root does not govern, and no role may write one anywhere.
    fs::write(
        r.root.join("src/lanes.toml"),
        "[roles.builder]\nwrite = [\"**\"]\n",
    )
    .unwrap();
    r.hook()
        .role("builder")
        .cwd(&r.root.join("src"))
        .write("research/DONE.md")
        .run()
        .denied();
    for path in [r.abs("src/lanes.toml"), r.abs("src/sub/lanes.toml")] {
        r.hook().role("builder").write_raw(&path).run().denied();
    }
    r.hook()
        .role("builder")
        .write_raw(elsewhere.join("lanes.toml").to_str().unwrap())
        .run()
        .denied();
}

#[test]
fn a_role_cannot_write_the_user_configuration_that_would_unhook_lanes() {
    let r = repo();
    let home = tempfile::tempdir().unwrap();
    let home = home.path().canonicalize().unwrap();
    let lanes = std::path::Path::new(env!("CARGO_BIN_EXE_lanes"))
        .canonicalize()
        .unwrap();
    for (path, why) in [
        (
            home.join(".claude/settings.json"),
            "Claude Code's user settings",
        ),
        (home.join(".claude.json"), "Claude Code's user settings"),
        (home.join(".gitconfig"), "git's global configuration"),
        (
            home.join(".config/git/config"),
            "git's global configuration",
        ),
        (
            home.join(".codex/config.toml"),
            "Codex's user configuration",
        ),
        (
            home.join(".gemini/settings.json"),
            "Gemini CLI's user settings",
        ),
        (lanes.clone(), "the lanes executable"),
    ] {
        let out = r
            .hook()
            .role("builder")
            .env("HOME", home.to_str().unwrap())
            .write_raw(path.to_str().unwrap())
            .run();
        assert!(
            out.stdout.contains(why),
            "{}: {}",
            path.display(),
            out.stdout
        );
        out.denied();
        // The human's own session may.
        r.hook()
            .env("HOME", home.to_str().unwrap())
            .write_raw(path.to_str().unwrap())
            .run()
            .allowed();
    }
    r.hook()
        .role("builder")
        .env("HOME", home.to_str().unwrap())
        .write_raw(home.join("notes.txt").to_str().unwrap())
        .run()
        .allowed();
}

// ---- Every error path blocks (exit 2), never allows --------------------------------------

#[test]
fn input_that_is_not_json_blocks() {
    let r = repo();
    let err = r.hook().stdin(b"{not json").run().blocked();
    assert!(err.starts_with("lanes could not judge this tool call, so it is blocked (lanes fails closed): the hook input is not a PreToolUse JSON object"), "{err}");
    r.hook().stdin(b"").run().blocked();
    r.hook().stdin(b"[]").run().blocked();
}

#[test]
fn missing_or_malformed_paths_block() {
    let r = repo();
    let err = r
        .hook()
        .role("builder")
        .tool("Write", json!({"content": "x"}))
        .run()
        .blocked();
    assert!(
        err.ends_with("Write call has no `tool_input.file_path`"),
        "{err}"
    );
    let err = r
        .hook()
        .role("builder")
        .tool("Write", json!({"file_path": ["a"]}))
        .run()
        .blocked();
    assert!(
        err.ends_with("Write call's `tool_input.file_path` is not a string path"),
        "{err}"
    );
    r.hook()
        .role("builder")
        .tool("Write", json!({"file_path": ""}))
        .run()
        .blocked();
    r.hook()
        .role("builder")
        .tool("Write", json!({"file_path": "src/a\u{0}b"}))
        .run()
        .blocked();
    r.hook()
        .role("builder")
        .tool("Agent", json!({"subagent_type": 3}))
        .run()
        .blocked();
    let err = r
        .hook()
        .role("builder")
        .no_cwd()
        .write_raw("/x")
        .run()
        .blocked();
    assert!(err.ends_with("the hook input has no `cwd`"), "{err}");
}

#[test]
fn an_invalid_policy_blocks_and_names_file_line_and_key() {
    let r = Repo::new("[roles.builder]\nwrite = [\"src/\"]\nwirte = 1\n");
    let err = r.hook().role("builder").write("src/a").run().blocked();
    assert!(
        err.contains("lanes.toml:3:1: roles.builder.wirte: unknown field `wirte`"),
        "{err}"
    );
    let r = Repo::new("[roles.builder]\nwrite = [\"src/[z-a]\"]\n");
    let err = r.hook().role("builder").write("src/a").run().blocked();
    assert!(
        err.contains("lanes.toml:2:10: roles.builder.write: invalid pattern `src/[z-a]`"),
        "{err}"
    );
}

#[test]
fn an_unreadable_policy_blocks() {
    let r = repo();
    fs::remove_file(r.root.join("lanes.toml")).unwrap();
    fs::create_dir(r.root.join("lanes.toml")).unwrap();
    let err = r.hook().role("builder").write("src/a").run().blocked();
    assert!(err.contains("cannot read the policy"), "{err}");
}

#[test]
fn a_symlink_loop_blocks() {
    let r = repo();
    symlink("b", r.root.join("src/a")).unwrap();
    symlink("a", r.root.join("src/b")).unwrap();
    let err = r.hook().role("builder").write("src/a/x").run().blocked();
    assert!(err.contains("too many symlinks"), "{err}");
}

#[test]
fn an_audit_log_that_cannot_be_written_blocks() {
    let r = repo();
    fs::write(r.root.join(".lanes"), "a file where the folder should be").unwrap();
    let err = r.hook().role("builder").write("src/a.rs").run().blocked();
    assert!(err.contains("cannot append to the audit log"), "{err}");
}

#[test]
fn a_panic_blocks_instead_of_exiting_101() {
    let r = repo();
    let err = r
        .hook()
        .env("LANES_FAULT", "panic")
        .role("builder")
        .write("src/a.rs")
        .run()
        .blocked();
    assert!(
        err.contains("lanes blocked this tool call because it failed internally"),
        "{err}"
    );
}

#[test]
fn running_past_the_deadline_blocks() {
    let r = repo();
    // stdin is never closed, so the hook would wait forever without its watchdog.
    let out = r
        .hook()
        .env("LANES_HOOK_DEADLINE_MS", "100")
        .run_with_open_stdin();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("longer than its 100 ms deadline"));
}

#[test]
fn the_deadline_holds_when_sigalrm_is_blocked_and_ignored_by_the_parent() {
    // The deadline is a SIGALRM timer; a blocked signal mask and an ignored disposition are
    // inherited across exec, so lanes must unblock it and install its own handler.
    let r = repo();
    let script = "import os, signal, sys\n\
                  signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\n\
                  signal.signal(signal.SIGALRM, signal.SIG_IGN)\n\
                  os.execv(sys.argv[1], sys.argv[1:])\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, env!("CARGO_BIN_EXE_lanes"), "hook"])
        .env_remove("LANES_ROLE")
        .env_remove("LANES_POLICY")
        .env("LANES_HOOK_DEADLINE_MS", "100")
        .current_dir(&r.root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (the test suite needs it)");
    let _keep_open = child.stdin.take();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() && start.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("longer than its 100 ms deadline"));
}

#[test]
fn a_hook_whose_stderr_cannot_be_written_still_blocks_with_exit_2() {
    // `eprintln!` panics on a failed write, and a panic in the panic hook aborts (exit 134),
    // which Claude Code would take as "let the call through".
    use std::io::Write;
    use std::process::Stdio;
    let r = repo();
    let cases: [(&str, Option<&str>, Vec<u8>, bool); 3] = [
        ("input that is not JSON", None, b"not json".to_vec(), false),
        (
            "a deny whose stdout is full too",
            Some("researcher"),
            r.hook().write("src/a.rs").payload(),
            true,
        ),
        ("a deadline overrun", Some("builder"), Vec::new(), false),
    ];
    for (what, role, input, full_stdout) in cases {
        let mut cmd = support::lanes();
        cmd.arg("hook").current_dir(&r.root);
        if let Some(role) = role {
            cmd.env("LANES_ROLE", role);
        }
        let open_stdin = input.is_empty();
        if open_stdin {
            cmd.env("LANES_HOOK_DEADLINE_MS", "100");
        }
        let full = || {
            Stdio::from(
                fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
        };
        cmd.stdin(Stdio::piped()).stderr(full());
        cmd.stdout(if full_stdout { full() } else { Stdio::null() });
        let mut child = cmd.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let _keep_open = if open_stdin {
            Some(stdin)
        } else {
            let mut stdin = stdin;
            let _ = stdin.write_all(&input);
            None
        };
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() && start.elapsed().as_secs() < 20 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(2), "{what}: {status:?}");
    }
}

#[test]
fn a_hook_whose_output_pipes_are_closed_blocks_with_exit_2_not_a_signal() {
    // A write to a pipe nobody reads raises SIGPIPE, which kills a process that does not
    // ignore it: a signal death, which Claude Code would take as "let the call through".
    use std::io::Write;
    use std::process::Stdio;
    let r = repo();
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        Stdio::from(writer)
    };
    let cases = [
        (
            "a deny",
            r.hook().role("researcher").write("src/a.rs").payload(),
        ),
        ("input that is not JSON", b"not json".to_vec()),
    ];
    for (what, input) in cases {
        let mut child = support::lanes()
            .arg("hook")
            .current_dir(&r.root)
            .env("LANES_ROLE", "researcher")
            .stdin(Stdio::piped())
            .stdout(closed())
            .stderr(closed())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&input).unwrap();
        drop(stdin);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(2), "{what}: {status:?}");
    }
}

#[test]
fn a_hook_started_with_stderr_closed_keeps_its_deadline_message_out_of_the_audit_log() {
    // With descriptor 2 closed, the audit log would get it when opened; a deadline passing
    // while the hook waits for the log's lock would then write its reason into the log.
    use std::io::Write;
    use std::process::Stdio;
    let r = repo();
    let log = r.root.join(".lanes/audit.jsonl");
    fs::create_dir_all(log.parent().unwrap()).unwrap();
    let held = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap();
    held.lock().unwrap(); // another writer holds the lock past the deadline
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" hook 2>&-")
        .arg(env!("CARGO_BIN_EXE_lanes"))
        .current_dir(&r.root)
        .env("LANES_ROLE", "builder")
        .env("LANES_HOOK_DEADLINE_MS", "300")
        .env_remove("LANES_POLICY")
        .env_remove("CLAUDE_CODE_AGENT")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(&r.hook().role("builder").write("src/a.rs").payload())
        .unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    drop(held);
    assert_eq!(status.code(), Some(2), "the deadline blocks: {status:?}");
    let text = fs::read_to_string(&log).unwrap();
    assert!(!text.contains("deadline"), "the audit log holds: {text}");
}

#[test]
fn a_deny_that_cannot_be_written_to_stdout_blocks() {
    let r = repo();
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = r
        .hook()
        .role("researcher")
        .write("src/a.rs")
        .run_with_stdout(full.into());
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.starts_with("lanes blocked Write to src/a.rs"),
        "{out:?}"
    );
}

#[test]
fn usage_errors_block_too() {
    let r = repo();
    let out = r.hook().arg("--no-such-flag").write("src/a").run();
    assert_eq!(out.code, 2, "{:?}", out.stderr);
}

#[test]
fn a_symlinked_policy_protects_the_file_it_points_to() {
    let r = repo();
    fs::create_dir(r.root.join("config")).unwrap();
    fs::rename(r.root.join("lanes.toml"), r.root.join("config/lanes.toml")).unwrap();
    symlink("config/lanes.toml", r.root.join("lanes.toml")).unwrap();
    let policy = POLICY.replace(
        "write = [\"src/\", \"package.json\"]",
        "write = [\"src/\", \"config/\"]",
    );
    fs::write(r.root.join("config/lanes.toml"), policy).unwrap();
    for p in ["config/lanes.toml", "lanes.toml"] {
        let reason = r.hook().role("builder").write(p).run().denied();
        assert!(
            reason.contains("is always protected (`config/lanes.toml`)"),
            "{p}: {reason}"
        );
    }
    r.hook()
        .role("builder")
        .write("config/other.toml")
        .run()
        .allowed();
}

#[test]
fn a_deny_with_stdout_closed_or_null_is_not_lost_but_exits_2() {
    // With descriptor 1 closed, the runtime opens /dev/null in its place: a deny written
    // there reaches no one, and exit 0 would let the call through.
    use std::io::Write;
    use std::process::Stdio;
    let r = repo();
    let deny = r.hook().role("researcher").write("src/a.rs").payload();
    let allow = r.hook().role("builder").write("src/a.rs").payload();
    let lanes = env!("CARGO_BIN_EXE_lanes");
    for (what, input, script, want) in [
        ("stdout closed", &deny, "exec \"$0\" hook >&-", 2),
        ("stdout /dev/null", &deny, "exec \"$0\" hook >/dev/null", 2),
        (
            "an allow with stdout closed",
            &allow,
            "exec \"$0\" hook >&-",
            0,
        ),
    ] {
        let mut child = std::process::Command::new("sh")
            .args(["-c", script, lanes])
            .current_dir(&r.root)
            .env(
                "LANES_ROLE",
                if want == 0 { "builder" } else { "researcher" },
            )
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(want), "{what}: {out:?}");
        if want == 2 {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains("src/a.rs"),
                "{what}: the reason goes to stderr: {err}"
            );
        }
    }
}

#[test]
fn monitor_is_judged_as_bash_and_powershell_as_an_opaque_program() {
    let r = repo();
    let monitor = |cmd: &str| json!({ "command": cmd, "description": "watch" });
    r.hook()
        .role("builder")
        .tool("Monitor", monitor("rm -rf research"))
        .run()
        .denied();
    r.hook()
        .role("builder")
        .tool("Monitor", monitor("tail -f src/log.txt"))
        .run()
        .allowed();
    // PowerShell is not analysed: a path it names in another lane denies it; otherwise it
    // is an opaque program ([bash] opaque, "allow" by default) and recorded as such.
    let ps = |cmd: &str| json!({ "command": cmd });
    r.hook()
        .role("builder")
        .tool("PowerShell", ps("Remove-Item -Recurse research"))
        .run()
        .denied();
    r.hook()
        .role("builder")
        .tool("PowerShell", ps("Get-ChildItem"))
        .run()
        .allowed();
    let audit = r.audit();
    let last = audit.last().unwrap();
    assert_eq!(last["tool"], "PowerShell");
    assert_eq!(last["extra"]["opaque"], true, "{last}");
}

#[test]
fn a_teammate_named_after_a_role_is_judged_as_that_role_at_spawn() {
    // An in-process teammate's calls carry agent_type = its name, so the name is an identity.
    let r = repo();
    let spawn = |input: serde_json::Value| r.hook().role("builder").tool("Agent", input).run();
    spawn(json!({ "name": "researcher", "prompt": "p" })).denied();
    spawn(json!({ "name": "researcher", "subagent_type": "builder", "prompt": "p" })).denied();
    spawn(json!({ "name": "helper", "prompt": "p" })).allowed();
    spawn(json!({ "name": "helper", "subagent_type": "builder", "prompt": "p" })).allowed();
}

#[test]
fn subagents_and_teammates_of_an_agent_session_act_as_the_role_they_were_started_under() {
    // `claude --agent builder`: the main agent's calls carry agent_type without agent_id; a
    // general-purpose subagent's carry its own type and an agent_id, and no LANES_ROLE.
    let r = repo();
    let call = |agent_type: &str, agent_id: Option<&str>, tool: &str, input: Value| {
        let mut v = json!({
            "session_id": "0f6c2a9e-1111-4222-8333-944455556666",
            "cwd": r.root.to_str().unwrap(),
            "hook_event_name": "PreToolUse",
            "tool_name": tool,
            "tool_input": input,
            "agent_type": agent_type,
        });
        if let Some(id) = agent_id {
            v["agent_id"] = json!(id);
        }
        r.hook().stdin(&serde_json::to_vec(&v).unwrap()).run()
    };
    let bash = |cmd: &str| json!({ "command": cmd });
    call(
        "builder",
        None,
        "Write",
        json!({ "file_path": r.abs("src/a.rs"), "content": "x" }),
    )
    .allowed();
    let out = call(
        "general-purpose",
        Some("a1"),
        "Bash",
        bash("rm -rf research"),
    );
    assert!(out.stdout.contains("You are the builder"), "{}", out.stdout);
    out.denied();
    call(
        "general-purpose",
        Some("a1"),
        "Bash",
        bash("touch src/b.rs"),
    )
    .allowed();
    let last = r.audit().pop().unwrap();
    assert_eq!(last["role"], "builder");
    assert_eq!(last["role_source"], "session");
    // A teammate started by name as a reviewer acts as the reviewer, under its name.
    call(
        "builder",
        None,
        "Agent",
        json!({ "name": "rev1", "subagent_type": "reviewer", "prompt": "p" }),
    )
    .allowed();
    call("rev1", Some("arev1-1"), "Bash", bash("touch reviews/r.md")).allowed();
    call("rev1", Some("arev1-1"), "Bash", bash("touch src/c.rs")).denied();
    // Another session knows nothing of these: its general-purpose subagent is unassigned.
    let mut other = json!({
        "session_id": "another-session",
        "cwd": r.root.to_str().unwrap(),
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": bash("touch research/x"),
        "agent_type": "general-purpose",
        "agent_id": "a2",
    });
    r.hook()
        .stdin(&serde_json::to_vec(&other).unwrap())
        .run()
        .allowed();
    // No role may forge the memory.
    other["tool_input"] =
        bash("echo '{\"role\":\"researcher\"}' > .lanes/sessions/another-session.json");
    other["agent_type"] = json!("builder");
    other.as_object_mut().unwrap().remove("agent_id");
    r.hook()
        .stdin(&serde_json::to_vec(&other).unwrap())
        .run()
        .denied();
}

#[test]
fn a_path_longer_than_the_kernel_takes_blocks_at_once() {
    // 10,000 components: walking them one by one would cost time that grows with the square.
    let r = repo();
    let deep = format!("src/{}x", "a/".repeat(10_000));
    let err = r.hook().role("builder").write(&deep).run().blocked();
    assert!(
        err.contains("more than the 4096 bytes lanes judges"),
        "{}",
        &err[err.len() - 200..]
    );
    let bash = json!({ "command": format!("touch src/{}x", "./".repeat(10_000)) });
    let err = r.hook().role("builder").tool("Bash", bash).run().blocked();
    assert!(
        err.contains("more than the 4096 bytes lanes judges"),
        "{}",
        &err[err.len() - 200..]
    );
}

/// A policy whose builder is named by the branch alone (no `LANES_ROLE`, no `agent_type`).
const BRANCH_POLICY: &str = r#"
mode = "enforce"
unassigned = "allow"

[roles.builder]
write = ["src/"]
branches = ["build/*"]

[roles.researcher]
write = ["research/"]
"#;

#[test]
fn a_role_from_the_branch_stays_with_the_session_when_it_switches_branches() {
    let r = Repo::new(BRANCH_POLICY);
    r.git(&["symbolic-ref", "HEAD", "refs/heads/build/x"]);
    let reason = r.hook().write("research/a.md").run().denied();
    assert!(reason.contains("You are the builder"), "{reason}");
    // `git switch main` mid-session: the branch no longer names a role, the session does.
    r.git(&["symbolic-ref", "HEAD", "refs/heads/main"]);
    let reason = r.hook().write("research/a.md").run().denied();
    assert!(reason.contains("You are the builder"), "{reason}");
    // A session started on main is unassigned, and stays so on a builder branch.
    r.hook()
        .session("sess-2")
        .write("research/a.md")
        .run()
        .allowed();
    r.git(&["symbolic-ref", "HEAD", "refs/heads/build/y"]);
    r.hook()
        .session("sess-2")
        .write("research/a.md")
        .run()
        .allowed();
}

#[test]
fn every_client_blocks_with_exit_2_when_stderr_cannot_be_written() {
    // With stderr lost, Codex and Gemini would run a call on exit 2 alone (they need a
    // reason): the block on stdout must still be whole. A failure before the payload is
    // read (the deadline), while judging (input that is not JSON), and a panic.
    use std::io::Write;
    use std::process::Stdio;
    let r = repo();
    for client in ["claude", "codex", "copilot", "gemini"] {
        for (what, input, env) in [
            ("input that is not JSON", Some("not json"), None),
            ("a panic", Some("{}"), Some(("LANES_FAULT", "panic"))),
            (
                "a deadline overrun",
                None,
                Some(("LANES_HOOK_DEADLINE_MS", "100")),
            ),
        ] {
            let mut cmd = support::lanes();
            cmd.args(["hook", "--client", client])
                .current_dir(&r.root)
                .env("LANES_ROLE", "builder")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::from(
                    fs::OpenOptions::new()
                        .write(true)
                        .open("/dev/full")
                        .unwrap(),
                ));
            if let Some((k, v)) = env {
                cmd.env(k, v);
            }
            let mut child = cmd.spawn().unwrap();
            let stdin = child.stdin.take().unwrap();
            let _keep_open = match input {
                Some(text) => {
                    let mut stdin = stdin;
                    let _ = stdin.write_all(text.as_bytes());
                    None
                }
                None => Some(stdin),
            };
            let out = child.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{client}, {what}: {out:?}");
            let stdout = String::from_utf8_lossy(&out.stdout);
            if client == "claude" {
                assert_eq!(stdout, "", "{client}, {what}");
            } else {
                let v: Value = serde_json::from_str(stdout.trim())
                    .unwrap_or_else(|e| panic!("{client}, {what}: {e}: {stdout:?}"));
                assert_eq!(v["decision"], "block", "{client}, {what}: {v}");
                assert!(
                    !v["reason"].as_str().unwrap_or_default().is_empty(),
                    "{client}, {what}: {v}"
                );
            }
        }
    }
}

#[test]
fn a_role_from_the_branch_stays_with_the_session_in_another_checkout() {
    let r = Repo::new(BRANCH_POLICY);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "init"]);
    let wt = r.dir.path().join("wt");
    r.git(&[
        "worktree",
        "add",
        "-q",
        wt.to_str().unwrap(),
        "-b",
        "build/x",
    ]);
    let wt = wt.canonicalize().unwrap();
    let in_wt = |rel: &str| wt.join(rel).to_string_lossy().into_owned();
    let reason = r
        .hook()
        .cwd(&wt)
        .write_raw(&in_wt("research/a.md"))
        .run()
        .denied();
    assert!(reason.contains("You are the builder"), "{reason}");
    // The same session then runs in the main checkout (a `cd`, Codex's `workdir`), whose
    // branch names no role: it is still the builder, there and in its own worktree.
    let reason = r.hook().write("research/a.md").run().denied();
    assert!(reason.contains("You are the builder"), "{reason}");
    let reason = r.hook().write_raw(&in_wt("research/b.md")).run().denied();
    assert!(reason.contains("You are the builder"), "{reason}");
}

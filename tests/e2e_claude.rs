//! End to end: the real Claude Code CLI (pinned, installed once with npm) runs this build's
//! `lanes hook` as a PreToolUse hook, while a local stub of the Messages API plays the model
//! and makes scripted tool calls. Each test asserts on disk that in-lane writes land and
//! out-of-lane writes do not, and that the audit log records the denial and its role source.
//!
//! Needs npm (first run only; the CLI is cached under `<target dir>/e2e-claude/`) and python3.
//! `LANES_SKIP_E2E=1` skips these tests, each saying so on stderr (`lanes-test-skipped: ...`);
//! under CI the switch fails them instead. The stub and the CLI only talk over 127.0.0.1.
#![cfg(unix)]

mod e2e;
mod skip;

use e2e::repo::POLICY;
use e2e::{scenario, Call, Scenario};

/// Whether a test of `lanes run` with the real sandbox goes ahead: not when `LANES_SKIP_E2E=1`,
/// nor when the sandbox cannot run on this machine; each of those says so (`tests/skip`), and
/// under CI fails the test instead.
fn sandbox_test_runs() -> bool {
    if e2e::skip_requested() {
        return false;
    }
    let probe = lanes::run::probe::Probe::run(Some(&e2e::host_path()));
    if !probe.ready() {
        skip::partial(&format!(
            "the sandbox cannot run here ({}); lanes run was not tried end to end \
             (.ci/test-tools installs bubblewrap and socat)",
            probe.missing().join("; ")
        ));
        return false;
    }
    true
}

/// Role from `LANES_ROLE` on the claude process.
#[test]
fn env_role_keeps_builder_in_src() {
    let Some(out) = scenario(
        Some("builder"),
        None,
        vec![
            Call::write("src/env_ok.rs", "fn ok() {}\n"),
            Call::write("target/env_shared.txt", "shared lane\n"),
            Call::write("research/env_no.txt", "not the builder's\n"),
        ],
    ) else {
        return;
    };
    out.assert_landed("src/env_ok.rs");
    out.assert_landed("target/env_shared.txt");
    out.assert_blocked("research/env_no.txt");
    out.assert_audit(Some("src/env_ok.rs"), "allow", "env");
    let line = out.assert_audit(Some("research/env_no.txt"), "deny", "env");
    assert_eq!(line["role"], "builder", "{line}");
    assert!(line["agent_type"].is_null(), "{line}");
}

/// Role from a subagent defined in `.claude/agents/researcher.md`, started through the Agent
/// tool. The lead is `LANES_ROLE=builder` (allowed to start researchers), and the subagent
/// inherits that variable: its `agent_type` must win over it.
#[test]
fn subagent_role_keeps_researcher_in_research() {
    let policy = POLICY.replace(
        "[roles.builder]\nwrite = [\"src/\"]\n",
        "[roles.builder]\nwrite = [\"src/\"]\nspawn = [\"researcher\"]\n",
    );
    assert_ne!(policy, POLICY, "the policy edit must apply");
    let Some(out) = Scenario::new()
        .policy(&policy)
        .role_env("builder")
        .calls(vec![
            Call::write("src/lead_ok.rs", "fn lead() {}\n"),
            Call::agent(
                "researcher",
                vec![
                    // Not .md: the CLI refuses report-like markdown from subagents on its own.
                    Call::write("research/sub_ok.txt", "finding\n"),
                    Call::write("src/sub_no.rs", "fn nope() {}\n"),
                ],
            ),
        ])
        .run()
    else {
        return;
    };
    out.assert_landed("src/lead_ok.rs");
    out.assert_landed("research/sub_ok.txt");
    out.assert_blocked("src/sub_no.rs");
    out.assert_audit(Some("src/lead_ok.rs"), "allow", "env");
    out.assert_audit(Some("research/sub_ok.txt"), "allow", "agent_type");
    let line = out.assert_audit(Some("src/sub_no.rs"), "deny", "agent_type");
    assert_eq!(line["role"], "researcher", "{line}");
    assert_eq!(line["agent_type"], "researcher", "{line}");
    assert!(
        line["agent_id"].is_string(),
        "a subagent's call carries agent_id: {line}"
    );
}

/// Role from `claude --agent researcher` (the whole session: `agent_type`, no `agent_id`),
/// again against a conflicting `LANES_ROLE=builder` that must lose.
#[test]
fn agent_flag_role_keeps_researcher_in_research() {
    let Some(out) = scenario(
        Some("builder"),
        Some("researcher"),
        vec![
            Call::write("research/notes.md", "# notes\n"),
            Call::write("src/agent_no.rs", "fn nope() {}\n"),
        ],
    ) else {
        return;
    };
    out.assert_landed("research/notes.md");
    out.assert_blocked("src/agent_no.rs");
    out.assert_audit(Some("research/notes.md"), "allow", "agent_type");
    let line = out.assert_audit(Some("src/agent_no.rs"), "deny", "agent_type");
    assert_eq!(line["role"], "researcher", "{line}");
    assert_eq!(line["agent_type"], "researcher", "{line}");
    assert!(
        line["agent_id"].is_null(),
        "`--agent` sessions carry no agent_id: {line}"
    );
}

/// A builder may not start a researcher subagent (that would launder the researcher's lane):
/// the Agent call is denied, so the subagent never runs and its write never happens.
#[test]
fn builder_may_not_start_a_researcher_subagent() {
    let Some(out) = scenario(
        Some("builder"),
        None,
        vec![Call::agent(
            "researcher",
            vec![Call::write("research/laundered.txt", "x\n")],
        )],
    ) else {
        return;
    };
    out.assert_tool_denied("Agent");
    assert!(
        !out.repo.path("research/laundered.txt").exists(),
        "{}",
        out.diagnostics()
    );
    let line = out.assert_audit(None, "deny", "env");
    assert_eq!(line["tool"], "Agent", "{line}");
}

/// No role at all: `unassigned = "allow"` lets writes through anywhere.
#[test]
fn unassigned_session_may_write_anywhere() {
    let Some(out) = scenario(
        None,
        None,
        vec![
            Call::write("src/free.rs", "\n"),
            Call::write("research/free.txt", "\n"),
        ],
    ) else {
        return;
    };
    out.assert_landed("src/free.rs");
    out.assert_landed("research/free.txt");
}

/// Bash calls are judged by their effects: out-of-lane redirects, `cd other && touch`, a
/// here-document, a multi-file `sed -i`, a `cp` into another lane and an `rm` there are
/// blocked on disk; in-lane and shared writes run.
#[test]
fn env_role_bash_writes_are_kept_in_lane() {
    let Some(out) = scenario(
        Some("builder"),
        None,
        vec![
            Call::bash("echo ok > src/bash_ok.txt"),
            Call::bash("mkdir -p target && echo shared > target/bash_shared.txt"),
            Call::bash("echo no > research/bash_no.txt"),
            Call::bash("cd research && touch bash_cd.txt"),
            Call::bash("cat > research/bash_heredoc.txt <<'EOF'\nnot the builder's\nEOF"),
            Call::bash("sed -i 's/^/x/' src/bash_ok.txt research/.gitkeep"),
            Call::bash("cp src/bash_ok.txt research/bash_cp.txt"),
            Call::bash("rm -f research/.gitkeep"),
        ],
    ) else {
        return;
    };
    out.assert_landed("src/bash_ok.txt");
    out.assert_landed("target/bash_shared.txt");
    out.assert_blocked("research/bash_no.txt");
    out.assert_blocked("research/bash_heredoc.txt");
    out.assert_blocked("research/bash_cp.txt");
    if out.repo.path("research/bash_cd.txt").exists() {
        out.fail("cd research && touch went through");
    }
    out.assert_audit(Some("research/bash_cd.txt"), "deny", "env");
    // The multi-file sed was denied as a whole: neither file changed.
    let ok = std::fs::read_to_string(out.repo.path("src/bash_ok.txt")).unwrap_or_default();
    if ok != "ok\n" {
        out.fail(&format!("sed -i ran: src/bash_ok.txt is {ok:?}"));
    }
    if !out.repo.path("research/.gitkeep").exists() {
        out.fail("rm -f research/.gitkeep went through");
    }
    out.assert_audit(Some("research/.gitkeep"), "deny", "env");
    out.assert_audit(Some("research/bash_no.txt"), "deny", "env");
}

/// A repository prepared by `lanes init` alone (default template, generated settings and agent
/// files): `claude --agent builder` writes src/, is denied research/ and reviews/, and may not
/// start a reviewer subagent (the template's `spawn` is empty).
#[test]
fn a_repository_prepared_by_lanes_init_alone_is_enforced() {
    let Some(out) = Scenario::new()
        .by_init()
        .agent("builder")
        .calls(vec![
            Call::write("src/init_ok.rs", "fn ok() {}\n"),
            Call::write("research/init_no.txt", "not the builder's\n"),
            Call::write("reviews/init_no.txt", "not the builder's\n"),
            Call::agent("reviewer", vec![Call::write("reviews/sub.txt", "x\n")]),
        ])
        .run()
    else {
        return;
    };
    out.assert_landed("src/init_ok.rs");
    out.assert_blocked("research/init_no.txt");
    out.assert_blocked("reviews/init_no.txt");
    out.assert_tool_denied("Agent");
    out.assert_audit(Some("src/init_ok.rs"), "allow", "agent_type");
    out.assert_audit(Some("research/init_no.txt"), "deny", "agent_type");
}

/// `lanes run builder -- -p ...` with the real sandbox (bubblewrap): a Python write into
/// another lane, which the hook cannot see into, is stopped by the kernel, also when the model
/// asks to leave the sandbox; the same write into the builder's lane lands; the Write tool is
/// refused in another lane; and a commit made inside the sandbox passes the pre-commit
/// `lanes check` although `.lanes/` is read-only there.
#[test]
fn lanes_run_walls_a_role_off_with_the_os_sandbox() {
    if !sandbox_test_runs() {
        return;
    }
    let py = |target: &str| format!("python3 -c \"open('{target}','w').write('x')\"");
    // The lane's name is put together at run time, so only the sandbox can stop it.
    let evil = py("re'+'search/evil.txt");
    let escape = py("re'+'search/escape.txt");
    let Some(out) = Scenario::new()
        .by_init()
        .run_as("builder")
        .file("research/notes.md", "the researcher's\n")
        .calls(vec![
            Call::bash(&evil),
            Call::bash(&py("s'+'rc/good.txt")),
            Call::Raw {
                name: "Bash".into(),
                input: serde_json::json!({
                    "command": escape,
                    "description": "e2e: asks to leave the sandbox",
                    "dangerouslyDisableSandbox": true,
                }),
            },
            Call::write("reviews/no.txt", "not the builder's\n"),
            Call::write("CLAUDE.md", "overwritten by the builder\n"),
            // A write the hook sees is denied by the hook, before the sandbox.
            Call::bash("echo overwritten > research/notes.md"),
            Call::bash("git add src/good.txt && git commit -q -m 'builder: good'"),
            // Only the index changes, so the hook lets it through; lanes check refuses it.
            Call::bash(
                "git rm -q --cached research/.gitkeep && git commit -q -m 'builder: not mine'",
            ),
        ])
        .run()
    else {
        return;
    };
    out.assert_contained("search/evil.txt", "Read-only file system");
    out.assert_contained("search/escape.txt", "Read-only file system");
    assert!(!out.repo.path("research/evil.txt").exists());
    assert!(!out.repo.path("research/escape.txt").exists());
    out.assert_landed("src/good.txt");
    // Claude Code's permission rules refuse it before the hook runs.
    if out.repo.path("reviews/no.txt").exists() {
        out.fail("the Write tool wrote reviews/no.txt");
    }
    let denied = out.result().map(|r| r["permission_denials"].to_string());
    for file in ["reviews/no.txt", "CLAUDE.md"] {
        if !denied.as_deref().is_some_and(|d| d.contains(file)) {
            out.fail(&format!(
                "the Write of {file} is not among the permission denials"
            ));
        }
    }
    let claude_md = std::fs::read_to_string(out.repo.path("CLAUDE.md")).unwrap_or_default();
    if claude_md.contains("overwritten") {
        out.fail("the Write tool overwrote CLAUDE.md");
    }
    let hooked = out.tool_uses().into_iter().any(|c| {
        c["input"]["command"] == "echo overwritten > research/notes.md"
            && out.tool_results()[c["id"].as_str().unwrap_or_default()]["content"]
                .to_string()
                .contains("PreToolUse:Bash hook error: lanes blocked")
    });
    if !hooked {
        out.fail("the hook did not deny the visible write to research/notes.md");
    }
    let notes = std::fs::read_to_string(out.repo.path("research/notes.md")).unwrap_or_default();
    assert_eq!(notes, "the researcher's\n");
    let log = out.repo.git(&["log", "--format=%s", "-1"]);
    if log.trim() != "builder: good" {
        out.fail(&format!(
            "expected the in-lane commit to land and the other to be refused: last commit {log:?}"
        ));
    }
    let refused = out.tool_results().values().any(|r| {
        r["content"]
            .to_string()
            .contains("staged path out of lane: refused")
    });
    if !refused {
        out.fail("the pre-commit lanes check did not refuse the deletion in research/");
    }
    // Walled paths that did not exist are left absent on the host.
    for absent in ["contracts", ".github", "tests"] {
        if out.repo.path(absent).exists() {
            out.fail(&format!("{absent} appeared on the host"));
        }
    }
    let stderr = &out.finished.stderr;
    assert!(
        stderr.contains("lanes run: the sandbox denies Bash writes"),
        "{stderr}"
    );
}

/// After the run: with the client's diff on (`CLAUDE_CODE_BASH_EDIT_DIFF=1`, no sandbox), an
/// opaque `python3 -c` whose target the PreToolUse hook cannot see writes into the
/// researcher's lane; PostToolUse records it as a violation and the model is told at once.
#[test]
fn an_opaque_write_into_another_lane_is_detected_after_the_run_and_the_model_is_told() {
    // The path is only known when python runs (base64 of `research/x.txt`).
    let cmd = "python3 -c \"import base64; open(base64.b64decode('cmVzZWFyY2gveC50eHQ=').decode(), 'w').write('y')\"";
    let Some(out) = Scenario::new()
        .role_env("builder")
        .env("CLAUDE_CODE_BASH_EDIT_DIFF", "1")
        .calls(vec![Call::bash(cmd), Call::bash("sh -c 'exit 3'")])
        .run()
    else {
        return;
    };
    // It ran (nothing could stop it beforehand) ...
    out.assert_landed("research/x.txt");
    // ... and is recorded as a violation detected after the run ...
    let line = out.assert_audit(Some("research/x.txt"), "detected", "env");
    assert_eq!(line["violation"], true, "{line}");
    assert_eq!(line["ran"], true, "{line}");
    assert_eq!(line["extra"]["event"], "PostToolUse", "{line}");
    assert_eq!(line["rule"], "lane of researcher: research/", "{line}");
    let command = out
        .audit()
        .into_iter()
        .find(|l| l["path"].is_null() && l["extra"]["event"] == "PostToolUse")
        .unwrap_or_else(|| out.fail("no PostToolUse line for the command"));
    assert_eq!(command["extra"]["changed"], 1, "{command}");
    assert_eq!(command["extra"]["outcome"], "ok", "{command}");
    // ... and the model's next request carries the hook's message.
    let told = out.requests_mentioning("outside the lanes of role 'builder'");
    if told.is_empty() {
        out.fail("the model was never told which files it changed out of lane");
    }
    let body = told[0]["body"].to_string();
    assert!(
        body.contains("research/x.txt") && body.contains("must be restored"),
        "{body}"
    );
    // A failing command fires PostToolUseFailure: no diff, so its effects are not verified.
    let failed = out
        .audit()
        .into_iter()
        .find(|l| l["extra"]["event"] == "PostToolUseFailure")
        .unwrap_or_else(|| out.fail("no PostToolUseFailure line"));
    assert_eq!(failed["extra"]["outcome"], "Exit code 3", "{failed}");
    assert_eq!(failed["extra"]["unverified"], "failed", "{failed}");
    // The session's first prompt is its task.
    let task = out
        .audit()
        .into_iter()
        .find(|l| l["extra"]["event"] == "UserPromptSubmit")
        .unwrap_or_else(|| out.fail("no UserPromptSubmit line"));
    assert!(
        task["extra"]["prompt"]
            .as_str()
            .is_some_and(|p| p.starts_with("Run the scripted e2e calls.")),
        "{task}"
    );
}

/// The same write with the client's diff off (the default in `acceptEdits`): nothing names
/// the file, so the command is recorded as not verified, and the model is told nothing.
#[test]
fn without_the_clients_diff_an_opaque_command_is_recorded_as_not_verified() {
    let cmd = "python3 -c \"import base64; open(base64.b64decode('cmVzZWFyY2gveC50eHQ=').decode(), 'w').write('y')\"";
    let Some(out) = Scenario::new()
        .role_env("builder")
        .calls(vec![Call::bash(cmd)])
        .run()
    else {
        return;
    };
    out.assert_landed("research/x.txt");
    let command = out
        .audit()
        .into_iter()
        .find(|l| l["extra"]["event"] == "PostToolUse")
        .unwrap_or_else(|| out.fail("no PostToolUse line for the command"));
    assert_eq!(command["extra"]["unverified"], "absent", "{command}");
    assert!(out.audit().iter().all(|l| l["decision"] != "detected"));
    if !out
        .requests_mentioning("outside the lanes of role")
        .is_empty()
    {
        out.fail("the model was told of a change nobody saw");
    }
}

/// The same through `lanes run builder --no-sandbox`: the settings file lanes run passes with
/// `--settings` turns the client's diff on (`bashEditDiffEnabled`, honoured from flag
/// settings) and registers the PostToolUse hook, so the opaque write is caught after the run.
#[test]
fn lanes_run_without_the_sandbox_catches_an_opaque_write_after_the_run() {
    let cmd = "python3 -c \"open('re'+'search/x.txt','w').write('y')\"";
    let Some(out) = Scenario::new()
        .by_init()
        .run_as("builder")
        .run_args(&["--no-sandbox"])
        .calls(vec![Call::bash(cmd)])
        .run()
    else {
        return;
    };
    out.assert_landed("research/x.txt");
    let line = out.assert_audit(Some("research/x.txt"), "detected", "env");
    assert_eq!(line["violation"], true, "{line}");
    if out
        .requests_mentioning("outside the lanes of role 'builder'")
        .is_empty()
    {
        out.fail("the model was never told which files it changed out of lane");
    }
}

/// A lane whose name has a space, walled by `lanes run` while it does not exist yet: a Python
/// write into it fails, and nothing is left on the host.
#[test]
fn lanes_run_walls_a_lane_with_a_space_in_its_name() {
    if !sandbox_test_runs() {
        return;
    }
    let policy = format!("{POLICY}\n[roles.writer]\nwrite = [\"my notes/\"]\n");
    let Some(out) = Scenario::new()
        .policy(&policy)
        .run_as("builder")
        .calls(vec![
            Call::bash("python3 -c \"import os; os.makedirs('my '+'notes', exist_ok=True); open('my '+'notes/x.txt','w')\""),
            Call::bash("python3 -c \"open('s'+'rc/ok.txt','w').write('x')\""),
        ])
        .run()
    else {
        return;
    };
    out.assert_landed("src/ok.txt");
    // The sandbox binds an empty file over a walled path that does not exist.
    out.assert_contained("notes/x.txt", "File exists: 'my notes'");
    if out.repo.path("my notes").exists() {
        out.fail("`my notes` appeared on the host");
    }
}

/// `lanes run builder --layout allow-list`: the session starts in `src/`, and Bash may write only
/// the builder's lanes, the shared ones and git's folder: a new file at the project root, which
/// the deny-list layout leaves to the hook, is refused by the kernel too.
#[test]
fn lanes_run_allow_list_leaves_only_the_lanes_writable() {
    if !sandbox_test_runs() {
        return;
    }
    let py = |target: &str| format!("python3 -c \"open('{target}','w').write('x')\"");
    let Some(out) = Scenario::new()
        .by_init()
        .run_as("builder")
        .run_args(&["--layout", "allow-list"])
        .file("target/.keep", "")
        .calls(vec![
            Call::bash(&py("in_'+'lane.txt")),
            Call::bash(&py("../new'+'root.txt")),
            Call::bash(&py("../re'+'search/evil.txt")),
            Call::bash("echo x > ../target/shared.txt"),
            // Not there when the session started, so not writable by Bash in it.
            Call::bash(&py("../node_'+'modules")),
            Call::write("Cargo.toml", "[package]\n"),
            // Inside the sandbox, Claude Code shows the shell files it protects as empty
            // devices in the start folder, which `git add -A` refuses: name the paths.
            Call::bash("git add in_lane.txt ../Cargo.toml && git commit -q -m 'builder: in lane'"),
        ])
        .run()
    else {
        return;
    };
    out.assert_landed("src/in_lane.txt");
    out.assert_contained("root.txt", "Read-only file system");
    out.assert_contained("search/evil.txt", "Read-only file system");
    out.assert_landed("target/shared.txt");
    out.assert_contained("modules", "Read-only file system");
    out.assert_landed("Cargo.toml");
    let stderr = &out.finished.stderr;
    assert!(
        stderr.contains("so Bash cannot create them in it: ") && stderr.contains("node_modules"),
        "{stderr}"
    );
    let log = out.repo.git(&["log", "--format=%s", "-1"]);
    if log.trim() != "builder: in lane" {
        out.fail(&format!("the commit from src/ did not land: {log:?}"));
    }
}

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
    if e2e::skip_requested() {
        return;
    }
    let probe = lanes::run::probe::Probe::run(Some(&e2e::host_path()));
    if !probe.ready() {
        skip::partial(&format!(
            "the sandbox cannot run here ({}); lanes run was not tried end to end \
             (.ci/test-tools installs bubblewrap and socat)",
            probe.missing().join("; ")
        ));
        return;
    }
    let py = |target: &str| format!("python3 -c \"open('{target}','w').write('x')\"");
    // The lane's name is put together at run time, so only the sandbox can stop it.
    let evil = py("re'+'search/evil.txt");
    let escape = py("re'+'search/escape.txt");
    let Some(out) = Scenario::new()
        .by_init()
        .run_as("builder")
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
    if !denied
        .as_deref()
        .is_some_and(|d| d.contains("reviews/no.txt"))
    {
        out.fail("the Write into reviews/ is not among the permission denials");
    }
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

//! The evidence commands through the real binary, on temporary repositories and audit logs:
//! `lanes validate`, `explain`, `status`, `report` and `wait`.

mod support;

use serde_json::{json, Value};
use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::Repo;

const POLICY: &str = r###"
mode = "enforce"
unassigned = "allow"
audit = ".lanes/audit.jsonl"

[roles.researcher]
description = "Researches; never writes code."
write = ["research/"]
signal = "research/DONE.md"
signal_requires = ["## Findings", "## Open questions"]

[roles.builder]
write = ["src/", "package.json"]
signal = "src/BUILD_DONE.md"

[roles.reviewer]
write = ["reviews/"]

[shared]
write = ["target/"]

[protected]
paths = ["contracts/"]
"###;

/// `lanes ARGS` run in `dir` with a private HOME and no system git config.
fn lanes_in(repo: &Repo, dir: &std::path::Path, args: &[&str]) -> Command {
    let mut c = support::lanes();
    c.args(args)
        .current_dir(dir)
        .env("HOME", repo.dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    c
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: stdout {:?} stderr {:?}", self.stdout, self.stderr))
    }
}

fn run(repo: &Repo, args: &[&str]) -> Out {
    let out = lanes_in(repo, &repo.root, args).output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write(repo: &Repo, rel: &str, text: &str) {
    let p = repo.root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// `(code, key)` of each finding of one kind in `lanes validate --format json`.
fn findings(v: &Value, kind: &str, code: &str) -> Vec<Value> {
    v[kind]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .cloned()
        .collect()
}

// ---------------------------------------------------------------- validate

#[test]
fn validate_accepts_a_clean_policy_and_reports_warnings_without_failing() {
    let repo = Repo::new(POLICY);
    for f in [
        "src/main.rs",
        "research/notes.md",
        "reviews/r1.md",
        "package.json",
        "contracts/api.md",
    ] {
        write(&repo, f, "x\n");
    }
    let out = run(&repo, &["validate", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["errors"], json!([]));
    // Only the policy file itself is outside every lane, and it is always protected.
    assert_eq!(v["warnings"], json!([]), "{v:#}");
    assert_eq!(v["files_scanned"], 6);
}

#[test]
fn validate_warns_about_shared_unmatched_impossible_empty_and_unowned_lanes() {
    let policy = r#"
[roles.researcher]
write = ["research/", "notes.md"]
signal = "research/DONE.md"
[roles.builder]
write = ["src/", "research/api.md", "reseach/", ".claude/agents/"]
[roles.reviewer]
write = ["!drafts/", "reviews/", "notes.md"]
[roles.idle]
"#;
    let repo = Repo::new(policy);
    for f in [
        "src/main.rs",
        "research/api.md",
        "reviews/r.md",
        "notes.md",
        "README.md",
        "docs/guide.md",
    ] {
        write(&repo, f, "x\n");
    }
    write(&repo, ".gitignore", "build/\n");
    write(&repo, "build/out.bin", "ignored, so never examined\n");
    let out = run(&repo, &["validate", "--format", "json"]);
    assert_eq!(out.code, 0, "warnings alone do not fail: {}", out.stdout);
    let v = out.json();

    let messages = |code: &str| -> Vec<String> {
        findings(&v, "warnings", code)
            .iter()
            .map(|d| d["message"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        messages("shared-lane"),
        [
            "lanes of several roles hold `research/api.md`: `research/` of researcher and `research/api.md` of builder; each may overwrite the other's work",
            "lanes of several roles hold `notes.md`: `notes.md` of researcher and `notes.md` of reviewer; each may overwrite the other's work",
        ]
    );
    let no_match = findings(&v, "warnings", "no-match");
    assert_eq!(no_match.len(), 1, "{v:#}");
    assert_eq!(
        (no_match[0]["line"].as_u64(), no_match[0]["key"].as_str()),
        (Some(6), Some("roles.builder.write"))
    );
    assert!(no_match[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("`reseach/` matches no file"));

    let never: Vec<String> = messages("never-matches")
        .iter()
        .map(|m| m.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(never, ["`.claude/agents/`", "`!drafts/`"]);

    let empty = findings(&v, "warnings", "no-lanes");
    assert_eq!(empty.len(), 1);
    assert_eq!(
        (empty[0]["line"].as_u64(), empty[0]["key"].as_str()),
        (Some(9), Some("roles.idle"))
    );

    let unowned = messages("unowned");
    assert_eq!(unowned.len(), 3, "{unowned:?}");
    for (u, name) in unowned
        .iter()
        .zip(["`.gitignore`", "`README.md`", "`docs/`"])
    {
        assert!(u.starts_with(name), "{u}");
    }

    let strict = run(&repo, &["validate", "--strict"]);
    assert_eq!(strict.code, 1, "--strict fails on warnings");
}

#[test]
fn validate_reports_every_bad_pattern_and_a_misplaced_signal_with_file_line_and_key() {
    let policy = "[roles.a]\nwrite = [\"a/\", \"../up\"]\n[roles.b]\nwrite = [\"b/\", \"\"]\n[roles.c]\nwrite = [\"c/\"]\nsignal = \"elsewhere/DONE.md\"\n[shared]\nwrite = [\"./x\"]\n";
    let repo = Repo::new(policy);
    let out = run(&repo, &["validate", "--format", "json"]);
    assert_eq!(out.code, 1);
    let v = out.json();
    assert_eq!(v["valid"], false);
    let errors: Vec<(String, u64, u64, String)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
                e["column"].as_u64().unwrap(),
                e["key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("pattern", 9, 10, "shared.write"),
        ("pattern", 2, 16, "roles.a.write"),
        ("pattern", 4, 16, "roles.b.write"),
        ("signal", 7, 10, "roles.c.signal"),
    ];
    let want: Vec<(String, u64, u64, String)> = want
        .iter()
        .map(|(c, l, col, k)| (c.to_string(), *l, *col, k.to_string()))
        .collect();
    assert_eq!(errors, want);

    let text = run(&repo, &["validate"]);
    assert_eq!(text.code, 1);
    let first = text.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("error: ")
            && first.contains("lanes.toml:9:10: shared.write: invalid pattern `./x`"),
        "{first}"
    );
}

#[test]
fn validate_reports_toml_errors_and_agents_claimed_twice() {
    let repo = Repo::new("[roles.a]\nagents = [\"x\"]\n[roles.b]\nagents = [\"x\"]\n");
    let v = run(&repo, &["validate", "--format", "json"]);
    assert_eq!(v.code, 1);
    let e = &v.json()["errors"][0];
    assert_eq!(
        (e["line"].as_u64(), e["key"].as_str()),
        (Some(3), Some("roles.b"))
    );
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("agent `x` is claimed by roles `a` and `b`"));

    write(&repo, "lanes.toml", "mode = \"strict\"\n");
    let v = run(&repo, &["validate", "--format", "json"]).json();
    assert_eq!(
        (
            v["errors"][0]["code"].as_str(),
            v["errors"][0]["line"].as_u64()
        ),
        (Some("parse"), Some(1))
    );
}

#[test]
fn validate_exits_2_when_no_policy_can_be_found_or_read() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::bare(dir.path());
    let out = run(&repo, &["validate"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no lanes.toml"), "{}", out.stderr);
    let out = run(&repo, &["validate", "--policy", "missing.toml"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("cannot read the policy"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------- explain

#[test]
fn explain_lists_who_may_write_a_path_and_by_which_rule() {
    let repo = Repo::new(POLICY);
    let v = run(&repo, &["explain", "research/notes.md", "--format", "json"]).json();
    assert_eq!(v["path"], "research/notes.md");
    assert_eq!(v["writers"], json!(["researcher"]));
    let rules: Vec<(Option<&str>, &str, bool)> = v["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["role"].as_str(),
                x["rule"].as_str().unwrap(),
                x["allowed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            (Some("researcher"), "own lane: research/", true),
            (Some("builder"), "lane of researcher: research/", false),
            (Some("reviewer"), "lane of researcher: research/", false),
            (None, "unassigned = \"allow\"", true),
        ]
    );

    let v = run(&repo, &["explain", "contracts/api.md", "--format", "json"]).json();
    assert_eq!(
        (v["protected"].as_str(), v["builtin_protected"].as_bool()),
        (Some("contracts/"), Some(false))
    );
    assert_eq!(v["writers"], json!([]));
    let v = run(&repo, &["explain", "target/debug/x", "--format", "json"]).json();
    assert_eq!(v["shared"], "target/");
    assert_eq!(v["writers"], json!(["researcher", "builder", "reviewer"]));
}

#[test]
fn explain_with_a_role_gives_the_hooks_exact_reason_and_exit_status() {
    let repo = Repo::new(POLICY);
    let hook_reason = repo
        .hook()
        .role("builder")
        .write("research/notes.md")
        .run()
        .denied();
    let out = run(
        &repo,
        &[
            "explain",
            "research/notes.md",
            "--role",
            "builder",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 1, "denied -> exit 1");
    let v = out.json();
    assert_eq!(v["verdicts"].as_array().unwrap().len(), 1);
    assert_eq!(v["verdicts"][0]["reason"].as_str().unwrap(), hook_reason);

    let text = run(
        &repo,
        &["explain", "research/notes.md", "--role", "builder"],
    );
    assert!(text.stdout.contains(&hook_reason), "{}", text.stdout);

    let ok = run(
        &repo,
        &[
            "explain",
            "src/lib.rs",
            "--role",
            "builder",
            "--format",
            "json",
        ],
    );
    assert_eq!(ok.code, 0);
    assert_eq!(ok.json()["verdicts"][0]["rule"], "own lane: src/");

    // Relative to the current directory, like any command-line path.
    let out = lanes_in(
        &repo,
        &repo.root.join("src"),
        &["explain", "main.rs", "--format", "json"],
    )
    .output()
    .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["path"], "src/main.rs");
}

#[test]
fn explain_replays_a_saved_hook_input_without_writing_the_audit_log() {
    let repo = Repo::new(POLICY);
    let payload = repo
        .hook()
        .agent("researcher")
        .write("src/main.rs")
        .payload();
    let file = repo.dir.path().join("payload.json");
    fs::write(&file, &payload).unwrap();

    let out = run(
        &repo,
        &[
            "explain",
            "--hook-input",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 1, "the hook would deny: {}", out.stdout);
    let t = out.json();
    assert_eq!(
        (t["role"].as_str(), t["role_source"].as_str()),
        (Some("researcher"), Some("agent_type"))
    );
    assert_eq!(t["effect"], "files");
    assert_eq!(t["targets"], json!([repo.abs("src/main.rs")]));
    assert_eq!(t["steps"][0]["path"], "src/main.rs");
    assert_eq!(t["steps"][0]["rule"], "lane of builder: src/");
    assert_eq!(t["outcome"], "deny");
    let hook_reason = repo
        .hook()
        .agent("researcher")
        .write("src/main.rs")
        .run()
        .denied();
    assert_eq!(t["message"].as_str().unwrap(), hook_reason);
    let logged = repo.audit().len();
    assert_eq!(logged, 1, "only the real hook call above is logged");

    // From stdin, with the session's LANES_ROLE given as --role.
    let payload = repo.hook().write("src/main.rs").payload();
    let mut child = lanes_in(
        &repo,
        &repo.root,
        &[
            "explain",
            "--hook-input",
            "-",
            "--role",
            "builder",
            "--format",
            "json",
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    child.stdin.take().unwrap().write_all(&payload).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            t["role"].as_str(),
            t["role_source"].as_str(),
            t["outcome"].as_str()
        ),
        (Some("builder"), Some("env"), Some("allow"))
    );
    assert_eq!(repo.audit().len(), logged);

    // A payload the hook cannot judge is traced as a block.
    fs::write(&file, b"{not json").unwrap();
    let out = run(
        &repo,
        &[
            "explain",
            "--hook-input",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(
        (out.code, out.json()["outcome"].as_str()),
        (1, Some("block"))
    );
}

// ------------------------------------------------ signal files are lanes

#[test]
fn writing_or_deleting_another_roles_signal_file_is_denied_with_a_reason_that_says_so() {
    let repo = Repo::new(&format!(
        "{POLICY}\n[roles.intruder]\nwrite = [\"research/DONE.md\", \"src/\"]\n"
    ));
    write(&repo, "research/DONE.md", "## Findings\n");
    let says = "that path is the signal file of role 'researcher'; only 'researcher' may write or delete it";
    // Even for a role whose lane names the file.
    let reason = repo
        .hook()
        .role("intruder")
        .write("research/DONE.md")
        .run()
        .denied();
    assert!(reason.contains(says), "{reason}");
    let edit = repo
        .hook()
        .role("builder")
        .tool("Edit", json!({"file_path": repo.abs("research/DONE.md"), "old_string": "a", "new_string": "b"}))
        .run()
        .denied();
    assert!(edit.contains(says), "{edit}");
    // Moving it away deletes it at its path.
    let moved = repo
        .hook()
        .role("intruder")
        .tool(
            "mcp__filesystem__move_file",
            json!({"source": repo.abs("research/DONE.md"), "destination": repo.abs("src/stolen.md")}),
        )
        .run()
        .denied();
    assert!(moved.contains(says), "{moved}");
    repo.hook()
        .role("researcher")
        .write("research/DONE.md")
        .run()
        .allowed();
    let rules: Vec<String> = repo
        .audit()
        .iter()
        .filter(|r| r["decision"] == "deny")
        .map(|r| r["rule"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rules, ["signal file of researcher"; 3]);
}

// ---------------------------------------------------------------- status

#[test]
fn status_reports_missing_hooks_first_then_installed_ones_and_signal_states() {
    let repo = Repo::new(POLICY);
    let out = run(&repo, &["status", "--format", "json"]);
    assert_eq!(out.code, 1, "problems -> exit 1");
    let v = out.json();
    assert_eq!(v["problems"].as_array().unwrap().len(), 2, "{v:#}");
    assert_eq!(
        (
            v["claude_hook"]["installed"].as_bool(),
            v["git_hook"]["installed"].as_bool()
        ),
        (Some(false), Some(false))
    );
    assert_eq!(v["mode"], "enforce");
    assert_eq!(v["audit"]["path"], repo.abs(".lanes/audit.jsonl"));
    assert_eq!(v["audit"]["bytes"], Value::Null);
    let states: Vec<(&str, &str)> = v["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["signal"].is_null())
        .map(|r| {
            (
                r["name"].as_str().unwrap(),
                r["signal"]["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(states, [("researcher", "absent"), ("builder", "absent")]);

    write(
        &repo,
        ".claude/settings.json",
        r#"{"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"lanes","args":["hook"]}]}]}}"#,
    );
    write(
        &repo,
        ".git/hooks/pre-commit",
        "#!/bin/sh\nexec lanes check --staged\n",
    );
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(
        repo.root.join(".git/hooks/pre-commit"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    write(&repo, "research/DONE.md", "## Findings\nall good\n");
    write(&repo, "src/BUILD_DONE.md", "built\n");
    let out = run(&repo, &["status", "--format", "json", "--settle", "0"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let v = out.json();
    assert_eq!(v["problems"], json!([]));
    assert_eq!(v["claude_hook"]["file"], repo.abs(".claude/settings.json"));
    assert_eq!(v["git_hook"]["installed"], true);
    assert_eq!(
        v["roles"][0]["signal"],
        json!({"path": "research/DONE.md", "state": "incomplete", "missing": ["## Open questions"]})
    );
    assert_eq!(
        v["roles"][1]["signal"],
        json!({"path": "src/BUILD_DONE.md", "state": "complete"})
    );
    let v = run(&repo, &["status", "--format", "json", "--settle", "3600"]).json();
    assert_eq!(v["roles"][1]["signal"]["state"], "settling");

    // A matcher that leaves out Write is a problem, and so is a hook git would skip.
    write(
        &repo,
        ".claude/settings.json",
        r#"{"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"lanes hook"}]}]}}"#,
    );
    fs::set_permissions(
        repo.root.join(".git/hooks/pre-commit"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = run(&repo, &["status"]);
    assert_eq!(out.code, 1);
    let problems: Vec<&str> = out.stdout.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(problems[0], "problems:");
    assert_eq!(problems.len(), 3, "{}", out.stdout);
    assert!(
        problems[1]
            .contains("never for Write, Edit, MultiEdit, NotebookEdit, Monitor, PowerShell, Agent"),
        "{}",
        problems[1]
    );

    // Hook lists of all settings levels are merged: the user's settings count too.
    fs::remove_file(repo.root.join(".claude/settings.json")).unwrap();
    let user = repo.dir.path().join(".claude/settings.json");
    fs::create_dir_all(user.parent().unwrap()).unwrap();
    fs::write(
        &user,
        r#"{"hooks":{"PreToolUse":[{"hooks":[{"type":"command","command":"lanes hook"}]}]}}"#,
    )
    .unwrap();
    let v = run(&repo, &["status", "--format", "json"]).json();
    assert_eq!(v["claude_hook"]["installed"], true);
    assert_eq!(v["claude_hook"]["file"].as_str(), user.to_str());
}

// ---------------------------------------------------------------- report

#[test]
fn report_counts_exactly_a_log_written_by_many_concurrent_hooks_and_skips_a_truncated_line() {
    let repo = Repo::new(POLICY);
    const PROCS: usize = 16;
    const CALLS: usize = 20;
    let roles = ["builder", "researcher"];
    std::thread::scope(|s| {
        for p in 0..PROCS {
            let repo = &repo;
            s.spawn(move || {
                let role = roles[p % 2];
                for c in 0..CALLS {
                    // Each builder call writes in its lane; every 5th researcher call aims at src/.
                    let path = match (role, c % 5) {
                        ("researcher", 0) => format!("src/r{p}_{c}.rs"),
                        ("researcher", _) => format!("research/{p}_{c}.md"),
                        _ => format!("src/{p}_{c}.rs"),
                    };
                    let payload = repo.hook().role(role).write(&path).payload();
                    let mut v: Value = serde_json::from_slice(&payload).unwrap();
                    v["session_id"] = json!(format!("sess-{p}"));
                    let out = repo
                        .hook()
                        .role(role)
                        .stdin(&serde_json::to_vec(&v).unwrap())
                        .run();
                    assert_eq!(out.code, 0, "{out:?}");
                }
            });
        }
    });
    let log = repo.root.join(".lanes/audit.jsonl");
    let mut f = fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(br#"{"ts":"2026-11-24T06:00:00Z","session_id":"sess-x","role":"build"#)
        .unwrap();
    drop(f);

    let out = run(&repo, &["report", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("skipped 1 malformed line(s)") && out.stderr.contains("(line 321)"),
        "{}",
        out.stderr
    );
    let v = out.json();
    assert_eq!(
        (v["lines"].as_u64(), v["records"].as_u64()),
        (Some(321), Some(320))
    );
    assert_eq!(
        v["malformed"],
        json!({"count": 1, "lines": [321], "log": log})
    );
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), PROCS);
    let sum = |role: &str, list: &str| -> u64 {
        groups
            .iter()
            .filter(|g| g["role"] == role)
            .flat_map(|g| g[list].as_array().unwrap().clone())
            .map(|c| c["count"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(sum("builder", "written"), 8 * 20);
    assert_eq!(sum("builder", "denied"), 0);
    assert_eq!(sum("researcher", "written"), 8 * 16);
    assert_eq!(sum("researcher", "denied"), 8 * 4);
    let g = groups.iter().find(|g| g["role"] == "researcher").unwrap();
    assert_eq!(g["denied"][0]["rule"], "lane of builder: src/");
    assert!(g["denied"][0]["item"]
        .as_str()
        .unwrap()
        .starts_with("src/r"));

    let one = run(
        &repo,
        &[
            "report",
            "--format",
            "json",
            "--role",
            "builder",
            "--session",
            "sess-2",
        ],
    )
    .json();
    assert_eq!(one["records"], 20);
    assert_eq!(one["groups"].as_array().unwrap().len(), 1);
    let future = run(
        &repo,
        &[
            "report",
            "--format",
            "json",
            "--since",
            "2999-01-01T00:00:00Z",
        ],
    )
    .json();
    assert_eq!(future["records"], 0);
    let recent = run(&repo, &["report", "--format", "json", "--since", "1h"]).json();
    assert_eq!(recent["records"], 320);
    let bad = run(&repo, &["report", "--since", "last tuesday"]);
    assert_eq!(bad.code, 2);
}

/// A log line as `lanes hook` writes it.
fn record(
    ts: &str,
    role: &str,
    session: &str,
    path: Option<&str>,
    decision: &str,
    violation: bool,
    extra: Value,
) -> String {
    let mut v = json!({
        "ts": ts, "session_id": session, "agent_id": null, "agent_type": null, "role": role,
        "role_source": "env", "tool": if path.is_some() { "Write" } else { "Bash" }, "path": path,
        "decision": decision, "violation": violation, "rule": if violation { "lane of researcher: research/" } else { "own lane: src/" },
    });
    if !extra.is_null() {
        v["extra"] = extra;
    }
    v.to_string()
}

#[test]
fn report_shows_opaque_commands_log_mode_violations_and_a_markdown_receipt() {
    let repo = Repo::new(&POLICY.replace("mode = \"enforce\"", "mode = \"log\""));
    let ts = "2026-11-24T06:00:00.000000Z";
    let lines = [
        record(
            ts,
            "builder",
            "s1",
            Some("src/a.rs"),
            "allow",
            false,
            Value::Null,
        ),
        record(
            ts,
            "builder",
            "s1",
            Some("research/x.md"),
            "allow",
            true,
            Value::Null,
        ),
        record(
            ts,
            "builder",
            "s1",
            None,
            "allow",
            false,
            json!({"opaque": true, "command": "python gen.py"}),
        ),
        record(
            ts,
            "builder",
            "s1",
            None,
            "allow",
            false,
            json!({"command": "ls"}),
        ),
        record(
            ts,
            "reviewer",
            "s2",
            None,
            "deny",
            true,
            json!({"opaque": true, "command": "sh x.sh"}),
        ),
    ];
    write(&repo, ".lanes/audit.jsonl", &(lines.join("\n") + "\n"));
    let v = run(&repo, &["report", "--format", "json"]).json();
    let g = &v["groups"][0];
    assert_eq!(
        g["written"],
        json!([{"item": "src/a.rs", "count": 1}, {"item": "research/x.md", "count": 1}])
    );
    assert_eq!(
        g["violations"],
        json!([{"item": "research/x.md", "rule": "lane of researcher: research/", "count": 1}])
    );
    assert_eq!(
        g["opaque"],
        json!([{"item": "python gen.py", "rule": "own lane: src/", "count": 1}])
    );
    assert_eq!(g["denied"], json!([]));
    // A denied opaque command did not run: it is a denial only (issue 19, finding 3).
    let r = &v["groups"][1];
    let denied = json!([{"item": "sh x.sh", "rule": "lane of researcher: research/", "count": 1}]);
    assert_eq!((&r["opaque"], &r["denied"]), (&json!([]), &denied));

    let md = run(&repo, &["report", "--format", "markdown"]);
    assert_eq!(md.code, 0);
    let lines: Vec<&str> = md.stdout.lines().collect();
    assert_eq!(lines[0], "## lanes completion receipt");
    for want in [
        "### role builder · session `s1`",
        "- `python gen.py` — outcome not reported",
        "- `python gen.py` (no PostToolUse line: lanes saw nothing after it ran)",
        "- `research/x.md` (lane of researcher: research/)",
        "- `sh x.sh` (lane of researcher: research/)",
    ] {
        assert!(lines.contains(&want), "{want}\n{}", md.stdout);
    }
}

#[test]
fn report_reads_a_100k_line_log_quickly() {
    let repo = Repo::new(POLICY);
    let mut text = String::with_capacity(100_000 * 260);
    for i in 0..100_000 {
        let (role, decision, violation) = if i % 10 == 0 {
            ("researcher", "deny", true)
        } else {
            ("builder", "allow", false)
        };
        let path = format!("src/f{}.rs", i % 500);
        text.push_str(&record(
            "2026-11-24T06:00:00.000000Z",
            role,
            &format!("s{}", i % 7),
            Some(&path),
            decision,
            violation,
            Value::Null,
        ));
        text.push('\n');
    }
    write(&repo, ".lanes/audit.jsonl", &text);
    let start = Instant::now();
    let out = run(
        &repo,
        &[
            "report",
            "--format",
            "json",
            "--since",
            "2026-01-01T00:00:00Z",
        ],
    );
    let took = start.elapsed();
    assert_eq!(out.code, 0);
    let v = out.json();
    assert_eq!(v["records"], 100_000);
    let denied: u64 = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["denied"].as_array().unwrap().clone())
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    assert_eq!(denied, 10_000);
    // Debug build on a shared machine: generous. A release build takes well under a second.
    assert!(
        took < Duration::from_secs(20),
        "report of 100k lines took {took:?}"
    );
}

// ---------------------------------------------------------------- wait

/// Starts `lanes wait ARGS` in the background.
fn spawn_wait(repo: &Repo, args: &[&str]) -> std::process::Child {
    let mut all = vec!["wait"];
    all.extend_from_slice(args);
    lanes_in(repo, &repo.root, &all)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn wait_does_not_return_before_the_last_step_of_a_handoff_written_in_steps() {
    let repo = Repo::new(POLICY);
    let settle = Duration::from_millis(400);
    let mut child = spawn_wait(&repo, &["researcher", "--settle", "0.4", "--timeout", "20"]);
    let steps = [
        "# Research\n",              // not yet: lacks both required headings
        "# Research\n## Findings\n", // still lacks "## Open questions"
        "# Research\n## Findings\n## Open questions\n", // complete content, but still being written
        "# Research\n## Findings\n- a\n## Open questions\n- none\n",
    ];
    std::thread::sleep(Duration::from_millis(300));
    let mut last = Instant::now();
    for (i, step) in steps.iter().enumerate() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "lanes wait returned before step {i}"
        );
        write(&repo, "research/DONE.md", step);
        last = Instant::now();
        std::thread::sleep(Duration::from_millis(250)); // shorter than the settle interval
    }
    let status = child.wait().unwrap();
    let returned = Instant::now();
    assert_eq!(status.code(), Some(0));
    assert!(
        returned.duration_since(last) >= settle,
        "returned {:?} after the last step",
        returned.duration_since(last)
    );
}

#[test]
fn wait_times_out_with_exit_1_and_rejects_unknown_roles_and_roles_without_signal() {
    let repo = Repo::new(POLICY);
    write(&repo, "research/DONE.md", "## Findings\n"); // incomplete forever
    let start = Instant::now();
    let out = spawn_wait(
        &repo,
        &["researcher", "--timeout", "0.5", "--settle", "0.3"],
    )
    .wait_with_output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(start.elapsed() >= Duration::from_millis(500));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("timed out") && stderr.contains("\"## Open questions\""),
        "{stderr}"
    );

    assert_eq!(run(&repo, &["wait", "nobody"]).code, 2);
    let out = run(&repo, &["wait", "reviewer"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("has no `signal`"), "{}", out.stderr);
}

#[test]
fn wait_returns_at_once_for_a_handoff_completed_long_ago() {
    let repo = Repo::new(POLICY);
    write(&repo, "src/BUILD_DONE.md", "built\n");
    let old = std::time::SystemTime::now() - Duration::from_secs(60);
    fs::File::options()
        .write(true)
        .open(repo.root.join("src/BUILD_DONE.md"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let start = Instant::now();
    let out = run(
        &repo,
        &["wait", "builder", "--settle", "5", "--timeout", "10"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(start.elapsed() < Duration::from_secs(4));
}

#[test]
fn status_recognizes_what_lanes_init_installs() {
    let repo = Repo::new(POLICY);
    let init = run(&repo, &["init", "--hook-command", "lanes"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    let v = run(&repo, &["status", "--format", "json"]).json();
    assert_eq!(v["problems"], json!([]), "{v:#}");
    assert_eq!(
        (
            v["claude_hook"]["installed"].as_bool(),
            v["git_hook"]["installed"].as_bool()
        ),
        (Some(true), Some(true))
    );
}

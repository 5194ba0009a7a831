//! End to end with the other agent CLIs: the real Codex, Copilot CLI and Gemini CLI (pinned,
//! installed once with npm under `<target dir>/e2e-<name>/`) run this build's `lanes hook` as
//! `lanes init --client NAME` registered it, while a scripted model on 127.0.0.1 makes the tool
//! calls (`tests/e2e/stub_responses.py` for Codex and Copilot; Gemini's own
//! `--fake-responses`, no network at all). Each session runs as the builder (`LANES_ROLE`):
//! its writes into `src/` land and its writes into `research/` do not, by the file tool and by
//! the shell (and for Codex by `apply_patch` and an `apply_patch` here-document in the shell);
//! for Codex and Copilot a subagent defined as `researcher` writes its own lane (lands) and
//! `src/` (does not). Checked on disk and in the audit log. Set-ups follow
//! `shared/reference/other-clients.md` §6.
//!
//! Needs npm (first run only) and python3. `LANES_SKIP_E2E=1` skips these tests, each saying so;
//! under CI the switch fails them instead.
#![cfg(unix)]

mod e2e;
mod skip;

use e2e::install::{self, CODEX, COPILOT, GEMINI};
use e2e::process::{run_with_timeout, Finished};
use e2e::repo::TestRepo;
use e2e::stub::Stub;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const POLICY: &str = r#"mode = "enforce"
unassigned = "allow"
audit = ".lanes/audit.jsonl"

[roles.researcher]
write = ["research/"]
agents = ["researcher"]

[roles.builder]
write = ["src/"]
spawn = ["researcher"]
"#;

const RUN_TIMEOUT: Duration = Duration::from_secs(180);

fn skip() -> bool {
    skip::switch(
        "LANES_SKIP_E2E",
        "the Codex / Copilot CLI / Gemini CLI end-to-end test did not run",
    )
}

/// A finished session: its repository and what the CLI printed.
struct Session {
    repo: TestRepo,
    out: Finished,
    client: &'static str,
}

impl Session {
    fn context(&self) -> String {
        format!(
            "{} exited {:?} after {:?}\nstdout:\n{}\nstderr:\n{}\naudit:\n{}",
            self.client,
            self.out.status,
            self.out.elapsed,
            tail(&self.out.stdout),
            tail(&self.out.stderr),
            self.audit()
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    }

    fn landed(&self, rel: &str) {
        assert!(
            self.repo.path(rel).is_file(),
            "{rel} should have been written\n{}",
            self.context()
        );
    }

    fn blocked(&self, rel: &str) {
        assert!(
            !self.repo.path(rel).exists(),
            "{rel} must not have been written\n{}",
            self.context()
        );
    }

    fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(self.repo.path(".lanes/audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The audit record of `path` with `decision`, acting as `role` from `source`.
    fn audited(&self, path: &str, decision: &str, role: &str, source: &str) -> Value {
        self.audit()
            .into_iter()
            .find(|r| r["path"] == path && r["decision"] == decision)
            .filter(|r| r["role"] == role && r["role_source"] == source)
            .unwrap_or_else(|| {
                panic!(
                    "no audit record {path} {decision} as {role} (from {source})\n{}",
                    self.context()
                )
            })
    }
}

fn tail(s: &str) -> &str {
    let start = s.len().saturating_sub(4000);
    let start = (start..s.len())
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(0);
    &s[start..]
}

/// The environment every CLI gets: a private HOME and TMPDIR, the host's PATH, LANES_ROLE.
fn base_command(bin: &Path, repo: &TestRepo) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .current_dir(repo.root())
        .env("PATH", e2e::host_path())
        .env("HOME", repo.home())
        .env("TMPDIR", repo.tmp())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LANES_ROLE", "builder")
        .env("LANES_HOOK_DEADLINE_MS", "5000");
    cmd
}

fn function_call(name: &str, args: Value) -> Value {
    json!({"type": "function_call", "name": name, "arguments": args.to_string()})
}

fn add_file(path: &str, text: &str) -> String {
    format!("*** Begin Patch\n*** Add File: {path}\n+{text}\n*** End Patch\n")
}

fn write_json(path: &Path, v: &Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

/// One Copilot CLI session (`-p go`) in `repo` with `model`, against the stub playing `script`:
/// offline, without self-update or telemetry, every tool allowed, the folder trusted. The stub
/// is returned for what it was sent.
fn run_copilot(copilot: &Path, repo: TestRepo, script: &Value, model: &str) -> (Session, Stub) {
    let script_file = repo.artifacts().join("script.json");
    write_json(&script_file, script);
    let stub = Stub::start_responses(&repo.artifacts(), &script_file);
    let mut cmd = base_command(copilot, &repo);
    cmd.env("COPILOT_HOME", repo.home().join(".copilot"))
        .env("COPILOT_OFFLINE", "true")
        .env(
            "COPILOT_PROVIDER_BASE_URL",
            format!("{}/v1", stub.base_url()),
        )
        .env("COPILOT_PROVIDER_WIRE_API", "responses")
        .env("COPILOT_PROVIDER_API_KEY", "x")
        .env("COPILOT_MODEL", model)
        .env("COPILOT_AUTO_UPDATE", "false")
        .args([
            "-p",
            "go",
            "--allow-all-tools",
            "--trust-folder",
            "--disable-client-telemetry",
        ]);
    let out = run_with_timeout(&mut cmd, RUN_TIMEOUT).expect("run copilot");
    let s = Session {
        repo,
        out,
        client: "copilot",
    };
    (s, stub)
}

#[test]
fn codex_keeps_the_builder_and_its_researcher_subagent_in_their_lanes() {
    if skip() {
        return;
    }
    let codex = install::installed(&CODEX);
    let repo = TestRepo::for_client(POLICY, "codex", &[]);
    let root = repo.root().canonicalize().unwrap();
    let patch = |p: &str| json!({"type": "custom_tool_call", "name": "apply_patch", "input": add_file(p, "patched")});
    let shell = |cmd: &str| function_call("exec_command", json!({ "cmd": cmd }));
    let heredoc = |p: &str| format!("apply_patch <<'EOF'\n{}EOF\n", add_file(p, "heredoc"));
    let multi = |name: &str, args: Value| {
        let mut c = function_call(name, args);
        c["namespace"] = json!("multi_agent_v1");
        c
    };
    let script = json!({
        "main": [
            patch("src/patch.txt"),
            patch("research/patch.txt"),
            shell("echo shell > src/shell.txt"),
            shell("echo shell > research/shell.txt"),
            shell(&heredoc("src/heredoc.txt")),
            shell(&heredoc("research/heredoc.txt")),
            // The second bypass: a shell with no script, then typing into it.
            function_call("exec_command", json!({"cmd": "bash", "tty": true})),
            function_call("write_stdin", json!({"session_id": 1, "chars": "echo tty > research/tty.txt\n"})),
            multi("spawn_agent", json!({"agent_type": "researcher", "message": "SUBTASK: write research/sub.txt"})),
            multi("wait_agent", json!({"targets": ["$AGENT_ID"]})),
        ],
        "sub": [
            shell("echo sub > research/sub.txt"),
            patch("src/sub.txt"),
        ],
    });
    let script_file = repo.artifacts().join("script.json");
    write_json(&script_file, &script);
    let stub = Stub::start_responses(&repo.artifacts(), &script_file);
    let codex_home = repo.home().join(".codex");
    std::fs::create_dir_all(codex_home.join("agents")).unwrap();
    std::fs::write(
        codex_home.join("agents/researcher.toml"),
        "name = \"researcher\"\ndescription = \"Writes research notes\"\n\
         developer_instructions = \"You are the researcher; write only in research/.\"\n",
    )
    .unwrap();
    // The project is trusted (Codex loads project .codex/ hooks only then); the hook itself is
    // trusted below, as a user does once in /hooks.
    std::fs::write(
        codex_home.join("config.toml"),
        format!(
            "model = \"gpt-5.5\"\nmodel_provider = \"stub\"\napproval_policy = \"never\"\n\
             sandbox_mode = \"danger-full-access\"\n\n[model_providers.stub]\nname = \"stub\"\n\
             base_url = \"{}/v1\"\nwire_api = \"responses\"\nenv_key = \"STUB_API_KEY\"\n\n\
             [projects.{:?}]\ntrust_level = \"trusted\"\n",
            stub.base_url(),
            root.display().to_string()
        ),
    )
    .unwrap();
    let status = |repo: &TestRepo| {
        let out = Command::new(env!("CARGO_BIN_EXE_lanes"))
            .arg("status")
            .current_dir(repo.root())
            .env("HOME", repo.home())
            .env("CODEX_HOME", &codex_home)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let before = status(&repo);
    assert!(
        before.contains("Codex skips the lanes hook silently until you trust it"),
        "lanes status must see that Codex would skip the untrusted hook:\n{before}"
    );
    trust_codex_hooks(&codex, &repo, &codex_home);
    let after = status(&repo);
    assert!(
        after.contains("codex hook:  runs: trusted in Codex"),
        "{after}"
    );
    let mut cmd = base_command(&codex, &repo);
    cmd.env("CODEX_HOME", &codex_home)
        .env("STUB_API_KEY", "x")
        .args(["exec", "--skip-git-repo-check", "go"]);
    let out = run_with_timeout(&mut cmd, RUN_TIMEOUT).expect("run codex");
    let s = Session {
        repo,
        out,
        client: "codex",
    };
    assert!(s.out.success(), "{}", s.context());
    for landed in [
        "src/patch.txt",
        "src/shell.txt",
        "src/heredoc.txt",
        "research/sub.txt",
    ] {
        s.landed(landed);
    }
    for blocked in [
        "research/patch.txt",
        "research/shell.txt",
        "research/heredoc.txt",
        "research/tty.txt",
        "src/sub.txt",
    ] {
        s.blocked(blocked);
    }
    s.audited("src/patch.txt", "allow", "builder", "env");
    let r = s.audited("research/patch.txt", "deny", "builder", "env");
    assert_eq!(r["tool"], "apply_patch", "{r}");
    let r = s.audited("research/heredoc.txt", "deny", "builder", "env");
    assert_eq!(r["tool"], "Bash", "{r}");
    s.audited("research/sub.txt", "allow", "researcher", "agent_type");
    let r = s.audited("src/sub.txt", "deny", "researcher", "agent_type");
    assert_eq!(r["agent_type"], "researcher", "{r}");
    let tty = s.audit().into_iter().find(|r| {
        r["decision"] == "deny" && r["tool"] == "Bash" && r["extra"]["command"] == "bash"
    });
    assert!(
        tty.is_some(),
        "the interactive shell was not denied\n{}",
        s.context()
    );
    // The model was told why.
    let told = stub_text(&stub);
    assert!(
        told.contains("lanes blocked"),
        "no deny reason reached the model"
    );
}

#[test]
fn copilot_keeps_the_builder_and_its_researcher_subagent_in_their_lanes() {
    if skip() {
        return;
    }
    let copilot = install::installed(&COPILOT);
    let agent = "---\nname: researcher\ndescription: Writes research notes\n---\nYou are the researcher; write only in research/.\n";
    let repo = TestRepo::for_client(
        POLICY,
        "copilot",
        &[(".github/agents/researcher.agent.md", agent)],
    );
    let bash = |cmd: &str| function_call("bash", json!({"command": cmd, "description": "write"}));
    let create = |p: &str| function_call("create", json!({"path": p, "file_text": "created\n"}));
    let script = json!({
        "main": [
            create("src/create.txt"),
            create("research/create.txt"),
            bash("echo shell > src/shell.txt"),
            bash("echo shell > research/shell.txt"),
            function_call("task", json!({"agent_type": "researcher", "name": "researcher-sub",
                "description": "research", "prompt": "SUBTASK: write research/sub.txt"})),
        ],
        "sub": [
            bash("echo sub > research/sub.txt"),
            create("src/sub.txt"),
        ],
    });
    let (s, stub) = run_copilot(&copilot, repo, &script, "claude-sonnet-4.5");
    assert!(s.out.success(), "{}", s.context());
    for landed in ["src/create.txt", "src/shell.txt", "research/sub.txt"] {
        s.landed(landed);
    }
    for blocked in ["research/create.txt", "research/shell.txt", "src/sub.txt"] {
        s.blocked(blocked);
    }
    s.audited("src/create.txt", "allow", "builder", "env");
    let r = s.audited("research/create.txt", "deny", "builder", "env");
    assert_eq!(r["tool"], "Write", "{r}");
    s.audited("research/shell.txt", "deny", "builder", "env");
    s.audited("research/sub.txt", "allow", "researcher", "agent_type");
    s.audited("src/sub.txt", "deny", "researcher", "agent_type");
    assert!(
        stub_text(&stub).contains("lanes blocked"),
        "no deny reason reached the model"
    );
}

/// With a GPT model Copilot CLI offers `apply_patch`, whose arguments are a bare patch string
/// (the PascalCase hook sees it as `Edit` with a string `tool_input`).
#[test]
fn copilot_apply_patch_lands_in_the_builders_lane_only() {
    if skip() {
        return;
    }
    let copilot = install::installed(&COPILOT);
    let repo = TestRepo::for_client(POLICY, "copilot", &[]);
    let patch = |p: &str| json!({"type": "custom_tool_call", "name": "apply_patch", "input": add_file(p, "patched")});
    let script = json!({ "main": [patch("src/patched.txt"), patch("research/patched.txt")] });
    let (s, _stub) = run_copilot(&copilot, repo, &script, "gpt-5.4");
    assert!(s.out.success(), "{}", s.context());
    s.landed("src/patched.txt");
    s.blocked("research/patched.txt");
    s.audited("src/patched.txt", "allow", "builder", "env");
    let r = s.audited("research/patched.txt", "deny", "builder", "env");
    assert_eq!(r["tool"], "Edit", "{r}");
}

#[test]
fn gemini_keeps_the_builder_in_its_lane() {
    if skip() {
        return;
    }
    let gemini = install::installed(&GEMINI);
    let repo = TestRepo::for_client(POLICY, "gemini", &[]);
    let root = repo.root().canonicalize().unwrap();
    let call = |name: &str, args: Value| {
        json!({"method": "generateContentStream", "response": [{"candidates": [{"content": {"role": "model",
            "parts": [{"functionCall": {"name": name, "args": args}}]}, "finishReason": "STOP", "index": 0}]}]})
    };
    let done = json!({"method": "generateContentStream", "response": [{"candidates": [{"content": {"role": "model",
        "parts": [{"text": "Done."}]}, "finishReason": "STOP", "index": 0}]}]});
    let lines = [
        call(
            "write_file",
            json!({"file_path": "src/write.txt", "content": "written\n"}),
        ),
        call(
            "write_file",
            json!({"file_path": "research/write.txt", "content": "no\n"}),
        ),
        // `dir_path` is not folded into `cwd`: lanes joins it.
        call(
            "run_shell_command",
            json!({"command": "echo hi > notes.md", "dir_path": "research", "description": "notes"}),
        ),
        call(
            "run_shell_command",
            json!({"command": "echo hi > src/shell.txt", "description": "shell"}),
        ),
        done,
    ];
    let script = repo.artifacts().join("responses.jsonl");
    std::fs::write(
        &script,
        lines
            .iter()
            .map(|l| l.to_string() + "\n")
            .collect::<String>(),
    )
    .unwrap();
    // What the user does once: trust the folder (Gemini skips project hooks otherwise).
    let gemini_dir = repo.home().join(".gemini");
    write_json(
        &gemini_dir.join("settings.json"),
        &json!({"security": {"auth": {"selectedType": "gemini-api-key"}}}),
    );
    write_json(
        &gemini_dir.join("trustedFolders.json"),
        &json!({ root.to_string_lossy(): "TRUST_FOLDER" }),
    );
    let mut cmd = base_command(&gemini, &repo);
    cmd.env("GEMINI_CLI_HOME", repo.home())
        .env("GEMINI_API_KEY", "dummy")
        .args(["-m", "gemini-2.5-pro", "-p", "go", "--approval-mode=yolo"])
        .arg("--fake-responses-non-strict")
        .arg(&script);
    let out = run_with_timeout(&mut cmd, RUN_TIMEOUT).expect("run gemini");
    let s = Session {
        repo,
        out,
        client: "gemini",
    };
    assert!(s.out.success(), "{}", s.context());
    s.landed("src/write.txt");
    s.landed("src/shell.txt");
    s.blocked("research/write.txt");
    s.blocked("research/notes.md");
    s.audited("src/write.txt", "allow", "builder", "env");
    let r = s.audited("research/write.txt", "deny", "builder", "env");
    assert_eq!(r["tool"], "write_file", "{r}");
    let r = s.audited("research/notes.md", "deny", "builder", "env");
    assert_eq!(r["tool"], "run_shell_command", "{r}");
    assert!(
        s.out
            .stderr
            .contains("lanes blocked write_file to research/write.txt"),
        "Gemini did not show the deny reason\n{}",
        s.context()
    );
}

/// Trusts every hook Codex lists for the project, as `/hooks` in its TUI does: the current
/// hash from `codex app-server`'s `hooks/list`, stored as `[hooks.state."KEY"] trusted_hash`
/// in `config.toml`.
fn trust_codex_hooks(codex: &Path, repo: &TestRepo, codex_home: &Path) {
    use std::io::{BufRead, BufReader, Write};
    let root = repo.root().canonicalize().unwrap();
    let mut child = base_command(codex, repo)
        .env("CODEX_HOME", codex_home)
        .arg("app-server")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start codex app-server");
    let mut stdin = child.stdin.take().unwrap();
    for msg in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"clientInfo": {"name": "lanes-e2e", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "hooks/list", "params": {"cwd": root}}),
    ] {
        writeln!(stdin, "{msg}").unwrap();
    }
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let v: Value = serde_json::from_str(&line).unwrap_or_default();
            if v["id"] == 2 {
                let _ = tx.send(v);
                return;
            }
        }
    });
    let listed = rx.recv_timeout(Duration::from_secs(60));
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
    let listed = listed.expect("codex app-server answered hooks/list");
    let hooks = listed["result"]["data"][0]["hooks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !hooks.is_empty(),
        "Codex lists no hook for the project: {listed}"
    );
    let mut config = std::fs::read_to_string(codex_home.join("config.toml")).unwrap();
    for h in hooks {
        config.push_str(&format!(
            "\n[hooks.state.{}]\ntrusted_hash = {}\n",
            h["key"], h["currentHash"]
        ));
    }
    std::fs::write(codex_home.join("config.toml"), config).unwrap();
}

/// Everything the stub was sent after the first request (tool outputs included), as text.
fn stub_text(stub: &Stub) -> String {
    stub.requests()
        .iter()
        .map(|r| r["body"].to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

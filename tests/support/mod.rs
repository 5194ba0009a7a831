//! Test support: hermetic temporary repositories and a fluent `lanes hook` runner.
#![allow(dead_code)] // each test binary uses a different part

pub mod bash_fixture;

use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `lanes` binary under test.
pub fn lanes() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lanes"));
    for var in [
        "LANES_ROLE",
        "LANES_POLICY",
        "CLAUDE_CODE_AGENT",
        "LANES_HOOK_DEADLINE_MS",
        "LANES_FAULT",
    ] {
        c.env_remove(var);
    }
    // Generous: the suite runs many processes at once on small machines.
    c.env("LANES_HOOK_DEADLINE_MS", "10000");
    c
}

/// A temporary git repository holding a policy, with `src/` and `research/` present.
pub struct Repo {
    pub dir: tempfile::TempDir,
    /// Canonical project root.
    pub root: PathBuf,
}

impl Repo {
    pub fn new(policy: &str) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join("research")).unwrap();
        std::fs::write(root.join("lanes.toml"), policy).unwrap();
        let root = root.canonicalize().unwrap();
        let repo = Repo { dir, root };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// A directory without a policy.
    pub fn bare(path: &Path) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        Repo {
            root: path.canonicalize().unwrap(),
            dir,
        }
    }

    pub fn abs(&self, rel: &str) -> String {
        self.root.join(rel).to_string_lossy().into_owned()
    }

    /// Runs git hermetically in the repository.
    pub fn git(&self, args: &[&str]) -> String {
        let out = git_command(&self.root, self.dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The audit log's lines, parsed.
    pub fn audit(&self) -> Vec<Value> {
        self.audit_in(&self.root)
    }

    /// The lines of the audit log of the project at `root` (another checkout), parsed.
    pub fn audit_in(&self, root: &Path) -> Vec<Value> {
        match std::fs::read_to_string(root.join(".lanes/audit.jsonl")) {
            Ok(text) => text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    pub fn hook(&self) -> Hook {
        Hook {
            root: self.root.clone(),
            cwd: Some(self.root.clone()),
            tool: "Read".into(),
            tool_input: json!({}),
            agent: None,
            env: Vec::new(),
            args: Vec::new(),
            stdin: None,
            session_id: "sess-1".into(),
        }
    }
}

/// git with a private HOME, no system config, a pinned identity and no signing.
pub fn git_command(dir: &Path, home: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ]);
    c
}

/// One `lanes hook` call being built.
pub struct Hook {
    root: PathBuf,
    cwd: Option<PathBuf>,
    tool: String,
    tool_input: Value,
    agent: Option<String>,
    env: Vec<(String, String)>,
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
    session_id: String,
}

impl Hook {
    /// The call's `session_id` (default `sess-1`).
    pub fn session(mut self, id: &str) -> Hook {
        self.session_id = id.into();
        self
    }
    pub fn role(mut self, role: &str) -> Hook {
        self.env.push(("LANES_ROLE".into(), role.into()));
        self
    }
    pub fn agent(mut self, agent_type: &str) -> Hook {
        self.agent = Some(agent_type.into());
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Hook {
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn arg(mut self, a: &str) -> Hook {
        self.args.push(a.into());
        self
    }
    pub fn cwd(mut self, dir: &Path) -> Hook {
        self.cwd = Some(dir.to_path_buf());
        self
    }
    pub fn no_cwd(mut self) -> Hook {
        self.cwd = None;
        self
    }
    pub fn tool(mut self, name: &str, input: Value) -> Hook {
        self.tool = name.into();
        self.tool_input = input;
        self
    }
    /// A Write to a path relative to the project root (sent absolute, as Claude Code does).
    pub fn write(self, rel: &str) -> Hook {
        let abs = self.root.join(rel).to_string_lossy().into_owned();
        self.write_raw(&abs)
    }
    /// A Write to `path` exactly as given.
    pub fn write_raw(self, path: &str) -> Hook {
        self.tool("Write", json!({"file_path": path, "content": "x"}))
    }
    pub fn stdin(mut self, bytes: &[u8]) -> Hook {
        self.stdin = Some(bytes.to_vec());
        self
    }

    /// The PreToolUse input, shaped like what Claude Code 2.1.330 sent.
    pub fn payload(&self) -> Vec<u8> {
        if let Some(s) = &self.stdin {
            return s.clone();
        }
        let mut v = json!({
            "session_id": self.session_id,
            "transcript_path": format!("/home/dev/.claude/projects/x/{}.jsonl", self.session_id),
            "permission_mode": "acceptEdits",
            "hook_event_name": "PreToolUse",
            "tool_name": self.tool,
            "tool_input": self.tool_input,
            "tool_use_id": "toolu_01",
        });
        if let Some(cwd) = &self.cwd {
            v["cwd"] = json!(cwd);
        }
        if let Some(a) = &self.agent {
            v["agent_type"] = json!(a);
            v["agent_id"] = json!("a33e885bf416860c7");
        }
        serde_json::to_vec(&v).unwrap()
    }

    fn command(&self) -> Command {
        let mut c = lanes();
        c.arg("hook").args(&self.args).current_dir(&self.root);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    pub fn run(self) -> HookOutput {
        self.run_with_stdout(Stdio::piped())
    }

    /// Runs the hook with its stdout connected to `stdout` (e.g. `/dev/full`).
    pub fn run_with_stdout(self, stdout: Stdio) -> HookOutput {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // lanes may exit before reading stdin (a usage error): a broken pipe is expected then.
        if let Err(e) = child.stdin.take().unwrap().write_all(&self.payload()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        let out = child.wait_with_output().unwrap();
        HookOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs the hook without ever closing its stdin; kills it after 20 s.
    pub fn run_with_open_stdin(self) -> Output {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _keep_open = child.stdin.take();
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > Duration::from_secs(20) {
                child.kill().unwrap();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        child.wait_with_output().unwrap()
    }
}

/// What one hook call did.
#[derive(Debug)]
pub struct HookOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl HookOutput {
    /// Asserts the call was let through: exit 0 and nothing on stdout.
    pub fn allowed(self) {
        assert_eq!(
            (self.code, self.stdout.as_str()),
            (0, ""),
            "expected allow, got {self:?}"
        );
    }

    /// Asserts a JSON deny on stdout with exit 0, and returns the reason.
    pub fn denied(self) -> String {
        assert_eq!(self.code, 0, "expected a deny, got {self:?}");
        let v: Value =
            serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {self:?}"));
        let out = &v["hookSpecificOutput"];
        assert_eq!(out["hookEventName"], "PreToolUse");
        assert_eq!(out["permissionDecision"], "deny", "{self:?}");
        out["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Asserts exit 2 (block) with a reason on stderr, and returns it.
    pub fn blocked(self) -> String {
        assert_eq!(self.code, 2, "expected exit 2, got {self:?}");
        assert!(!self.stderr.trim().is_empty());
        // Before the client is known (input that is not JSON, a panic, the deadline), the
        // block every client honours: the same reason on stdout as `decision: "block"`.
        if !self.stdout.is_empty() {
            let v: Value = serde_json::from_str(self.stdout.trim())
                .unwrap_or_else(|e| panic!("{e}: {self:?}"));
            assert_eq!(
                v,
                serde_json::json!({"decision": "block", "reason": self.stderr.trim()}),
                "{self:?}"
            );
        }
        self.stderr.trim().to_string()
    }
}

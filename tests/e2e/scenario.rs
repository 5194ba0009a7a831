//! One scripted `claude -p` run in a fresh repo, and assertions on what it left behind.
//!
//! The prompt carries `LANES-SCRIPT: <json tool calls>`; the stub answers the first model turn
//! with exactly those tool calls and every later turn with "Done.". An [`Call::agent`] call's
//! prompt carries the subagent's own script the same way.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use super::process::{run_with_timeout, Finished};
use super::repo::{TestRepo, POLICY};
use super::stub::Stub;

/// Wall-clock bound for one claude run (a run normally takes 1-3 s).
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Tools pre-approved for the session (`--allowedTools`), so nothing waits for a prompt.
pub const ALLOWED_TOOLS: &str = "Write Edit Bash Agent Read";

/// A tool call the stubbed model makes. Paths are relative to the repo root.
#[derive(Clone, Debug)]
pub enum Call {
    /// `Write {file_path, content}`. Inside a subagent, avoid report-like `.md` names: the CLI
    /// itself refuses those (before any hook runs).
    Write { path: String, content: String },
    /// `Edit {file_path, old_string, new_string}` (the file must exist and have been read).
    Edit {
        path: String,
        old: String,
        new: String,
    },
    /// `Bash {command, description}`; the command runs in the repo root.
    Bash { command: String },
    /// `Agent {subagent_type, description, prompt}`; the prompt scripts the subagent's calls.
    Agent {
        subagent_type: String,
        calls: Vec<Call>,
    },
    /// Any other tool, input passed as is.
    Raw { name: String, input: Value },
}

impl Call {
    pub fn write(path: &str, content: &str) -> Call {
        Call::Write {
            path: path.into(),
            content: content.into(),
        }
    }

    pub fn edit(path: &str, old: &str, new: &str) -> Call {
        Call::Edit {
            path: path.into(),
            old: old.into(),
            new: new.into(),
        }
    }

    pub fn bash(command: &str) -> Call {
        Call::Bash {
            command: command.into(),
        }
    }

    pub fn agent(subagent_type: &str, calls: Vec<Call>) -> Call {
        Call::Agent {
            subagent_type: subagent_type.into(),
            calls,
        }
    }

    /// The stub's wire form: `{"name": TOOL, "input": {...}}`, paths made absolute.
    fn to_json(&self, root: &Path) -> Value {
        let abs = |p: &str| root.join(p).to_string_lossy().into_owned();
        match self {
            Call::Write { path, content } => json!({
                "name": "Write",
                "input": {"file_path": abs(path), "content": content},
            }),
            Call::Edit { path, old, new } => json!({
                "name": "Edit",
                "input": {"file_path": abs(path), "old_string": old, "new_string": new},
            }),
            Call::Bash { command } => json!({
                "name": "Bash",
                "input": {"command": command, "description": "e2e scripted command"},
            }),
            Call::Agent {
                subagent_type,
                calls,
            } => json!({
                "name": "Agent",
                "input": {
                    "subagent_type": subagent_type,
                    "description": format!("e2e {subagent_type} task"),
                    "prompt": script_prompt(&format!("You are the {subagent_type}."), calls, root),
                },
            }),
            Call::Raw { name, input } => json!({"name": name, "input": input}),
        }
    }
}

/// `"<lead> LANES-SCRIPT: [...]"`: the text that makes the stub answer with `calls`.
pub fn script_prompt(lead: &str, calls: &[Call], root: &Path) -> String {
    let calls: Vec<Value> = calls.iter().map(|c| c.to_json(root)).collect();
    format!("{lead} LANES-SCRIPT: {}", Value::Array(calls))
}

/// claude's arguments for one headless scripted run: the prompt, edits accepted and
/// [`ALLOWED_TOOLS`] pre-approved (nothing waits for a person), the result as JSON.
pub fn claude_args(prompt: &str) -> Vec<String> {
    [
        "-p",
        prompt,
        "--permission-mode",
        "acceptEdits",
        "--allowedTools",
        ALLOWED_TOOLS,
        "--output-format",
        "json",
    ]
    .map(String::from)
    .to_vec()
}

/// A `PATH` whose first folder (in the repo's artifacts) holds the pinned `claude`, then the
/// caller's: what `lanes run` finds as `claude`.
pub fn claude_first_on_path(repo: &TestRepo, claude: &Path) -> std::ffi::OsString {
    let bin = repo.artifacts().join("bin");
    fs::create_dir_all(&bin).expect("create bin dir");
    let link = bin.join("claude");
    if !link.exists() {
        std::os::unix::fs::symlink(claude, &link).expect("link claude");
    }
    let mut path = bin.into_os_string();
    path.push(":");
    path.push(super::host_path());
    path
}

/// Clears `cmd`'s environment and sets the hermetic one: `path`, the repo's private HOME and
/// TMPDIR, the Messages API at `stub` with a dummy key, Claude Code's background traffic off,
/// no system git configuration.
pub fn hermetic_env(cmd: &mut Command, repo: &TestRepo, stub: &Stub, path: std::ffi::OsString) {
    cmd.env_clear()
        .env("PATH", path)
        .env("HOME", repo.home())
        .env("TMPDIR", repo.tmp())
        .env("ANTHROPIC_BASE_URL", stub.base_url())
        .env("ANTHROPIC_API_KEY", "dummy")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1");
}

/// Runs one scenario with the default policy and both subagents (`builder`, `researcher`)
/// defined: `role_env` becomes `LANES_ROLE`, `agent` becomes `claude --agent`. `None` when the
/// e2e tests are skipped (`LANES_SKIP_E2E=1`).
pub fn scenario(role_env: Option<&str>, agent: Option<&str>, calls: Vec<Call>) -> Option<Outcome> {
    let mut s = Scenario::new().calls(calls);
    if let Some(r) = role_env {
        s = s.role_env(r);
    }
    if let Some(a) = agent {
        s = s.agent(a);
    }
    s.run()
}

/// Builder for a run: policy, subagent definitions, role sources, scripted calls.
#[derive(Clone, Debug)]
pub struct Scenario {
    policy: String,
    agents: Vec<String>,
    role_env: Option<String>,
    agent: Option<String>,
    calls: Vec<Call>,
    timeout: Duration,
    by_init: bool,
    run_as: Option<String>,
    /// Options of `lanes run` before `--` (`--no-sandbox`, `--layout allow-list`).
    run_args: Vec<String>,
    /// Extra variables for the claude process (`CLAUDE_CODE_BASH_EDIT_DIFF=1`, ...).
    env: Vec<(String, String)>,
    /// Files written into the repo before claude starts.
    files: Vec<(String, String)>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            policy: POLICY.into(),
            agents: vec!["builder".into(), "researcher".into()],
            role_env: None,
            agent: None,
            calls: Vec::new(),
            timeout: RUN_TIMEOUT,
            by_init: false,
            run_as: None,
            run_args: Vec::new(),
            env: Vec::new(),
            files: Vec::new(),
        }
    }
}

impl Scenario {
    pub fn new() -> Scenario {
        Scenario::default()
    }

    /// `lanes.toml` contents.
    pub fn policy(mut self, policy: &str) -> Scenario {
        self.policy = policy.into();
        self
    }

    /// Subagent definitions to create in `.claude/agents/` (replaces the defaults).
    pub fn agents(mut self, names: &[&str]) -> Scenario {
        self.agents = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// `LANES_ROLE` for the claude process (and so for every hook it runs).
    pub fn role_env(mut self, role: &str) -> Scenario {
        self.role_env = Some(role.into());
        self
    }

    /// A variable of the claude process's environment (and so of its hooks and tools).
    pub fn env(mut self, key: &str, value: &str) -> Scenario {
        self.env.push((key.into(), value.into()));
        self
    }

    /// `claude --agent NAME`.
    pub fn agent(mut self, name: &str) -> Scenario {
        self.agent = Some(name.into());
        self
    }

    /// The tool calls of the session's first model turn.
    pub fn calls(mut self, calls: Vec<Call>) -> Scenario {
        self.calls = calls;
        self
    }

    /// Prepare the repository with `lanes init` alone (default template) instead of writing
    /// the policy, settings and agent files; `policy` and `agents` are then unused.
    pub fn by_init(mut self) -> Scenario {
        self.by_init = true;
        self
    }

    /// Options of `lanes run` (with [`Scenario::run_as`]), before its `--`: `--no-sandbox`,
    /// `--layout allow-list`. Each call adds to those given before.
    pub fn run_args(mut self, args: &[&str]) -> Scenario {
        self.run_args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// A file written into the repo (not committed) before claude starts.
    pub fn file(mut self, rel: &str, contents: &str) -> Scenario {
        self.files.push((rel.into(), contents.into()));
        self
    }

    /// Start the session with `lanes run ROLE -- <claude arguments>` (this build's lanes, the
    /// pinned claude first on PATH as `claude`) instead of running claude directly.
    pub fn run_as(mut self, role: &str) -> Scenario {
        self.run_as = Some(role.into());
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Scenario {
        self.timeout = timeout;
        self
    }

    /// Runs claude once; panics (with diagnostics) unless it exits 0 within the timeout.
    /// `None` when the e2e tests are skipped.
    pub fn run(self) -> Option<Outcome> {
        if super::skip_requested() {
            return None;
        }
        let claude = super::install::claude();
        let agents: Vec<&str> = self.agents.iter().map(String::as_str).collect();
        let repo = match self.by_init {
            true => TestRepo::by_init(),
            false => TestRepo::new(&self.policy, &agents),
        };
        for (rel, contents) in &self.files {
            repo.write(rel, contents);
        }
        let stub = Stub::start(&repo.artifacts());
        let prompt = script_prompt("Run the scripted e2e calls.", &self.calls, &repo.root());

        let mut cmd = match &self.run_as {
            None => Command::new(claude),
            Some(role) => {
                let mut c = Command::new(env!("CARGO_BIN_EXE_lanes"));
                c.args(["run", role]).args(&self.run_args).arg("--");
                c
            }
        };
        let path = match &self.run_as {
            None => super::host_path(),
            Some(_) => claude_first_on_path(&repo, claude),
        };
        cmd.current_dir(repo.root()).args(claude_args(&prompt));
        hermetic_env(&mut cmd, &repo, &stub, path);
        if let Some(role) = &self.role_env {
            cmd.env("LANES_ROLE", role);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(agent) = &self.agent {
            cmd.args(["--agent", agent]);
        }
        let finished = run_with_timeout(&mut cmd, self.timeout)
            .unwrap_or_else(|e| panic!("spawning {}: {e}", claude.display()));
        let requests = stub.requests();
        drop(stub);
        let outcome = Outcome {
            scenario: self,
            repo,
            finished,
            requests,
        };
        if !outcome.finished.success() {
            outcome.fail("claude did not exit 0 in time");
        }
        Some(outcome)
    }
}

/// What a run left: the repo on disk, claude's output, and the requests the stub saw.
pub struct Outcome {
    pub scenario: Scenario,
    pub repo: TestRepo,
    pub finished: Finished,
    /// Stub log entries, in arrival order.
    pub requests: Vec<Value>,
}

impl Outcome {
    /// claude's `--output-format json` result object (`result`, `permission_denials`, ...).
    pub fn result(&self) -> Option<Value> {
        serde_json::from_str(self.finished.stdout.trim()).ok()
    }

    /// Every tool call the stub scripted, main session and subagents: `{id, name, input}`.
    pub fn tool_uses(&self) -> Vec<Value> {
        tool_uses(&self.requests)
    }

    /// The last `tool_result` block the model got for each tool_use id.
    pub fn tool_results(&self) -> BTreeMap<String, Value> {
        tool_results(&self.requests)
    }

    /// Parsed lines of `.lanes/audit.jsonl` (empty if absent); panics on a line that is not JSON.
    pub fn audit(&self) -> Vec<Value> {
        let text = fs::read_to_string(self.repo.path(".lanes/audit.jsonl")).unwrap_or_default();
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| self.fail(&format!("audit line is not JSON ({e}): {l}")))
            })
            .collect()
    }

    /// The file exists on disk (the write went through).
    #[track_caller]
    pub fn assert_landed(&self, rel: &str) {
        if !self.repo.path(rel).exists() {
            self.fail(&format!("expected {rel} to be written, it is not on disk"));
        }
    }

    /// The file is not on disk, a scripted call naming it was made (Write/Edit `file_path`, or
    /// a Bash command containing it), and the model got a PreToolUse hook error for each.
    #[track_caller]
    pub fn assert_blocked(&self, rel: &str) {
        if self.repo.path(rel).exists() {
            self.fail(&format!("expected {rel} to be blocked, but it was written"));
        }
        let abs = self.repo.path(rel).to_string_lossy().into_owned();
        let calls: Vec<Value> = self
            .tool_uses()
            .into_iter()
            .filter(|c| {
                c["input"]["file_path"] == abs.as_str()
                    || c["input"]["command"]
                        .as_str()
                        .is_some_and(|cmd| cmd.contains(rel))
            })
            .collect();
        self.assert_hook_denied(&calls, rel);
    }

    /// The file is not on disk, and the scripted call naming it ran (the hook let it through)
    /// and got `error` in its result: the OS sandbox, not the hook, stopped it.
    #[track_caller]
    pub fn assert_contained(&self, rel: &str, error: &str) {
        if self.repo.path(rel).exists() {
            self.fail(&format!(
                "expected {rel} to be contained, but it was written"
            ));
        }
        let results = self.tool_results();
        let calls: Vec<Value> = self
            .tool_uses()
            .into_iter()
            .filter(|c| {
                c["input"]["command"]
                    .as_str()
                    .is_some_and(|cmd| cmd.contains(rel))
            })
            .collect();
        if calls.is_empty() {
            self.fail(&format!("no scripted Bash call names {rel}"));
        }
        for call in calls {
            let id = call["id"].as_str().unwrap_or_default();
            let text = results
                .get(id)
                .map(|r| r["content"].to_string())
                .unwrap_or_default();
            if text.contains("PreToolUse:") || !text.contains(error) {
                self.fail(&format!(
                    "{rel}: expected the command to run and fail with {error:?}, got {text}"
                ));
            }
        }
    }

    /// Every scripted call of tool `name` (e.g. `Agent`) was denied by a PreToolUse hook.
    #[track_caller]
    pub fn assert_tool_denied(&self, name: &str) {
        let calls: Vec<Value> = self
            .tool_uses()
            .into_iter()
            .filter(|c| c["name"] == name)
            .collect();
        self.assert_hook_denied(&calls, name);
    }

    #[track_caller]
    fn assert_hook_denied(&self, calls: &[Value], what: &str) {
        if calls.is_empty() {
            self.fail(&format!("no scripted tool call matches {what}"));
        }
        let results = self.tool_results();
        for call in calls {
            let id = call["id"].as_str().unwrap_or_default();
            let Some(result) = results.get(id) else {
                self.fail(&format!("the model never got a result for {id} ({what})"));
            };
            // Claude Code words a hook denial as "PreToolUse:<Tool> hook error: <reason>".
            let hook_error =
                result["is_error"] == true && result["content"].to_string().contains("PreToolUse:");
            if !hook_error {
                self.fail(&format!(
                    "{what}: expected a PreToolUse hook denial, got {result}"
                ));
            }
        }
    }

    /// The audit line whose `path` (repo-relative; `None`: a path-less call such as a spawn) and
    /// `decision` and `role_source` match; returned for further checks.
    #[track_caller]
    pub fn assert_audit(&self, rel: Option<&str>, decision: &str, role_source: &str) -> Value {
        let found = self.audit().into_iter().find(|l| {
            l["path"].as_str() == rel
                && l["decision"] == decision
                && l["role_source"] == role_source
        });
        found.unwrap_or_else(|| {
            self.fail(&format!(
                "no audit line with path={rel:?}, decision={decision:?}, role_source={role_source:?}"
            ))
        })
    }

    /// The requests the model (the stub) got after `text` first reached it: a hook's message
    /// to the model (PostToolUse `additionalContext`, a deny reason) arrives in the next one.
    pub fn requests_mentioning(&self, text: &str) -> Vec<&Value> {
        self.requests
            .iter()
            .filter(|r| r.get("body").is_some_and(|b| b.to_string().contains(text)))
            .collect()
    }

    /// Panics with everything needed to see why: the scenario, claude's exit and output, the
    /// audit log, the files in the repo and the conversation the stub saw.
    #[track_caller]
    pub fn fail(&self, what: &str) -> ! {
        panic!("{what}\n{}", self.diagnostics())
    }

    pub fn diagnostics(&self) -> String {
        let f = &self.finished;
        let mut d = String::new();
        let sc = &self.scenario;
        let _ = writeln!(
            d,
            "--- repo: {} (deleted after the test)",
            self.repo.root().display()
        );
        let _ = writeln!(
            d,
            "--- LANES_ROLE={:?} --agent={:?} lanes run={:?}",
            sc.role_env, sc.agent, sc.run_as
        );
        let policy = match sc.by_init {
            true => fs::read_to_string(self.repo.path("lanes.toml")).unwrap_or_default(),
            false => sc.policy.clone(),
        };
        let _ = writeln!(d, "--- lanes.toml:\n{}", policy.trim_end());
        let _ = writeln!(
            d,
            "--- claude: {} after {:.1}s",
            f.status
                .map_or("KILLED (timeout)".to_string(), |s| s.to_string()),
            f.elapsed.as_secs_f64()
        );
        let _ = writeln!(d, "--- stdout:\n{}", clip(&f.stdout, 4000));
        let _ = writeln!(d, "--- stderr:\n{}", clip(&f.stderr, 4000));
        let audit = fs::read_to_string(self.repo.path(".lanes/audit.jsonl"));
        let _ = writeln!(
            d,
            "--- .lanes/audit.jsonl:\n{}",
            audit.unwrap_or_else(|e| e.to_string())
        );
        let _ = writeln!(
            d,
            "--- files: {}",
            self.repo
                .git(&["status", "--porcelain", "-uall"])
                .trim_end()
        );
        let _ = writeln!(
            d,
            "--- stub saw {} requests; tool calls and results:",
            self.requests.len()
        );
        let results = self.tool_results();
        for call in self.tool_uses() {
            let id = call["id"].as_str().unwrap_or_default();
            let _ = writeln!(
                d,
                "  {} {} {}",
                id,
                call["name"],
                clip(&call["input"].to_string(), 300)
            );
            let res = results
                .get(id)
                .map_or("(no result)".into(), |r| r.to_string());
            let _ = writeln!(d, "    -> {}", clip(&res, 400));
        }
        d
    }
}

/// Every tool call the stub scripted in `requests` (its log): `{id, name, input}`.
pub fn tool_uses(requests: &[Value]) -> Vec<Value> {
    requests
        .iter()
        .filter_map(|r| r.pointer("/reply/content")?.as_array().cloned())
        .flatten()
        .filter(|b| b["type"] == "tool_use")
        .collect()
}

/// The last `tool_result` block the model got for each tool_use id in `requests`.
pub fn tool_results(requests: &[Value]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for r in requests {
        let Some(messages) = r.pointer("/body/messages").and_then(Value::as_array) else {
            continue;
        };
        for m in messages.iter().filter(|m| m["role"] == "user") {
            for b in m["content"].as_array().into_iter().flatten() {
                if b["type"] == "tool_result" {
                    if let Some(id) = b["tool_use_id"].as_str() {
                        out.insert(id.to_string(), b.clone());
                    }
                }
            }
        }
    }
    out
}

/// `s` cut to at most `max` bytes, saying how much was cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... [{} bytes clipped]", &s[..end], s.len() - end)
}

//! End to end: `lanes up --detach` starts a researcher and a builder with the real Claude Code
//! CLI (pinned) in the panes of a private tmux server, every agent headless
//! (`lanes up ... -- -p PROMPT`) against the scripted stub of the Messages API. Both get the
//! same script: write the researcher's complete signal file, then write into the builder's
//! lane. Each role's lane decides which of the two lands, and the builder, held back by
//! `after = ["researcher"]`, starts only once the signal file is complete. The tmux server runs
//! before `lanes up` does, without the stub's address, which the agents get from `lanes up`'s
//! caller.
//!
//! Needs tmux, npm (first run only) and python3; `LANES_SKIP_E2E=1` skips it (not under CI).
//! Polls with generous limits; nothing asserts on timings.
#![cfg(unix)]

mod e2e;
mod skip;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use e2e::process::run_with_timeout;
use e2e::repo::TestRepo;
use e2e::scenario::{claude_args, claude_first_on_path, clip, hermetic_env, script_prompt};
use e2e::scenario::{tool_results, tool_uses};
use e2e::stub::Stub;
use e2e::tmux::PrivateTmux;
use e2e::Call;
use serde_json::{json, Value};

/// The session's name.
const SESSION: &str = "lanes-e2e-team";

/// The longest the test waits for both agents to finish (they take seconds; the builder
/// starts a few seconds after the signal file is complete).
const PATIENCE: Duration = Duration::from_secs(180);

/// The researcher's signal file, complete by the default template's `signal_requires`.
const DONE: &str = "# Research\n\n## Findings\nThe API has no rate limit.\n\n## Plan\n\
                    1. Add one.\n\n## Open questions\nNone.\n\nStatus: done\n";

/// What the builder writes.
const BUILT: &str = "built by the team\n";

#[test]
fn lanes_up_starts_the_builder_after_the_researcher_and_keeps_each_in_its_lane() {
    if e2e::skip_requested() {
        return;
    }
    let claude = e2e::install::claude();
    let repo = TestRepo::by_init();
    let stub = Stub::start(&repo.artifacts());
    // Declared last, so dropped first: the server and every agent in it end before the
    // stub and the repository go, whatever the test's outcome.
    let Some(tmux) = PrivateTmux::new() else {
        return;
    };
    let done_path = repo.path("research/DONE.md").to_string_lossy().into_owned();
    // Read first: Claude Code refuses to overwrite a file it has not read, and the builder's
    // Write of the researcher's file is to be refused for its lane, not for that.
    let calls = vec![
        Call::Raw {
            name: "Read".into(),
            input: json!({ "file_path": done_path }),
        },
        Call::write("research/DONE.md", DONE),
        Call::write("src/built.txt", BUILT),
    ];
    let prompt = script_prompt("Do your part of the task.", &calls, &repo.root());
    // A tmux server running already, as when lanes up is run inside tmux, started with none
    // of the stub's settings: the agents get them from the caller all the same.
    let mut earlier = Command::new("tmux");
    earlier
        .args(["new-session", "-d", "-s", "earlier", "sleep 600"])
        .env_clear()
        .env("PATH", e2e::host_path())
        .env("HOME", repo.home());
    tmux.target(&mut earlier);
    assert!(earlier.status().expect("start tmux").success());
    let mut up = Command::new(env!("CARGO_BIN_EXE_lanes"));
    up.args(["up", "--detach", "--no-sandbox", "--session", SESSION])
        .args(["researcher", "builder", "--"])
        .args(claude_args(&prompt))
        .current_dir(repo.root());
    hermetic_env(&mut up, &repo, &stub, claude_first_on_path(&repo, claude));
    tmux.target(&mut up);
    let team = Team {
        tmux: &tmux,
        repo: &repo,
        stub: &stub,
    };
    let started = run_with_timeout(&mut up, Duration::from_secs(60)).expect("run lanes up");
    if !started.success() {
        team.fail(&format!(
            "lanes up did not exit 0: {:?}\n{}{}",
            started.status, started.stdout, started.stderr
        ));
    }
    if !started
        .stdout
        .contains(&format!("lanes up: session '{SESSION}'"))
    {
        team.fail(&format!(
            "lanes up did not name the session: {}",
            started.stdout
        ));
    }

    team.wait_for_both_agents();

    // On disk: the researcher's signal file as it wrote it, the builder's file.
    let done = std::fs::read_to_string(repo.path("research/DONE.md")).unwrap_or_default();
    if done != DONE {
        team.fail(&format!(
            "research/DONE.md is not the researcher's: {done:?}"
        ));
    }
    let built = std::fs::read_to_string(repo.path("src/built.txt")).unwrap_or_default();
    if built != BUILT {
        team.fail(&format!("src/built.txt is not the builder's: {built:?}"));
    }

    // The audit log: each role's write into its own lane allowed, nothing let through out of
    // lane, and the builder's first tool call after the researcher's signal file.
    let audit = team.audit();
    let find = |role: &str, path: &str, decision: &str| {
        audit
            .iter()
            .position(|l| l["role"] == role && l["path"] == path && l["decision"] == decision)
    };
    let Some(signal) = find("researcher", "research/DONE.md", "allow") else {
        team.fail("no audit line allowing the researcher's research/DONE.md");
    };
    if find("builder", "src/built.txt", "allow").is_none() {
        team.fail("no audit line allowing the builder's src/built.txt");
    }
    for (role, path) in [
        ("researcher", "src/built.txt"),
        ("builder", "research/DONE.md"),
    ] {
        if find(role, path, "allow").is_some() {
            team.fail(&format!("the {role}'s {path} was allowed"));
        }
    }
    let handoff = "lanes: research/DONE.md of role 'researcher' is complete";
    if !tmux.screen(SESSION, "builder").contains(handoff) {
        team.fail("the builder's pane does not say the signal file it waited for is complete");
    }
    let first_of_builder = audit.iter().position(|l| l["role"] == "builder");
    if first_of_builder.is_none_or(|b| b < signal) {
        team.fail("the builder made a tool call before the researcher's signal file");
    }

    // What each agent was told: its own write went through; the other role's file was refused
    // by the rules `lanes run` gives Claude Code (`permissions.deny`), which it applies
    // before the hook, so these refusals leave no audit line.
    let refused = "denied by your permission settings";
    let done = repo.path("research/DONE.md");
    let built = repo.path("src/built.txt");
    team.assert_write("researcher", &done, None);
    team.assert_write("researcher", &built, Some(refused));
    team.assert_write("builder", &done, Some(refused));
    team.assert_write("builder", &built, None);

    let mut down = Command::new(env!("CARGO_BIN_EXE_lanes"));
    down.args(["down", "--session", SESSION])
        .current_dir(repo.root());
    hermetic_env(&mut down, &repo, &stub, e2e::host_path());
    tmux.target(&mut down);
    let ended = run_with_timeout(&mut down, Duration::from_secs(60)).expect("run lanes down");
    if !ended.success() || tmux.has_session(SESSION) {
        team.fail(&format!(
            "lanes down did not end the session: {:?} {}{}",
            ended.status, ended.stdout, ended.stderr
        ));
    }
}

/// The running team, for polling and for saying what went wrong.
struct Team<'a> {
    tmux: &'a PrivateTmux,
    repo: &'a TestRepo,
    stub: &'a Stub,
}

impl Team<'_> {
    /// Waits until the researcher's and the builder's panes each show Claude Code's result
    /// (`--output-format json`: one line, `"type":"result"`), and checks it is a success.
    fn wait_for_both_agents(&self) {
        let start = Instant::now();
        let result = |role: &str| -> Option<Value> {
            let screen = self.tmux.screen(SESSION, role);
            screen
                .lines()
                .filter(|l| l.starts_with('{') && l.contains(r#""type":"result""#))
                .find_map(|l| serde_json::from_str(l.trim_end()).ok())
        };
        loop {
            if let (Some(r), Some(b)) = (result("researcher"), result("builder")) {
                for (role, res) in [("researcher", r), ("builder", b)] {
                    if res["is_error"] != false || res["subtype"] != "success" {
                        self.fail(&format!("the {role}'s session did not succeed: {res}"));
                    }
                }
                return;
            }
            if start.elapsed() > PATIENCE {
                self.fail(&format!(
                    "the agents did not both finish within {PATIENCE:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Parsed lines of the audit log.
    fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(self.repo.path(".lanes/audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The Write of `file` by `role`'s session (its id from the audit log; the stub sees it
    /// in each request's `x-claude-code-session-id`) succeeded, or, with `refused`, got an
    /// error result saying so.
    #[track_caller]
    fn assert_write(&self, role: &str, file: &Path, refused: Option<&str>) {
        let audit = self.audit();
        let Some(session) = audit
            .iter()
            .find(|l| l["role"] == role)
            .and_then(|l| l["session_id"].as_str())
        else {
            self.fail(&format!("no audit line of the {role}'s session"));
        };
        let requests: Vec<Value> = self
            .stub
            .requests()
            .into_iter()
            .filter(|r| r["headers"]["x-claude-code-session-id"] == session)
            .collect();
        let file = file.to_string_lossy();
        let Some(call) = tool_uses(&requests)
            .into_iter()
            .find(|c| c["name"] == "Write" && c["input"]["file_path"] == *file)
        else {
            self.fail(&format!("the {role} made no Write of {file}"));
        };
        let id = call["id"].as_str().unwrap_or_default();
        let result = tool_results(&requests).remove(id).unwrap_or_default();
        let error = result["is_error"] == true;
        let ok = match refused {
            None => !error,
            Some(why) => error && result["content"].to_string().contains(why),
        };
        if !ok {
            self.fail(&format!(
                "the {role}'s Write of {file}: expected {}, got {result}",
                refused.map_or("success".to_string(), |w| format!("an error saying {w:?}"))
            ));
        }
    }

    /// Panics with what shows why: both panes, the audit log, the files, the tool calls.
    #[track_caller]
    fn fail(&self, what: &str) -> ! {
        let mut d = format!("{what}\n--- repo: {}\n", self.repo.root().display());
        for role in ["researcher", "builder", "watch"] {
            d.push_str(&format!(
                "--- pane {role}:\n{}\n",
                clip(self.tmux.screen(SESSION, role).trim_end(), 4000)
            ));
        }
        d.push_str(&format!(
            "--- .lanes/audit.jsonl:\n{}\n",
            std::fs::read_to_string(self.repo.path(".lanes/audit.jsonl")).unwrap_or_default()
        ));
        d.push_str(&format!(
            "--- files: {}\n",
            self.repo
                .git(&["status", "--porcelain", "-uall"])
                .trim_end()
        ));
        let requests = self.stub.requests();
        let results = tool_results(&requests);
        d.push_str(&format!("--- stub saw {} requests:\n", requests.len()));
        for call in tool_uses(&requests) {
            let id = call["id"].as_str().unwrap_or_default();
            d.push_str(&format!(
                "  {id} {} {}\n    -> {}\n",
                call["name"],
                clip(&call["input"].to_string(), 200),
                clip(
                    &results
                        .get(id)
                        .map_or("(no result)".into(), Value::to_string),
                    400
                )
            ));
        }
        panic!("{d}")
    }
}

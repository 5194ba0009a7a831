//! How `lanes report` counts audit lines: per call, so that only what ran is counted.
//!
//! A call's PreToolUse lines share its time stamp, session, agent, tool and `tool_use_id`
//! ([`same_call`]). A call with any `deny` line (or `ran: false`) ran in no part: its
//! denied effects are listed as denied and its in-lane targets nowhere. An `ask` is the
//! user's question, not a denial. Lines with an `event` were written after a call ran
//! (PostToolUse, PostToolUseFailure) or for a prompt (UserPromptSubmit).

use super::{Count, Group};
use crate::audit::Record;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

/// One shell command of a session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CommandRun {
    /// The command, as the audit log quotes it.
    pub command: String,
    /// How it ended as the client reported it after the run: `ok`, `Exit code 3`, ...;
    /// `None` when no PostToolUse line was recorded (the hook is not registered for it).
    pub outcome: Option<String>,
    /// Files the client's diff listed as changed by it.
    pub changed: Option<u64>,
    /// Why its effects were not verified after the run (see [`unverified_text`]); `None`
    /// when they were, or when nothing ran after it (`outcome` is `None`).
    pub unverified: Option<String>,
    /// True when lanes judged it opaque beforehand.
    pub opaque: bool,
    /// True when it looks like a test command (see [`is_test_command`]).
    pub test: bool,
}

/// True when `b` is a line of the same call as `a`.
pub fn same_call(a: &Record, b: &Record) -> bool {
    a.ts == b.ts
        && a.session_id == b.session_id
        && a.agent_id == b.agent_id
        && a.tool == b.tool
        && a.tool_use_id == b.tool_use_id
        && event(a) == event(b)
}

fn event(r: &Record) -> Option<&str> {
    r.extra.get("event").and_then(Value::as_str)
}

fn text<'a>(r: &'a Record, key: &str) -> Option<&'a str> {
    r.extra.get(key).and_then(Value::as_str)
}

/// What the `unverified` codes of an audit line mean, for people.
pub fn unverified_text(code: &str) -> &str {
    match code {
        "absent" => {
            "the client sent no diff (off in this session, or the command changed nothing git sees)"
        }
        "failed" => "the command failed, and the client reports no diff for a failing command",
        "skipped" => "the client skips its diff for git's own checkout/reset/stash-style commands",
        "truncated" => "the client's diff lists at most 200 files, and this command changed more",
        "unavailable" => "the client's diff was incomplete (a file too large to compare)",
        "background" => "a background command: the client takes no diff of it",
        "no-diff-for-tool" => "this tool has no diff from the client",
        "error" => "lanes could not judge the files the client listed",
        other => other,
    }
}

/// A heuristic: the command runs tests (`cargo test`, `npm test`, `pytest`, `go test`,
/// `make check`, `./scripts/test`, ...): a word `test`, `tests` or `check` after a build
/// tool, or a program whose name says so.
pub fn is_test_command(command: &str) -> bool {
    const RUNNERS: &[&str] = &[
        "pytest", "jest", "vitest", "mocha", "rspec", "ctest", "tox", "nox", "phpunit", "bats",
        "nextest",
    ];
    const TOOLS: &[&str] = &[
        "cargo",
        "npm",
        "pnpm",
        "yarn",
        "bun",
        "deno",
        "go",
        "make",
        "just",
        "mvn",
        "gradle",
        "./gradlew",
        "dotnet",
        "mix",
        "rake",
        "swift",
        "zig",
        "bazel",
        "python",
        "python3",
    ];
    for segment in command.split(['\n', ';', '&', '|']) {
        let words: Vec<&str> = segment.split_whitespace().collect();
        let Some(first) = words.first() else { continue };
        let name = first.rsplit('/').next().unwrap_or(first);
        // A runner by name, or a script of the project named test* (./scripts/test, ./test.sh).
        if RUNNERS.contains(&name) || name.starts_with("test") && first.contains('/') {
            return true;
        }
        if TOOLS.contains(first) || TOOLS.contains(&name) {
            let rest = &words[1..];
            if rest.iter().any(|w| {
                matches!(
                    *w,
                    "test" | "tests" | "check" | "unittest" | "nextest" | "pytest"
                ) || w.starts_with("test:")
            }) {
                return true;
            }
        }
    }
    false
}

/// What one (role, session) group did, while its lines are read.
#[derive(Default)]
pub(super) struct Acc {
    records: u64,
    /// Lines that were only the session's task (UserPromptSubmit).
    prompts: u64,
    first: String,
    last: String,
    pub(super) checkout: Option<PathBuf>,
    task: Option<String>,
    written: IndexMap<String, u64>,
    denied: IndexMap<(String, String), u64>,
    asked: IndexMap<(String, String), u64>,
    opaque: IndexMap<(String, String), u64>,
    violations: IndexMap<(String, String), u64>,
    changed_after: IndexMap<String, u64>,
    violations_after: IndexMap<(String, String), u64>,
    /// Keyed by `tool_use_id` (or the time stamp, in logs without it).
    commands: IndexMap<String, CommandRun>,
    /// The in-lane targets of calls lanes asked the user about, by call: written only if the
    /// call ran, which its PostToolUse line shows.
    asked_writes: Vec<(String, String)>,
    /// Whether any command of the session came with the client's diff: then a command that
    /// ran without one changed nothing git sees (the client leaves the key out then).
    diff_seen: bool,
}

impl Acc {
    /// Counts the lines of one call.
    pub(super) fn add_call(&mut self, call: Vec<Record>) {
        for rec in &call {
            self.records += 1;
            if self.first.is_empty() {
                self.first = rec.ts.clone();
            }
            self.last.clone_from(&rec.ts);
        }
        match call.first().and_then(event) {
            Some("UserPromptSubmit") => {
                self.prompts += call.len() as u64;
                if self.task.is_none() {
                    self.task = call
                        .first()
                        .and_then(|r| text(r, "prompt"))
                        .map(String::from);
                }
            }
            Some(_) => call.iter().for_each(|r| self.add_after(r)),
            None => self.add_before(&call),
        }
    }

    fn key(r: &Record) -> String {
        r.tool_use_id.clone().unwrap_or_else(|| r.ts.clone())
    }

    /// A PreToolUse call.
    fn add_before(&mut self, call: &[Record]) {
        let denied = call
            .iter()
            .any(|r| r.decision == "deny" || r.ran == Some(false));
        let asked = !denied && call.iter().any(|r| r.decision == "ask");
        for rec in call {
            let opaque = rec.extra.get("opaque").and_then(Value::as_bool) == Some(true);
            let item = item(rec, opaque);
            match rec.decision.as_str() {
                "deny" => {
                    *self.denied.entry((item, rec.rule.clone())).or_default() += 1;
                }
                _ if denied => {} // in lane, but the call never ran
                "ask" => {
                    *self.asked.entry((item, rec.rule.clone())).or_default() += 1;
                }
                _ => {
                    if opaque {
                        *self
                            .opaque
                            .entry((item.clone(), rec.rule.clone()))
                            .or_default() += 1;
                    }
                    if rec.violation {
                        *self
                            .violations
                            .entry((item.clone(), rec.rule.clone()))
                            .or_default() += 1;
                    }
                    if rec.path.is_some() && asked {
                        self.asked_writes.push((Self::key(rec), item));
                    } else if rec.path.is_some() {
                        *self.written.entry(item).or_default() += 1;
                    }
                }
            }
        }
        if denied {
            return;
        }
        if let Some(first) = call.iter().find(|r| text(r, "command").is_some()) {
            let cmd = self.commands.entry(Self::key(first)).or_default();
            if cmd.command.is_empty() {
                cmd.command = text(first, "command").unwrap_or_default().to_string();
            }
            cmd.opaque |= call.iter().any(|r| {
                r.decision == "allow"
                    && r.extra.get("opaque").and_then(Value::as_bool) == Some(true)
            });
        }
    }

    /// A line written after a call ran.
    fn add_after(&mut self, rec: &Record) {
        match &rec.path {
            Some(path) if rec.violation => {
                *self
                    .violations_after
                    .entry((path.clone(), rec.rule.clone()))
                    .or_default() += 1;
            }
            Some(path) => *self.changed_after.entry(path.clone()).or_default() += 1,
            None => {
                let cmd = self.commands.entry(Self::key(rec)).or_default();
                if cmd.command.is_empty() {
                    cmd.command = text(rec, "command").unwrap_or(&rec.tool).to_string();
                }
                cmd.outcome = text(rec, "outcome").map(String::from);
                cmd.unverified = text(rec, "unverified").map(String::from);
                cmd.changed = rec.extra.get("changed").and_then(Value::as_u64);
                self.diff_seen |= cmd.changed.is_some();
            }
        }
    }

    /// True when every line of the group was a task line.
    pub(super) fn only_task(&self) -> bool {
        self.prompts == self.records
    }

    pub(super) fn into_group(mut self, role: Option<String>, session: Option<String>) -> Group {
        // Where the session recorded no PostToolUse line at all (the hook is not registered),
        // whether an asked call ran is unknown, and its targets count as written, as before.
        let post_seen = self.commands.values().any(|c| c.outcome.is_some());
        for (key, path) in std::mem::take(&mut self.asked_writes) {
            let ran = self.commands.get(&key).is_some_and(|c| c.outcome.is_some());
            if ran || !post_seen {
                *self.written.entry(path).or_default() += 1;
            }
        }
        let diff_seen = self.diff_seen;
        let mut commands: Vec<CommandRun> = self.commands.into_values().collect();
        for c in &mut commands {
            c.test = is_test_command(&c.command);
            // The diff was on in this session, and this successful command came without one:
            // it changed nothing git sees.
            if diff_seen
                && c.unverified.as_deref() == Some("absent")
                && c.outcome.as_deref() == Some("ok")
            {
                c.unverified = None;
                c.changed = Some(0);
            }
        }
        let opaque_unverified = commands
            .iter()
            .filter(|c| c.opaque && (c.outcome.is_none() || c.unverified.is_some()))
            .map(|c| Count {
                item: c.command.clone(),
                rule: Some(match (&c.outcome, &c.unverified) {
                    (None, _) => "no PostToolUse line: lanes saw nothing after it ran".to_string(),
                    (_, Some(code)) => unverified_text(code).to_string(),
                    _ => String::new(),
                }),
                count: 1,
            })
            .collect();
        Group {
            role,
            session,
            checkout: self.checkout,
            task: self.task,
            records: self.records,
            first: self.first,
            last: self.last,
            written: plain(self.written),
            denied: counts(self.denied),
            asked: counts(self.asked),
            opaque: counts(self.opaque),
            opaque_unverified,
            violations: counts(self.violations),
            changed_after: plain(self.changed_after),
            violations_after: counts(self.violations_after),
            commands,
        }
    }
}

/// What a line is about: its path, else an opaque command, else the tool (with the
/// subagent type of an `Agent` call).
fn item(rec: &Record, opaque: bool) -> String {
    match (&rec.path, opaque) {
        (Some(p), _) => p.clone(),
        (None, true) => text(rec, "command")
            .unwrap_or("(command not recorded)")
            .to_string(),
        (None, false) => match rec.extra.get("subagent_type") {
            Some(Value::String(t)) => format!("{} {t}", rec.tool),
            _ => match text(rec, "command") {
                Some(c) => c.to_string(),
                None => rec.tool.clone(),
            },
        },
    }
}

fn plain(map: IndexMap<String, u64>) -> Vec<Count> {
    map.into_iter()
        .map(|(item, count)| Count {
            item,
            rule: None,
            count,
        })
        .collect()
}

fn counts(map: IndexMap<(String, String), u64>) -> Vec<Count> {
    map.into_iter()
        .map(|((item, rule), count)| Count {
            item,
            rule: Some(rule),
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_commands_are_recognised() {
        for yes in [
            "cargo test --all",
            "npm test",
            "cd web && pnpm run test",
            "pytest -q tests/",
            "go test ./...",
            "./scripts/test",
            "./test.sh",
            "make check",
            "python3 -m pytest",
        ] {
            assert!(is_test_command(yes), "{yes}");
        }
        for no in [
            "ls",
            "cargo build",
            "git commit -m test",
            "echo tests > x",
            "cat test.txt",
        ] {
            assert!(!is_test_command(no), "{no}");
        }
    }
}

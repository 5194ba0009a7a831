//! PostToolUse and PostToolUseFailure of a shell command: what it changed, judged after the
//! run.
//!
//! Claude Code can send `tool_response.bashEditDiff.changedFiles` with a Bash call's
//! PostToolUse input: the absolute paths (at most 200) of the files the command created,
//! changed or deleted, from git snapshots taken before and after it
//! (`shared/reference/bash-edit-diff.md`). Each listed file is judged as a write of the
//! acting role, by [`hook::evaluate_effect`], the same resolution of paths, policies and
//! roles, and the same [`crate::decide`], as the PreToolUse hook. Each file is recorded (one
//! `detected` line: it changed, nothing was decided), and the model is told at once, through
//! `additionalContext`, which files it changed out of lane and that they must be restored.
//!
//! Where the diff is absent, the command's line says why its effects were not verified
//! (`unverified`; see [`crate::report::tally::unverified_text`]): the diff is off, the
//! command failed (PostToolUseFailure carries no diff), git's own checkout/reset-style
//! commands (`skipped`), a background command, more than 200 files. Files git ignores and
//! files outside the repository are never listed, so even a verified command may have
//! changed those. In a checkout where several sessions run at once, a file another session
//! changed while the command ran is listed too.
//!
//! Errors cannot un-run the call: they are told to the user and the session goes on (see
//! [`super`]).

use super::Answer;
use crate::audit::{self, RecordRef};
use crate::decide::Rule;
use crate::env::Env;
use crate::hook::{self, Evaluation};
use crate::hook_input::{self, Effect, HookInput};
use crate::shell;
use serde::Deserialize;
use serde_json::Value;
use std::fmt::Write as _;

/// The fields of a PostToolUse (or PostToolUseFailure) input that only these events have.
#[derive(Debug, Default, Deserialize)]
pub struct AfterFields {
    /// `hook_event_name`.
    #[serde(default)]
    pub hook_event_name: Option<String>,
    /// `tool_response` (PostToolUse): for Bash `{stdout, stderr, interrupted, ...,
    /// bashEditDiff?}`.
    #[serde(default)]
    pub tool_response: Option<Value>,
    /// `error` (PostToolUseFailure): `Exit code 3`, ...
    #[serde(default)]
    pub error: Option<String>,
    /// `is_interrupt` (PostToolUseFailure).
    #[serde(default)]
    pub is_interrupt: Option<bool>,
}

/// What the client says a command did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// `ok`, the failure's `error`, or `interrupted`.
    pub outcome: String,
    /// Absolute paths of the files it changed (`changedFiles`).
    pub changed: Vec<String>,
    /// Those among them the diff marks `created: true` (only the first 5 files carry it).
    pub created: Vec<String>,
    /// Why the changes are not known in full, as an `unverified` code; `None` when they are.
    pub unverified: Option<&'static str>,
}

/// The most `changedFiles` Claude Code lists (bash-edit-diff.md: "max 200").
pub const MAX_CHANGED: usize = 200;

/// Reads what the client reports about a call of `tool` with `tool_input`.
pub fn seen(tool: &str, tool_input: &Value, after: &AfterFields) -> Seen {
    let mut out = Seen {
        outcome: "ok".into(),
        ..Seen::default()
    };
    if after.hook_event_name.as_deref() == Some("PostToolUseFailure") {
        out.outcome = match (after.is_interrupt, &after.error) {
            (Some(true), _) => "interrupted".into(),
            // The error holds the command's output after its first line (`Exit code 1\n...`).
            (_, Some(e)) if !e.trim().is_empty() => e.trim().lines().next().unwrap_or("").into(),
            _ => "failed".into(),
        };
        out.unverified = Some("failed");
        return out;
    }
    if tool != "Bash" {
        out.unverified = Some("no-diff-for-tool");
        return out;
    }
    let diff = after
        .tool_response
        .as_ref()
        .and_then(|r| r.get("bashEditDiff"))
        .filter(|d| d.is_object());
    let Some(diff) = diff else {
        let background = tool_input.get("run_in_background") == Some(&Value::Bool(true));
        out.unverified = Some(if background { "background" } else { "absent" });
        return out;
    };
    if diff.get("skipped") == Some(&Value::Bool(true)) {
        out.unverified = Some("skipped");
        return out;
    }
    let files: &[Value] = diff
        .get("files")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let more = diff.get("moreFiles").and_then(Value::as_u64).unwrap_or(0);
    let path_of = |f: &Value| f.get("filePath").and_then(Value::as_str).map(String::from);
    out.changed = match diff.get("changedFiles").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        None => files.iter().filter_map(path_of).collect(),
    };
    out.created = files
        .iter()
        .filter(|f| f.get("created") == Some(&Value::Bool(true)))
        .filter_map(path_of)
        .collect();
    // The client cuts `changedFiles` when it is shorter than `files.length + moreFiles`.
    if (out.changed.len() as u64) < files.len() as u64 + more || out.changed.len() >= MAX_CHANGED {
        out.unverified = Some("truncated");
    } else if diff.get("unavailable") == Some(&Value::Bool(true)) {
        out.unverified = Some("unavailable");
    }
    out
}

/// Handles one PostToolUse or PostToolUseFailure input. Never fails (see [`super`]).
pub fn run(stdin: &[u8], env: &Env, opts: &hook::Options) -> Answer {
    match check(stdin, env, opts) {
        Ok(answer) => answer,
        Err(e) => Answer::warn_user(
            "PostToolUse",
            &format!(
                "could not check what this command changed, so its effects are not verified: {e}"
            ),
        ),
    }
}

fn check(stdin: &[u8], env: &Env, opts: &hook::Options) -> Result<Answer, String> {
    let input = hook_input::parse(stdin).map_err(|e| e.to_string())?;
    if !matches!(input.tool_name.as_str(), "Bash" | "Monitor" | "PowerShell") {
        return Ok(Answer::default());
    }
    let after: AfterFields = serde_json::from_slice(stdin).map_err(|e| e.to_string())?;
    let event = match after.hook_event_name.as_deref() {
        Some("PostToolUseFailure") => "PostToolUseFailure",
        _ => "PostToolUse",
    };
    let command = input
        .tool_input
        .get("command")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut seen = seen(&input.tool_name, &input.tool_input, &after);
    let judged = hook::evaluate_effect(&input, Effect::Files(seen.changed.clone()), env, opts);
    let (eval, error) = match judged {
        Ok(eval) => (eval, None),
        // The files could not be judged (a broken policy, a path that cannot be resolved):
        // still record that the command ran, unverified, under the role lanes can find.
        Err(e) => {
            seen.unverified = Some("error");
            seen.changed.clear();
            let eval = hook::evaluate_effect(&input, Effect::Files(Vec::new()), env, opts)?;
            (eval, Some(e))
        }
    };
    let excerpt: std::rc::Rc<str> = shell::lexical::excerpt(command).into();
    let out_of_lane: Vec<&hook::Judged> = eval
        .all_judged()
        .filter(|j| counts(&eval, j) && j.verdict.violation)
        .collect();
    record(&input, &eval, event, &excerpt, &seen, out_of_lane.len())?;
    if let Some(e) = error {
        return Ok(Answer::warn_user(
            event,
            &format!("could not judge the files this command changed, so its effects are not verified: {e}"),
        ));
    }
    let blocked: Vec<&hook::Judged> = out_of_lane
        .into_iter()
        .filter(|j| j.verdict.blocked)
        .collect();
    Ok(tell(event, &excerpt, &blocked, &eval, &seen))
}

/// False for the files lanes writes itself (the audit log, `.lanes/`), which a command's
/// snapshot may catch when the project does not ignore them, and for paths outside the
/// project.
fn counts(eval: &Evaluation, j: &hook::Judged) -> bool {
    let Some(path) = j.path.as_deref() else {
        return false;
    };
    if matches!(j.verdict.rule, Rule::Outside) || path.starts_with(".lanes/") {
        return false;
    }
    !eval
        .audit_file
        .as_deref()
        .is_some_and(|log| log.ends_with(path))
}

/// Appends, to each policy's log, one `detected` line per changed file, and to the acting
/// policy's log one line for the command: its outcome, how many files the diff listed, and
/// why its effects were not verified.
fn record(
    input: &HookInput,
    eval: &Evaluation,
    event: &'static str,
    excerpt: &std::rc::Rc<str>,
    seen: &Seen,
    out_of_lane: usize,
) -> Result<(), String> {
    let ts = audit::now();
    let files = seen.changed.len();
    let file_extra = audit::Extra {
        command: Some(excerpt.clone()),
        event: Some(event),
        ..audit::Extra::default()
    };
    let command_extra = audit::Extra {
        command: Some(excerpt.clone()),
        event: Some(event),
        outcome: Some(seen.outcome.clone()),
        // Absent when the client listed nothing it vouches for.
        changed: (seen.unverified.is_none() || files > 0).then_some(files as u64),
        unverified: seen.unverified.map(String::from),
        ..audit::Extra::default()
    };
    let rule = match seen.unverified {
        Some(code) => format!("after the run: not verified ({code})"),
        None => format!("after the run: {files} changed, {out_of_lane} out of lane"),
    };
    let lines = Lines {
        ts,
        input,
        rule,
        file_extra,
        command_extra,
    };
    let line = |e, j| lines.line(e, j);
    let evals = std::iter::once(eval).chain(eval.others.iter());
    for (i, e) in evals.enumerate() {
        let Some(log) = &e.audit_file else { continue };
        let mut lines: Vec<RecordRef<'_>> = e
            .judged
            .iter()
            .filter(|j| counts(e, j) && (i == 0 || j.verdict.violation))
            .map(|j| line(e, Some(j)))
            .collect();
        if i == 0 {
            lines.push(line(e, None));
        }
        audit::append_refs(log, &lines)
            .map_err(|err| format!("cannot append to the audit log {}: {err}", log.display()))?;
    }
    Ok(())
}

/// What the lines of one PostToolUse call share.
struct Lines<'a> {
    ts: String,
    input: &'a HookInput,
    rule: String,
    file_extra: audit::Extra,
    command_extra: audit::Extra,
}

impl Lines<'_> {
    /// The line of changed file `j` (judged under `e`), or with `None` the command's line.
    fn line<'b>(&'b self, e: &'b Evaluation, j: Option<&'b hook::Judged>) -> RecordRef<'b> {
        let input = self.input;
        RecordRef {
            ts: &self.ts,
            session_id: input.session_id.as_deref(),
            agent_id: input.agent_id.as_deref(),
            agent_type: input.agent_type.as_deref(),
            role: e.role.as_deref(),
            role_source: e.role_source.as_str(),
            tool: &input.tool_name,
            path: j.and_then(|j| j.path.as_deref()),
            decision: if j.is_some() { "detected" } else { "allow" },
            violation: j.is_some_and(|j| j.verdict.violation),
            rule: match j {
                Some(j) => &j.verdict.rule,
                None => &self.rule,
            },
            ran: Some(true),
            tool_use_id: input.tool_use_id.as_deref(),
            client: None,
            extra: match j {
                Some(_) => &self.file_extra,
                None => &self.command_extra,
            },
        }
    }
}

/// The answer: the model is told which files the command changed out of lane (those the
/// PreToolUse hook would have denied; log mode only records) and that they must be restored.
fn tell(
    event: &str,
    command: &str,
    blocked: &[&hook::Judged],
    eval: &Evaluation,
    seen: &Seen,
) -> Answer {
    if blocked.is_empty() {
        return Answer::default();
    }
    let role = eval.role.as_deref().unwrap_or("(unassigned)");
    let mut msg = format!(
        "lanes: the command you just ran (`{command}`) changed {} outside the lanes of role '{role}':\n",
        if blocked.len() == 1 { "a file" } else { "files" }
    );
    let mut shown = Vec::new();
    for j in blocked {
        let path = j.path.as_deref().unwrap_or("?");
        let created = seen.created.iter().any(|c| c.ends_with(path));
        let _ = writeln!(
            msg,
            "- {path} ({}{})",
            j.verdict.rule,
            if created { "; you created it" } else { "" }
        );
        shown.push(path);
    }
    msg.push_str(
        "This is recorded in the audit log as a violation. These files must be restored to \
         how they were before your command. lanes denies your own writes there, so do not try \
         to work around it: stop, and tell the user exactly which files to restore (for a \
         tracked file `git restore --source=HEAD -- FILE`, for a file you created `rm FILE`), \
         then carry on inside your lanes.",
    );
    Answer {
        stdout: Some(
            serde_json::json!({
                "hookSpecificOutput": {
                    "hookEventName": event,
                    "additionalContext": msg,
                },
                "systemMessage": format!(
                    "lanes: `{command}` changed out of lane: {} (recorded as a violation; restore before merging)",
                    shown.join(", ")
                ),
            })
            .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn after(event: &str, response: Value) -> AfterFields {
        AfterFields {
            hook_event_name: Some(event.into()),
            tool_response: Some(response),
            ..AfterFields::default()
        }
    }

    /// The tool_response shapes recorded on Claude Code 2.1.330 and 2.1.332
    /// (bash-edit-diff.md, "Exact tool_response").
    #[test]
    fn reads_the_recorded_diff_shapes() {
        let none = json!({});
        let created = after(
            "PostToolUse",
            json!({"stdout":"","stderr":"","interrupted":false,"isImage":false,"noOutputExpected":false,"bashEditDiff":{"files":[{"filePath":"/r/research/x.txt","hunks":[{"oldStart":0,"oldLines":0,"newStart":1,"newLines":1,"lines":["+y"]}],"created":true}],"moreFiles":0,"changedFiles":["/r/research/x.txt"]}}),
        );
        let s = seen("Bash", &none, &created);
        assert_eq!(s.changed, ["/r/research/x.txt"]);
        assert_eq!(s.created, ["/r/research/x.txt"]);
        assert_eq!((s.outcome.as_str(), s.unverified), ("ok", None));
        // Nothing changed, or the diff is off: the key is absent.
        let absent = after(
            "PostToolUse",
            json!({"stdout":"hi","stderr":"","interrupted":false,"isImage":false,"noOutputExpected":false}),
        );
        assert_eq!(seen("Bash", &none, &absent).unverified, Some("absent"));
        assert_eq!(
            seen("Bash", &json!({"run_in_background":true}), &absent).unverified,
            Some("background")
        );
        let skipped = after(
            "PostToolUse",
            json!({"bashEditDiff":{"files":[],"moreFiles":0,"skipped":true}}),
        );
        assert_eq!(seen("Bash", &none, &skipped).unverified, Some("skipped"));
        // Seven files: five shown, two more, all seven in changedFiles.
        let paths: Vec<String> = (1..=7).map(|i| format!("/r/src/f{i}.txt")).collect();
        let files: Vec<Value> = paths[..5]
            .iter()
            .map(|p| json!({"filePath": p, "hunks": [], "created": true}))
            .collect();
        let many = after(
            "PostToolUse",
            json!({"bashEditDiff":{"files":files,"moreFiles":2,"changedFiles":paths}}),
        );
        let s = seen("Bash", &none, &many);
        assert_eq!(
            (s.changed.len(), s.created.len(), s.unverified),
            (7, 5, None)
        );
        // A binary file: no shown diff, listed all the same.
        let binary = after(
            "PostToolUse",
            json!({"bashEditDiff":{"files":[],"moreFiles":1,"changedFiles":["/r/research/big.bin"]}}),
        );
        assert_eq!(
            seen("Bash", &none, &binary).changed,
            ["/r/research/big.bin"]
        );
        // Cut short.
        let cut = after(
            "PostToolUse",
            json!({"bashEditDiff":{"files":[{"filePath":"/r/a"}],"moreFiles":300,"changedFiles":["/r/a"]}}),
        );
        assert_eq!(seen("Bash", &none, &cut).unverified, Some("truncated"));
        let failed = AfterFields {
            hook_event_name: Some("PostToolUseFailure".into()),
            error: Some("Exit code 3\nTraceback (most recent call last):\n  ...".into()),
            is_interrupt: Some(false),
            ..AfterFields::default()
        };
        let s = seen("Bash", &none, &failed);
        assert_eq!(
            (s.outcome.as_str(), s.unverified),
            ("Exit code 3", Some("failed"))
        );
        assert_eq!(
            seen("PowerShell", &none, &absent).unverified,
            Some("no-diff-for-tool")
        );
    }
}

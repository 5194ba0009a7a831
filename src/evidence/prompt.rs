//! UserPromptSubmit: the session's first prompt, shortened, recorded as its task for the
//! completion receipt.
//!
//! Input (hooks reference §5; common fields plus `prompt`): `session_id`, `cwd`, `prompt`,
//! and `agent_type` with `--agent` (observed on 2.1.330). Only the first prompt of a session
//! is recorded: whether one was is kept in the session's memory ([`crate::session`]); a
//! session id lanes cannot keep memory for records each prompt, and the report takes the
//! first. Nothing here may block the prompt: errors are told to the user and the prompt goes
//! on (see [`super`]).

use super::Answer;
use crate::audit::{self, RecordRef};
use crate::env::Env;
use crate::hook;
use crate::hook_input::{Effect, HookInput};
use crate::session;
use serde::Deserialize;

/// The most characters of a prompt kept as the task.
pub const TASK_CHARS: usize = 200;

#[derive(Deserialize)]
struct PromptInput {
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    cwd: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    agent_id: Option<String>,
    #[serde(default)]
    agent_type: Option<String>,
}

/// `prompt` shortened for a receipt: its first non-empty line, at most [`TASK_CHARS`]
/// characters, with `…` when anything was cut.
pub fn shorten(prompt: &str) -> String {
    let trimmed = prompt.trim();
    let first = trimmed
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = first.chars().take(TASK_CHARS).collect();
    if out.len() < trimmed.len() {
        out.push('…');
    }
    out
}

/// Handles one UserPromptSubmit input. Never fails (see [`super`]).
pub fn run(stdin: &[u8], env: &Env, opts: &hook::Options) -> Answer {
    match record(stdin, env, opts) {
        Ok(()) => Answer::default(),
        Err(e) => Answer::warn_user(
            "UserPromptSubmit",
            &format!("could not record the session's task for its receipt: {e}"),
        ),
    }
}

fn record(stdin: &[u8], env: &Env, opts: &hook::Options) -> Result<(), String> {
    let p: PromptInput = serde_json::from_slice(stdin).map_err(|e| e.to_string())?;
    let Some(prompt) = p.prompt.as_deref().filter(|t| !t.trim().is_empty()) else {
        return Ok(());
    };
    // The acting role and the audit log, found as for any call that writes nothing.
    let input = HookInput {
        session_id: p.session_id,
        cwd: p.cwd,
        hook_event_name: Some("UserPromptSubmit".into()),
        tool_name: "UserPromptSubmit".into(),
        tool_input: serde_json::Value::Null,
        tool_use_id: None,
        agent_id: p.agent_id,
        agent_type: p.agent_type,
        turn_id: None,
        timestamp: None,
        client: Default::default(),
    };
    let eval = hook::evaluate_effect(&input, Effect::Files(Vec::new()), env, opts)?;
    let (Some(log), Some(policy)) = (&eval.audit_file, &eval.policy_file) else {
        return Ok(());
    };
    let root = policy.parent().unwrap_or(policy);
    let sid = input.session_id.as_deref();
    let mut memory = sid.map(|s| session::read(root, s)).unwrap_or_default();
    if memory.task {
        return Ok(());
    }
    let extra = audit::Extra {
        event: Some("UserPromptSubmit"),
        prompt: Some(shorten(prompt)),
        ..audit::Extra::default()
    };
    let line = RecordRef {
        ts: &audit::now(),
        session_id: sid,
        agent_id: input.agent_id.as_deref(),
        agent_type: input.agent_type.as_deref(),
        role: eval.role.as_deref(),
        role_source: eval.role_source.as_str(),
        tool: "UserPromptSubmit",
        path: None,
        decision: "allow",
        violation: false,
        rule: &"the session's task",
        ran: None,
        tool_use_id: None,
        client: None,
        extra: &extra,
    };
    audit::append_refs(log, &[line])
        .map_err(|e| format!("cannot append to the audit log {}: {e}", log.display()))?;
    if let Some(s) = sid {
        memory.task = true;
        session::write(root, s, &memory).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_shortened_to_their_first_line() {
        assert_eq!(shorten("  fix the parser\nthen more"), "fix the parser…");
        assert_eq!(shorten("short"), "short");
        let long = "x".repeat(300);
        assert_eq!(shorten(&long).chars().count(), TASK_CHARS + 1);
    }
}

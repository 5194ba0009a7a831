//! Which client sent a payload, from fields already parsed: a few `Option` checks, so the
//! Claude Code path costs nothing measurable.
//!
//! Marks (`shared/reference/other-clients.md` §2): Gemini's event is `BeforeTool`; Codex
//! adds `turn_id` to `PreToolUse`; Copilot CLI adds `timestamp`, with no event name in its
//! camelCase form and `PreToolUse` in its PascalCase form. Claude Code sends none of these.

use super::Client;
use crate::hook_input::HookInput;

/// Claude Code's hook events (claude-code-hooks.md §1.2): payloads that name one and carry
/// no other client's mark are Claude Code's.
const CLAUDE_EVENTS: &[&str] = &[
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PostToolBatch",
    "UserPromptSubmit",
    "UserPromptExpansion",
    "PermissionRequest",
    "PermissionDenied",
    "SessionStart",
    "SessionEnd",
    "Setup",
    "Notification",
    "MessageDisplay",
    "SubagentStart",
    "SubagentStop",
    "TaskCreated",
    "TaskCompleted",
    "Stop",
    "StopFailure",
    "TeammateIdle",
    "InstructionsLoaded",
    "ConfigChange",
    "CwdChanged",
    "DirectoryAdded",
    "FileChanged",
    "WorktreeCreate",
    "WorktreeRemove",
    "PreCompact",
    "PostCompact",
    "PreModelSwitch",
    "PostModelSwitch",
    "Elicitation",
    "ElicitationResult",
];

/// The client whose payload this is; `None` when it has no client's shape (an event name
/// no client sends).
pub fn detect(input: &HookInput) -> Option<Client> {
    let event = input.hook_event_name.as_deref();
    if event == Some("BeforeTool") {
        return Some(Client::Gemini);
    }
    if input.turn_id.is_some() && event == Some("PreToolUse") {
        return Some(Client::Codex);
    }
    if input.timestamp.is_some() {
        return match event {
            None => Some(Client::CopilotCamel),
            Some("PreToolUse") => Some(Client::Copilot),
            Some(_) => None,
        };
    }
    match event {
        // Saved payloads and older tests often leave the event name out.
        None => Some(Client::Claude),
        Some(e) if CLAUDE_EVENTS.contains(&e) => Some(Client::Claude),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(json: &str) -> Option<Client> {
        detect(&crate::hook_input::parse(json.as_bytes()).unwrap())
    }

    #[test]
    fn each_recorded_shape_is_recognised() {
        assert_eq!(
            of(
                r#"{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{},"tool_use_id":"t","permission_mode":"default"}"#
            ),
            Some(Client::Claude)
        );
        assert_eq!(
            of(
                r#"{"session_id":"s","turn_id":"t","cwd":"/p","hook_event_name":"PreToolUse","model":"gpt-5.5","tool_name":"apply_patch","tool_input":{"command":""}}"#
            ),
            Some(Client::Codex)
        );
        assert_eq!(
            of(
                r#"{"session_id":"s","cwd":"/p","hook_event_name":"BeforeTool","timestamp":"2026-12-05T13:23:02.922Z","tool_name":"write_file","tool_input":{}}"#
            ),
            Some(Client::Gemini)
        );
        assert_eq!(
            of(
                r#"{"sessionId":"s","timestamp":1796477139430,"cwd":"/p","toolName":"create","toolArgs":{}}"#
            ),
            Some(Client::CopilotCamel)
        );
        assert_eq!(
            of(
                r#"{"hook_event_name":"PreToolUse","session_id":"s","timestamp":"2026-12-05T13:26:08.078Z","cwd":"/p","tool_name":"Write","tool_input":{}}"#
            ),
            Some(Client::Copilot)
        );
    }

    #[test]
    fn an_event_no_client_sends_is_not_recognised() {
        assert_eq!(
            of(r#"{"hook_event_name":"AfterTool","tool_name":"x"}"#),
            None
        );
        assert_eq!(
            of(r#"{"hook_event_name":"postToolUse","timestamp":1,"tool_name":"x"}"#),
            None
        );
    }
}

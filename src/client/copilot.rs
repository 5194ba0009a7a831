//! GitHub Copilot CLI (1.0.102): its tools as lanes judges them.
//!
//! Two payload forms (`shared/reference/other-clients.md` §2): `preToolUse` hooks get
//! camelCase fields and the CLI's own tool names (`create`/`edit` with `path`, `apply_patch`
//! whose `toolArgs` is a bare patch string, `bash`, `powershell`, `task` with `agent_type`);
//! `PreToolUse` hooks get snake_case fields and Claude-like names (`Write`/`Edit` with
//! `path`, `Edit` with a bare patch string for `apply_patch`, `Bash`, `Agent`). Tools the
//! PascalCase form does not rename keep their own name, so both tables serve both forms.
//! Subagents carry `agentType`/`agent_type` (a custom agent's name).

use super::patch_paths;
use crate::hook_input::{Effect, HookInput, InputError};
use serde_json::Value;

/// Tools that write no file: reading, searching, the web, plans and intents, reading or
/// stopping a running shell (its output), agents' messages (their own calls are hooked).
const READ_ONLY: &[&str] = &[
    "view",
    "Read",
    "grep",
    "Grep",
    "glob",
    "Glob",
    "rg",
    "read_bash",
    "stop_bash",
    "list_bash",
    "web_fetch",
    "WebFetch",
    "web_search",
    "WebSearch",
    "report_intent",
    "update_todo",
    "TodoWrite",
    "think",
    "fetch_copilot_cli_documentation",
    "read_agent",
    "list_agents",
    "ask_user",
    "skill",
];

/// What a Copilot CLI call does, in either payload form.
pub(super) fn effect(input: &HookInput) -> Result<Effect<'_>, InputError> {
    let tool = input.tool_name.as_str();
    Ok(match tool {
        // `apply_patch` (and `Edit` carrying it in the PascalCase form): a bare string.
        "apply_patch" | "Edit" | "edit" if input.tool_input.is_string() => {
            let text = input.tool_input.as_str().unwrap_or_default();
            Effect::Files(patch_paths(input, "(the patch)", text)?)
        }
        "apply_patch" => {
            let text = input.string_field("input")?;
            Effect::Files(patch_paths(input, "input", text)?)
        }
        "create" | "edit" | "Write" | "Edit" | "str_replace_editor" => {
            if tool == "str_replace_editor"
                && input.optional_string("command")?.as_deref() == Some("view")
            {
                return Ok(Effect::None);
            }
            Effect::Files(vec![path(input)?.to_string()])
        }
        "bash" | "Bash" => Effect::Shell(input.string_field("command")?),
        "powershell" | "PowerShell" => Effect::Script {
            program: "PowerShell",
            command: input.string_field("command")?,
        },
        "task" | "Agent" | "Task" => Effect::Spawn {
            subagent_type: input.optional_string("agent_type")?,
            name: None,
        },
        t if t.starts_with("mcp__") => Effect::Mcp,
        t if READ_ONLY.contains(&t) => Effect::None,
        _ => Effect::Unknown(tool),
    })
}

/// `path`, absolute or relative to `cwd`; `file_path` where a form sends Claude's name.
fn path(input: &HookInput) -> Result<&str, InputError> {
    match input.tool_input.get("path") {
        None | Some(Value::Null) if input.tool_input.get("file_path").is_some() => {
            input.string_field("file_path")
        }
        _ => input.string_field("path"),
    }
}

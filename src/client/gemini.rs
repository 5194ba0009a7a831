//! Gemini CLI (0.61.0): its tools as lanes judges them.
//!
//! `BeforeTool` payloads (`shared/reference/other-clients.md` §2): `write_file` and
//! `replace` name `file_path` as the model wrote it (often relative to `cwd`);
//! `run_shell_command` runs `command` in `dir_path`, which Gemini does **not** fold into
//! `cwd`; `invoke_agent` starts a subagent (`agent_name`) whose calls carry no agent field,
//! so every call acts as the session's role (`LANES_ROLE`, or the branch).

use crate::hook_input::{Effect, HookInput, InputError};
use std::path::{Path, PathBuf};

/// Tools that write no project file: reading, searching, the web, plans and todos, the
/// user's memory file (`save_memory` appends to `~/.gemini/GEMINI.md`, outside projects),
/// questions, skills and the end of a subagent's task.
const READ_ONLY: &[&str] = &[
    "read_file",
    "read_many_files",
    "list_directory",
    "glob",
    "search_file_content",
    "grep_search",
    "google_web_search",
    "web_fetch",
    "save_memory",
    "write_todos",
    "complete_task",
    "ask_user",
    "activate_skill",
    "get_internal_docs",
    "enter_plan_mode",
    "exit_plan_mode",
];

/// What a Gemini CLI call does.
pub(super) fn effect(input: &HookInput) -> Result<Effect<'_>, InputError> {
    let tool = input.tool_name.as_str();
    Ok(match tool {
        "write_file" | "replace" => {
            Effect::Files(vec![input.string_field("file_path")?.to_string()])
        }
        "run_shell_command" => Effect::Shell(input.string_field("command")?),
        "invoke_agent" => Effect::Spawn {
            subagent_type: input.optional_string("agent_name")?,
            name: None,
        },
        t if t.starts_with("mcp_") => Effect::Mcp,
        t if READ_ONLY.contains(&t) => Effect::None,
        _ => Effect::Unknown(tool),
    })
}

/// `cwd` joined with `run_shell_command`'s `dir_path` (absolute, or relative to `cwd`).
pub(super) fn shell_dir(input: &HookInput, cwd: &Path) -> Result<PathBuf, InputError> {
    if input.tool_name != "run_shell_command" {
        return Ok(cwd.to_path_buf());
    }
    Ok(match input.optional_string("dir_path")? {
        Some(d) if !d.is_empty() => cwd.join(d),
        _ => cwd.to_path_buf(),
    })
}

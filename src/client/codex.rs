//! OpenAI Codex (0.171.0): its tools as lanes judges them. Its interactive shells (`write_stdin`)
//! are judged by the Bash analysis, with `shell::Context::live_stdin`.
//!
//! Hooked tools (`shared/reference/other-clients.md` §2): `apply_patch` (the patch text in
//! `tool_input.command`), `Bash` (`exec_command`, its `workdir` already folded into `cwd`),
//! `spawn_agent` (`agent_type`), MCP tools `mcp__server__tool`. Inside a subagent the
//! payload carries `agent_id` and `agent_type`; the main thread carries neither.

use super::patch_paths;
use crate::hook_input::{Effect, HookInput, InputError};

/// Codex tools that write no file themselves: planning, agents' messages (each agent's own
/// calls are hooked), images, search, MCP resource reads, questions to the user.
const READ_ONLY: &[&str] = &[
    "update_plan",
    "wait_agent",
    "close_agent",
    "resume_agent",
    "send_input",
    "list_agents",
    "view_image",
    "web_search",
    "request_user_input",
    "list_mcp_resources",
    "list_mcp_resource_templates",
    "read_mcp_resource",
    "tool_search",
];

/// What a Codex call does.
pub(super) fn effect(input: &HookInput) -> Result<Effect<'_>, InputError> {
    let tool = input.tool_name.as_str();
    Ok(match unqualified(tool) {
        "apply_patch" => {
            let text = input.string_field("command")?;
            Effect::Files(patch_paths(input, "command", text)?)
        }
        "Bash" => Effect::Shell(input.string_field("command")?),
        "spawn_agent" => Effect::Spawn {
            subagent_type: input.optional_string("agent_type")?,
            name: None,
        },
        t if t.starts_with("mcp__") => Effect::Mcp,
        t if READ_ONLY.contains(&t) => Effect::None,
        _ => Effect::Unknown(tool),
    })
}

/// A tool name without the namespace Codex prefixes to some agent tools
/// (`multi_agent_v1wait_agent`, observed), so they are known by their own name.
fn unqualified(tool: &str) -> &str {
    match tool.strip_prefix("multi_agent_v") {
        Some(rest) => rest.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => tool,
    }
}

#[cfg(test)]
mod tests {
    use super::unqualified;

    #[test]
    fn namespaced_agent_tools_are_known_by_their_name() {
        assert_eq!(unqualified("multi_agent_v1wait_agent"), "wait_agent");
        assert_eq!(unqualified("multi_agent_v2spawn_agent"), "spawn_agent");
        assert_eq!(unqualified("apply_patch"), "apply_patch");
    }
}

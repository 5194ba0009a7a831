//! OpenAI Codex (0.171.0): its tools as lanes judges them, and the one bypass only Codex has.
//!
//! Hooked tools (`shared/reference/other-clients.md` §2): `apply_patch` (the patch text in
//! `tool_input.command`), `Bash` (`exec_command`, its `workdir` already folded into `cwd`),
//! `spawn_agent` (`agent_type`), MCP tools `mcp__server__tool`. Inside a subagent the
//! payload carries `agent_id` and `agent_type`; the main thread carries neither.

use super::patch_paths;
use crate::hook_input::{Effect, HookInput, InputError};
use crate::shell::{Finding, Found};

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

/// Shells and interpreters that, started with no script, read their commands from the
/// terminal.
const INTERPRETERS: &[&str] = &[
    "bash", "sh", "dash", "zsh", "ksh", "mksh", "ash", "fish", "tcsh", "csh", "python", "python3",
    "python2", "py", "node", "deno", "bun", "perl", "ruby", "irb", "php", "lua", "tclsh", "julia",
    "R", "ghci", "sqlite3", "psql",
];

/// Options that hand an interpreter its script as text (`bash -c`, `python -c`, `node -e`)
/// or a module to run (`python -m`).
const SCRIPT_OPTIONS: &[&str] = &["-c", "-e", "-m", "-p", "--eval", "--print", "-r"];

/// Wrappers that run the command after them.
const WRAPPERS: &[&str] = &[
    "exec", "env", "command", "nohup", "sudo", "setsid", "time", "nice",
];

/// Codex's second bypass (§4): an interpreter started with no script (`bash`, `python3`,
/// `node -i`) keeps running, and Codex's `write_stdin` then types commands into it, which no
/// hook sees. Lanes cannot judge what will be typed, so in a Codex session it refuses to
/// start one: each such program among the command's opaque findings adds a finding that
/// switches the guard off ([`Found::Tamper`], denied for every role). Interpreters given a
/// script, a file, or literal standard input are judged as before.
pub fn interactive_shells(findings: &mut Vec<Finding>) {
    let mut found = Vec::new();
    for f in findings.iter() {
        if !matches!(f.effect, Found::Opaque { .. }) {
            continue;
        }
        if let Some(program) = interactive(&f.fragment) {
            found.push(Finding {
                fragment: f.fragment.clone(),
                effect: Found::Tamper {
                    what: format!(
                        "starts {program} with no script: Codex would send its commands through \
                         write_stdin, which no hook sees; run the commands directly instead"
                    ),
                    role: None,
                },
            });
        }
    }
    findings.extend(found);
}

/// The interpreter `fragment` starts with no script, if it does.
fn interactive(fragment: &str) -> Option<&str> {
    let mut words = fragment.split_whitespace().peekable();
    // Assignments and wrappers (with their options) before the program.
    while let Some(w) = words.peek() {
        let base = w.rsplit('/').next().unwrap_or(w);
        if w.contains('=') && !w.starts_with('-') || WRAPPERS.contains(&base) || w.starts_with('-')
        {
            words.next();
        } else {
            break;
        }
    }
    let program = words.next()?;
    let name = program.rsplit('/').next().unwrap_or(program);
    if !INTERPRETERS.contains(&name) {
        return None;
    }
    let shell = INTERPRETERS[..10].contains(&name);
    for w in words {
        // A redirect of standard input, or a pipe, hands it a script.
        if w.starts_with('<') || w == "|" {
            return None;
        }
        if w == "-" || w == "-s" || w == "-i" || w == "--interactive" {
            continue;
        }
        if SCRIPT_OPTIONS.contains(&w) || (shell && w.starts_with('-') && w.contains('c')) {
            return None;
        }
        if !w.starts_with('-') {
            return None; // a script file
        }
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::{interactive, unqualified};

    #[test]
    fn namespaced_agent_tools_are_known_by_their_name() {
        assert_eq!(unqualified("multi_agent_v1wait_agent"), "wait_agent");
        assert_eq!(unqualified("multi_agent_v2spawn_agent"), "spawn_agent");
        assert_eq!(unqualified("apply_patch"), "apply_patch");
    }

    #[test]
    fn interpreters_without_a_script_are_interactive() {
        for c in [
            "bash",
            "bash -i",
            "/bin/sh",
            "python3",
            "python3 -i",
            "node",
            "exec bash -l",
            "env FOO=1 zsh",
            "bash -s",
        ] {
            assert!(interactive(c).is_some(), "{c}");
        }
        for c in [
            "bash x.sh",
            "bash -c 'echo hi'",
            "bash -lc make",
            "python3 x.py",
            "python3 -m http.server",
            "node -e 1",
            "cargo build",
            "bash < script.sh",
        ] {
            assert!(interactive(c).is_none(), "{c}");
        }
    }
}

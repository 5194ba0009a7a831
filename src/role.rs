//! Who is acting: resolving the role of a tool call or a commit.

use crate::policy::{Policy, Role};
use std::fmt;

/// Where the acting role came from; recorded in the audit log as `role_source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleSource {
    /// `--role NAME` on the command line.
    Flag,
    /// The hook input's `agent_type` (a subagent, or a session started with `claude --agent`).
    AgentType,
    /// The `LANES_ROLE` environment variable.
    Env,
    /// `CLAUDE_CODE_AGENT`, set by Claude Code in the shell of a `claude --agent NAME` session.
    ClaudeCodeAgent,
    /// A `Lane: NAME` commit trailer (`lanes check --range`).
    Trailer,
    /// The current git branch, matched against each role's `branches`.
    Branch,
    /// What lanes remembers of the session (see [`crate::session`]): a subagent or teammate
    /// whose own claims name no role acts as the role it was started under.
    Session,
    /// Nothing named a role.
    Unassigned,
}

impl RoleSource {
    /// The name used in the audit log and in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleSource::Flag => "flag",
            RoleSource::AgentType => "agent_type",
            RoleSource::Env => "env",
            RoleSource::ClaudeCodeAgent => "claude_code_agent",
            RoleSource::Trailer => "trailer",
            RoleSource::Branch => "branch",
            RoleSource::Session => "session",
            RoleSource::Unassigned => "unassigned",
        }
    }
}

impl fmt::Display for RoleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The acting party of a decision.
#[derive(Debug, Clone)]
pub enum Actor<'p> {
    /// A role of the policy.
    Role(&'p Role, RoleSource),
    /// No role: the policy's `unassigned` setting decides.
    Unassigned,
    /// A role was named that the policy does not have: every write is denied (fail closed).
    Unknown(String, RoleSource),
}

impl Actor<'_> {
    /// The role name, if any (the unknown name for [`Actor::Unknown`]).
    pub fn name(&self) -> Option<&str> {
        match self {
            Actor::Role(r, _) => Some(&r.name),
            Actor::Unknown(n, _) => Some(n),
            Actor::Unassigned => None,
        }
    }

    /// Where the role came from.
    pub fn source(&self) -> RoleSource {
        match self {
            Actor::Role(_, s) | Actor::Unknown(_, s) => *s,
            Actor::Unassigned => RoleSource::Unassigned,
        }
    }
}

/// A claim about the acting role, by one source. `Named` claims name a role directly
/// (`--role`, `LANES_ROLE`, a trailer): a name the policy lacks fails closed. `Agent` claims
/// name an agent type (`agent_type`, `CLAUDE_CODE_AGENT`) that maps to a role through the
/// roles' `agents` lists; one that maps to no role passes to the next source, since built-in
/// agents (`Explore`, `general-purpose`) inherit the session's role.
#[derive(Debug, Clone, Copy)]
pub enum Claim<'a> {
    /// A role name.
    Named(&'a str, RoleSource),
    /// An agent type.
    Agent(&'a str, RoleSource),
}

/// Resolves the acting role from claims in precedence order; the first claim that decides
/// wins. Empty strings are ignored (an exported but empty `LANES_ROLE` names nothing).
pub fn resolve<'p>(policy: &'p Policy, claims: &[Claim<'_>]) -> Actor<'p> {
    for claim in claims {
        match *claim {
            Claim::Agent(agent, source) if !agent.is_empty() => {
                if let Some(role) = policy.role_for_agent(agent) {
                    return Actor::Role(role, source);
                }
            }
            Claim::Named(name, source) if !name.is_empty() => {
                return match policy.role(name) {
                    Some(role) => Actor::Role(role, source),
                    None => Actor::Unknown(name.to_string(), source),
                };
            }
            _ => {}
        }
    }
    Actor::Unassigned
}

/// The claims of a PreToolUse hook call, in the documented order: the input's `agent_type`,
/// then `LANES_ROLE`.
pub fn hook_claims<'a>(agent_type: Option<&'a str>, lanes_role: Option<&'a str>) -> Vec<Claim<'a>> {
    let mut claims = Vec::with_capacity(2);
    if let Some(a) = agent_type {
        claims.push(Claim::Agent(a, RoleSource::AgentType));
    }
    if let Some(r) = lanes_role {
        claims.push(Claim::Named(r, RoleSource::Env));
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn policy() -> Policy {
        let src = "[roles.researcher]\nagents = [\"researcher\", \"scout\"]\n[roles.builder]\n";
        Policy::parse(Path::new("lanes.toml"), Path::new("/r"), src.into()).unwrap()
    }

    fn who(agent_type: Option<&str>, env: Option<&str>) -> (Option<String>, &'static str, bool) {
        let p = policy();
        let a = resolve(&p, &hook_claims(agent_type, env));
        (
            a.name().map(String::from),
            a.source().as_str(),
            matches!(a, Actor::Unknown(..)),
        )
    }

    #[test]
    fn resolution_order() {
        assert_eq!(
            who(Some("scout"), Some("builder")),
            (Some("researcher".into()), "agent_type", false)
        );
        assert_eq!(
            who(Some("builder"), None),
            (Some("builder".into()), "agent_type", false)
        );
        // A built-in subagent type maps to no role: it inherits the session's LANES_ROLE.
        assert_eq!(
            who(Some("general-purpose"), Some("builder")),
            (Some("builder".into()), "env", false)
        );
        assert_eq!(
            who(None, Some("builder")),
            (Some("builder".into()), "env", false)
        );
        assert_eq!(who(Some("Explore"), None), (None, "unassigned", false));
        assert_eq!(who(None, Some("")), (None, "unassigned", false));
        assert_eq!(who(None, None), (None, "unassigned", false));
    }

    #[test]
    fn a_role_name_the_policy_lacks_fails_closed() {
        assert_eq!(
            who(None, Some("buidler")),
            (Some("buidler".into()), "env", true)
        );
    }
}

//! The decision: may this actor write this path? Pure: policy + actor + path -> verdict.
//!
//! `lanes hook`, `lanes check` and `lanes explain` all decide here, and every verdict carries
//! the [`Rule`] that decided it, so the deny message, the audit line and the reports all say
//! the same thing.

use crate::path::RepoPath;
use crate::policy::{Mode, PatternList, Policy, PolicyError, Unassigned};
use crate::role::Actor;
use std::fmt;

/// Why a write is allowed or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The path lies outside the project root (and outside every other checkout).
    Outside,
    /// No role acts; the policy's `unassigned` setting decided.
    Unassigned(Unassigned),
    /// A role was named that the policy does not have.
    UnknownRole(String),
    /// A protected path: `[protected]` (`builtin: false`) or always protected (`builtin: true`).
    Protected {
        /// The pattern that protects the path.
        pattern: String,
        /// True for the built-in list (policy file, `.claude/`, `.git`, audit folder).
        builtin: bool,
    },
    /// Another role's signal file: only its owner may write or delete it.
    OtherSignal {
        /// The role whose signal file it is.
        owner: String,
    },
    /// The acting role's own lane.
    OwnLane {
        /// The pattern of the role that matched.
        pattern: String,
    },
    /// A `[shared]` lane.
    Shared {
        /// The shared pattern that matched.
        pattern: String,
    },
    /// Another role's lane.
    OtherLane {
        /// Every role whose lanes hold the path (at least one).
        owners: Vec<String>,
        /// The first owner's pattern that matched.
        pattern: String,
    },
    /// In the project but in no role's lane (a file at the root that no lane names).
    Unowned,
    /// Starting a subagent the acting role may start (`Agent` tool).
    SpawnAllowed {
        /// Why: `same role`, `no role`, `listed in spawn`, `unassigned session`.
        why: &'static str,
    },
    /// Starting a subagent of another role that `spawn` does not list.
    SpawnDenied {
        /// The role the subagent would act as.
        target: String,
    },
}

impl Rule {
    /// True when the rule lets the write (or spawn) happen.
    pub fn allows(&self) -> bool {
        match self {
            Rule::Outside
            | Rule::OwnLane { .. }
            | Rule::Shared { .. }
            | Rule::SpawnAllowed { .. } => true,
            Rule::Unassigned(u) => *u == Unassigned::Allow,
            Rule::UnknownRole(_)
            | Rule::Protected { .. }
            | Rule::OtherSignal { .. }
            | Rule::OtherLane { .. }
            | Rule::Unowned
            | Rule::SpawnDenied { .. } => false,
        }
    }
}

/// The short form written to the audit log's `rule` field and to reports.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Outside => f.write_str("outside the project"),
            Rule::Unassigned(Unassigned::Allow) => f.write_str("unassigned = \"allow\""),
            Rule::Unassigned(Unassigned::Deny) => f.write_str("unassigned = \"deny\""),
            Rule::UnknownRole(name) => write!(f, "unknown role `{name}`"),
            Rule::Protected {
                pattern,
                builtin: true,
            } => write!(f, "always protected: {pattern}"),
            Rule::Protected {
                pattern,
                builtin: false,
            } => write!(f, "protected: {pattern}"),
            Rule::OtherSignal { owner } => write!(f, "signal file of {owner}"),
            Rule::OwnLane { pattern } => write!(f, "own lane: {pattern}"),
            Rule::Shared { pattern } => write!(f, "shared: {pattern}"),
            Rule::OtherLane { owners, pattern } => {
                write!(f, "lane of {}: {pattern}", owners.join(", "))
            }
            Rule::Unowned => f.write_str("outside every lane"),
            Rule::SpawnAllowed { why } => write!(f, "spawn: {why}"),
            Rule::SpawnDenied { target } => write!(f, "spawn of role {target} not listed in spawn"),
        }
    }
}

/// A decision: the rule, and what the policy's mode makes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The rule that decided.
    pub rule: Rule,
    /// True when the write is out of lane (blocked or, in log mode, only recorded).
    pub violation: bool,
    /// True when the write must be blocked: a violation in `enforce` mode, or any write by
    /// an unknown role (a configuration error, which fails closed in every mode).
    pub blocked: bool,
}

impl Verdict {
    fn new(rule: Rule, mode: Mode) -> Verdict {
        let violation = !rule.allows();
        let blocked = matches!(rule, Rule::UnknownRole(_)) || (violation && mode == Mode::Enforce);
        Verdict {
            rule,
            violation,
            blocked,
        }
    }
}

/// Where a written path lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// Inside the project (or inside another checkout of it, made relative to that checkout).
    Project(RepoPath),
    /// Outside the project and every other checkout of its repository.
    Outside,
}

/// Decides whether `actor` may write `place`. `is_dir` says whether the path is a directory,
/// for patterns that end in `/`.
///
/// Order: outside the project (allowed, except for an unknown role); unknown role (denied);
/// unassigned (the `unassigned` setting); always-protected and `[protected]` paths; another
/// role's signal file; the role's own lanes; the shared lanes; otherwise denied, naming the
/// roles that own the path or that no lane does.
///
/// Errors: a pattern list needed for the decision does not compile.
pub fn decide(
    policy: &Policy,
    actor: &Actor<'_>,
    place: &Place,
    is_dir: bool,
) -> Result<Verdict, PolicyError> {
    let rule = rule_for(policy, actor, place, is_dir)?;
    Ok(Verdict::new(rule, policy.mode))
}

fn rule_for(
    policy: &Policy,
    actor: &Actor<'_>,
    place: &Place,
    is_dir: bool,
) -> Result<Rule, PolicyError> {
    let role = match actor {
        Actor::Unknown(name, _) => return Ok(Rule::UnknownRole(name.clone())),
        _ if *place == Place::Outside => return Ok(Rule::Outside),
        Actor::Unassigned => return Ok(Rule::Unassigned(policy.unassigned)),
        Actor::Role(role, _) => *role,
    };
    let Place::Project(path) = place else {
        unreachable!("handled above")
    };
    if let Some(p) = find_in(policy, &policy.builtin_protected, path, is_dir)? {
        return Ok(Rule::Protected {
            pattern: p.to_string(),
            builtin: true,
        });
    }
    if let Some(p) = find_in(policy, &policy.protected, path, is_dir)? {
        return Ok(Rule::Protected {
            pattern: p.to_string(),
            builtin: false,
        });
    }
    if let Some(owner) = policy
        .roles
        .iter()
        .find(|r| r.signal.as_ref() == Some(path) && r.name != role.name)
    {
        return Ok(Rule::OtherSignal {
            owner: owner.name.clone(),
        });
    }
    if let Some(p) = policy.role_lane(role)?.find(path, is_dir) {
        return Ok(Rule::OwnLane {
            pattern: p.to_string(),
        });
    }
    if let Some(p) = find_in(policy, &policy.shared, path, is_dir)? {
        return Ok(Rule::Shared {
            pattern: p.to_string(),
        });
    }
    // The deny path only: find who owns the path, for the message.
    let mut owners = Vec::new();
    let mut first = None;
    for other in policy
        .roles_that_may_own(path)
        .into_iter()
        .filter(|r| r.name != role.name)
    {
        if let Some(p) = find_in(policy, &other.write, path, is_dir)? {
            owners.push(other.name.clone());
            first.get_or_insert_with(|| p.to_string());
        }
    }
    Ok(match first {
        Some(pattern) => Rule::OtherLane { owners, pattern },
        None => Rule::Unowned,
    })
}

/// The pattern of `list` whose lane holds `path`, compiling the list only when it could
/// (see [`PatternList::can_skip`]: a policy with hundreds of roles then compiles only the
/// lanes that could own the path). The acting role's own lane is always compiled, through
/// [`Policy::role_lane`], which also checks its signal file.
fn find_in<'p>(
    policy: &'p Policy,
    list: &'p PatternList,
    path: &RepoPath,
    is_dir: bool,
) -> Result<Option<&'p str>, PolicyError> {
    if list.can_skip(path) {
        return Ok(None);
    }
    Ok(policy.lane(list)?.find(path, is_dir))
}

/// Decides whether `actor` may start a subagent of type `subagent_type` (the `Agent` tool's
/// `tool_input.subagent_type`; `None` is the built-in general-purpose agent).
///
/// A started subagent acts under its own `agent_type`, so starting one of another role
/// would launder that role's lanes. A role may start subagents of its own role, of types
/// that map to no role (they inherit the session's role), and of the roles its `spawn` key
/// lists; an unassigned session (a lead) may start any.
pub fn decide_spawn(policy: &Policy, actor: &Actor<'_>, subagent_type: Option<&str>) -> Verdict {
    let target = subagent_type.and_then(|t| policy.role_for_agent(t));
    let rule = match (actor, target) {
        (Actor::Unknown(name, _), _) => Rule::UnknownRole(name.clone()),
        (Actor::Unassigned, _) => Rule::SpawnAllowed {
            why: "unassigned session",
        },
        (_, None) => Rule::SpawnAllowed { why: "no role" },
        (Actor::Role(role, _), Some(t)) if t.name == role.name => {
            Rule::SpawnAllowed { why: "same role" }
        }
        (Actor::Role(role, _), Some(t)) if role.spawn.contains(&t.name) => Rule::SpawnAllowed {
            why: "listed in spawn",
        },
        (Actor::Role(..), Some(t)) => Rule::SpawnDenied {
            target: t.name.clone(),
        },
    };
    Verdict::new(rule, policy.mode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::RoleSource;
    use std::path::Path;

    const POLICY: &str = r#"
[roles.researcher]
write = ["research/", "notes.md"]
signal = "research/DONE.md"
[roles.builder]
write = ["src/", "package.json", "!src/vendor/"]
signal = "src/BUILD_COMPLETE.md"
spawn = ["reviewer"]
[roles.reviewer]
write = ["reviews/", "notes.md", "research/DONE.md"]
[shared]
write = ["target/", "src/BUILD_COMPLETE.md"]
[protected]
paths = ["contracts/"]
"#;

    fn policy(extra: &str) -> Policy {
        Policy::parse(
            Path::new("lanes.toml"),
            Path::new("/r"),
            format!("{extra}\n{POLICY}"),
        )
        .unwrap()
    }

    fn rule(p: &Policy, role: Option<&str>, path: Option<&str>) -> String {
        let actor = match role {
            Some(name) => match p.role(name) {
                Some(r) => Actor::Role(r, RoleSource::Env),
                None => Actor::Unknown(name.into(), RoleSource::Env),
            },
            None => Actor::Unassigned,
        };
        let place = match path {
            Some(s) => Place::Project(RepoPath::new(Path::new(s)).unwrap()),
            None => Place::Outside,
        };
        let v = decide(p, &actor, &place, false).unwrap();
        format!("{} [{}]", if v.blocked { "BLOCK" } else { "pass" }, v.rule)
    }

    macro_rules! decisions {
        ($p:expr; $($role:expr, $path:expr => $want:expr;)*) => {$({
            let (role, path): (Option<&str>, Option<&str>) = ($role, $path);
            assert_eq!(rule(&$p, role, path), $want, "role {role:?} path {path:?}");
        })*};
    }

    #[test]
    fn decision_table() {
        let p = policy("");
        decisions! { p;
            Some("builder"), Some("src/main.rs") => "pass [own lane: src/]";
            Some("builder"), Some("package.json") => "pass [own lane: package.json]";
            Some("builder"), Some("target/debug/x") => "pass [shared: target/]";
            Some("builder"), Some("research/notes.txt") => "BLOCK [lane of researcher: research/]";
            Some("builder"), Some("notes.md") => "BLOCK [lane of researcher, reviewer: notes.md]";
            Some("builder"), Some("README.md") => "BLOCK [outside every lane]";
            Some("builder"), Some("src/vendor/lib.rs") => "BLOCK [outside every lane]";
            Some("builder"), Some("researchers/x") => "BLOCK [outside every lane]";
            Some("builder"), None => "pass [outside the project]";
            Some("builder"), Some("contracts/api.md") => "BLOCK [protected: contracts/]";
            Some("builder"), Some("lanes.toml") => "BLOCK [always protected: lanes.toml]";
            Some("builder"), Some(".claude/settings.json") => "BLOCK [always protected: **/.claude/]";
            Some("builder"), Some("src/.claude/settings.json") => "BLOCK [always protected: **/.claude/]";
            Some("builder"), Some(".git/hooks/pre-commit") => "BLOCK [always protected: **/.git]";
            Some("builder"), Some(".lanes/audit.jsonl") => "BLOCK [always protected: .lanes/]";
            Some("researcher"), Some("research/DONE.md") => "pass [own lane: research/]";
            // In the reviewer's lane too, but a signal file belongs to its role alone.
            Some("reviewer"), Some("research/DONE.md") => "BLOCK [signal file of researcher]";
            // Even in a shared lane.
            Some("researcher"), Some("src/BUILD_COMPLETE.md") => "BLOCK [signal file of builder]";
            Some("builder"), Some("src/BUILD_COMPLETE.md") => "pass [own lane: src/]";
            Some("reviewer"), Some("notes.md") => "pass [own lane: notes.md]";
            None, Some("src/main.rs") => "pass [unassigned = \"allow\"]";
            None, Some("lanes.toml") => "pass [unassigned = \"allow\"]";
            Some("nobody"), Some("src/main.rs") => "BLOCK [unknown role `nobody`]";
            Some("nobody"), None => "BLOCK [unknown role `nobody`]";
        }
    }

    #[test]
    fn unassigned_deny_and_log_mode() {
        let p = policy("unassigned = \"deny\"");
        decisions! { p;
            None, Some("src/main.rs") => "BLOCK [unassigned = \"deny\"]";
            None, None => "pass [outside the project]";
        }
        let p = policy("mode = \"log\"");
        let builder = Actor::Role(p.role("builder").unwrap(), RoleSource::Env);
        let v = decide(
            &p,
            &builder,
            &Place::Project(RepoPath::new(Path::new("research/x")).unwrap()),
            false,
        )
        .unwrap();
        assert!(
            v.violation && !v.blocked,
            "log mode records but does not block: {v:?}"
        );
        let v = decide(
            &p,
            &Actor::Unknown("x".into(), RoleSource::Env),
            &Place::Outside,
            false,
        )
        .unwrap();
        assert!(v.blocked, "an unknown role blocks even in log mode");
    }

    #[test]
    fn spawn_rules() {
        let p = policy("");
        let as_role = |n: &str| Actor::Role(p.role(n).unwrap(), RoleSource::AgentType);
        let spawn = |a: &Actor, t: Option<&str>| decide_spawn(&p, a, t).rule.to_string();
        assert_eq!(
            spawn(&as_role("builder"), Some("builder")),
            "spawn: same role"
        );
        assert_eq!(
            spawn(&as_role("builder"), Some("reviewer")),
            "spawn: listed in spawn"
        );
        assert_eq!(
            spawn(&as_role("builder"), Some("Explore")),
            "spawn: no role"
        );
        assert_eq!(spawn(&as_role("builder"), None), "spawn: no role");
        assert_eq!(
            spawn(&as_role("builder"), Some("researcher")),
            "spawn of role researcher not listed in spawn"
        );
        assert!(decide_spawn(&p, &as_role("builder"), Some("researcher")).blocked);
        assert_eq!(
            spawn(&Actor::Unassigned, Some("researcher")),
            "spawn: unassigned session"
        );
    }
}

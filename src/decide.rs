//! The decision: may this actor write this path? Pure: policy + actor + path -> verdict.
//!
//! `lanes hook`, `lanes check` and `lanes explain` all decide here, and every verdict carries
//! the [`Rule`] that decided it, so the deny message, the audit line and the reports all say
//! the same thing.

use crate::path::RepoPath;
use crate::policy::{BashAction, Lanes, Mode, Policy, PolicyError, Unassigned};
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
    /// A Bash command runs a program whose writes cannot be seen; `[bash] opaque` decided.
    Opaque {
        /// The program.
        program: String,
        /// The setting.
        action: BashAction,
    },
    /// A Bash command writes a path that is not known statically; `[bash] unknown_target`.
    UnknownTarget {
        /// The setting.
        action: BashAction,
    },
    /// A Bash command reverts or deletes work across the worktree; `[bash] repo_wide`.
    RepoWide {
        /// The setting.
        action: BashAction,
    },
    /// A Bash command of a role session would change who the agent is or switch lanes off.
    Tamper {
        /// What it does.
        what: String,
    },
    /// A Bash command that could not be parsed; `[bash] unparseable` decided.
    Unparseable {
        /// The setting.
        action: BashAction,
    },
}

/// How severe a rule is: `Allow` lets the call through, `Ask` asks the user, `Deny` blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// No objection.
    Allow,
    /// Ask the user.
    Ask,
    /// Block.
    Deny,
}

impl From<BashAction> for Severity {
    fn from(a: BashAction) -> Severity {
        match a {
            BashAction::Allow => Severity::Allow,
            BashAction::Ask => Severity::Ask,
            BashAction::Deny => Severity::Deny,
        }
    }
}

impl Rule {
    /// True when the rule lets the write (or spawn) happen.
    pub fn allows(&self) -> bool {
        self.severity() == Severity::Allow
    }

    /// How severe the rule is (before the policy's mode applies).
    pub fn severity(&self) -> Severity {
        match self {
            Rule::Outside
            | Rule::OwnLane { .. }
            | Rule::Shared { .. }
            | Rule::SpawnAllowed { .. } => Severity::Allow,
            Rule::Unassigned(u) => {
                if *u == Unassigned::Allow {
                    Severity::Allow
                } else {
                    Severity::Deny
                }
            }
            Rule::Opaque { action, .. }
            | Rule::UnknownTarget { action }
            | Rule::RepoWide { action }
            | Rule::Unparseable { action } => (*action).into(),
            Rule::UnknownRole(_)
            | Rule::Protected { .. }
            | Rule::OtherSignal { .. }
            | Rule::OtherLane { .. }
            | Rule::Unowned
            | Rule::SpawnDenied { .. }
            | Rule::Tamper { .. } => Severity::Deny,
        }
    }

    /// True for the rules that say a path belongs to someone else or to no one (another
    /// lane, a protected path, another role's signal file, outside every lane).
    pub fn is_path_denial(&self) -> bool {
        matches!(
            self,
            Rule::OtherLane { .. }
                | Rule::Protected { .. }
                | Rule::OtherSignal { .. }
                | Rule::Unowned
        )
    }
}

fn action_name(a: &BashAction) -> &'static str {
    match a {
        BashAction::Allow => "allow",
        BashAction::Ask => "ask",
        BashAction::Deny => "deny",
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
            Rule::Opaque { program, action } => write!(
                f,
                "opaque: {program} (bash.opaque = \"{}\")",
                action_name(action)
            ),
            Rule::UnknownTarget { action } => {
                write!(
                    f,
                    "unknown target (bash.unknown_target = \"{}\")",
                    action_name(action)
                )
            }
            Rule::RepoWide { action } => write!(
                f,
                "repo-wide (bash.repo_wide = \"{}\")",
                action_name(action)
            ),
            Rule::Tamper { what } => write!(f, "tamper: {what}"),
            Rule::Unparseable { action } => write!(
                f,
                "unparseable (bash.unparseable = \"{}\")",
                action_name(action)
            ),
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
    /// True when the user must be asked (a `[bash]` setting of `"ask"`, in `enforce` mode).
    pub ask: bool,
}

impl Verdict {
    /// What happens to the call: `"deny"`, `"ask"` or `"allow"` (the audit log's `decision`).
    pub fn decision(&self) -> &'static str {
        if self.blocked {
            "deny"
        } else if self.ask {
            "ask"
        } else {
            "allow"
        }
    }

    /// The verdict of `rule` under a policy in `mode`.
    pub fn new(rule: Rule, mode: Mode) -> Verdict {
        let severity = rule.severity();
        let violation = severity != Severity::Allow;
        let enforce = mode == Mode::Enforce;
        let blocked =
            matches!(rule, Rule::UnknownRole(_)) || (severity == Severity::Deny && enforce);
        let ask = !blocked && severity == Severity::Ask && enforce;
        Verdict {
            rule,
            violation,
            blocked,
            ask,
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
    /// Outside the project, but guarded for role sessions (see [`crate::guarded`]): a policy
    /// file, the agent clients' or git's user configuration, the lanes executable.
    Guarded(&'static str),
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
    lanes: &Lanes<'_>,
    actor: &Actor<'_>,
    place: &Place,
    is_dir: bool,
) -> Result<Verdict, PolicyError> {
    let rule = rule_for(lanes, actor, place, is_dir)?;
    Ok(Verdict::new(rule, lanes.policy().mode))
}

fn rule_for(
    lanes: &Lanes<'_>,
    actor: &Actor<'_>,
    place: &Place,
    is_dir: bool,
) -> Result<Rule, PolicyError> {
    let policy = lanes.policy();
    let (role, path) = match (actor, place) {
        (Actor::Unknown(name, _), _) => return Ok(Rule::UnknownRole(name.clone())),
        (Actor::Role(..), Place::Guarded(what)) => {
            return Ok(Rule::Protected {
                pattern: (*what).to_string(),
                builtin: true,
            })
        }
        (_, Place::Outside | Place::Guarded(_)) => return Ok(Rule::Outside),
        (Actor::Unassigned, Place::Project(_)) => return Ok(Rule::Unassigned(policy.unassigned)),
        (Actor::Role(role, _), Place::Project(path)) => (*role, path),
    };
    if let Some(p) = lanes.find_in(&policy.builtin_protected, path, is_dir)? {
        return Ok(Rule::Protected {
            pattern: p.to_string(),
            builtin: true,
        });
    }
    if let Some(p) = lanes.find_in(&policy.protected, path, is_dir)? {
        return Ok(Rule::Protected {
            pattern: p.to_string(),
            builtin: false,
        });
    }
    if let Some(owner) = policy.signal_owner(path, &role.name) {
        return Ok(Rule::OtherSignal {
            owner: owner.name.clone(),
        });
    }
    if let Some(p) = lanes.role_find(role, path, is_dir)? {
        return Ok(Rule::OwnLane {
            pattern: p.to_string(),
        });
    }
    if let Some(p) = lanes.find_in(&policy.shared, path, is_dir)? {
        return Ok(Rule::Shared {
            pattern: p.to_string(),
        });
    }
    // The deny path only: find who owns the path, for the message.
    let mut owners = Vec::new();
    let mut first = None;
    for other in lanes
        .roles_that_may_own(path)
        .into_iter()
        .filter(|r| r.name != role.name)
    {
        if let Some(p) = lanes.find_in(&other.write, path, is_dir)? {
            owners.push(other.name.clone());
            first.get_or_insert_with(|| p.to_string());
        }
    }
    Ok(match first {
        Some(pattern) => Rule::OtherLane { owners, pattern },
        None => Rule::Unowned,
    })
}

/// Decides a write to everything below the directory `place` (`rm -r D`, `tar -x -C D`, a
/// glob's directory): allowed only when `place` itself is, and nothing below it is protected,
/// is another role's signal file, lies in another role's lane or is cut out of the acting
/// role's own lane by a `!pattern`. Patterns are compared with the directory component by
/// component; a pattern that starts with `**/` counts when the directory is the root or the
/// name after `**/` exists directly in it (deeper nested matches are not looked for), or
/// when that name is itself a glob (then it counts, conservatively).
///
/// Errors: a pattern list needed for the decision does not compile.
pub fn decide_subtree(
    lanes: &Lanes<'_>,
    actor: &Actor<'_>,
    place: &Place,
) -> Result<Verdict, PolicyError> {
    let policy = lanes.policy();
    let verdict = decide(lanes, actor, place, true)?;
    let (Actor::Role(role, _), Place::Project(dir)) = (actor, place) else {
        return Ok(verdict);
    };
    if !verdict.rule.allows() {
        return Ok(verdict);
    }
    let own = lanes.role_lane(role)?;
    let shared = lanes.lane(&policy.shared)?;
    // A literal path the acting role may write anyway (its own lane wins, as in `decide`)
    // does not count against the subtree.
    let also_mine = |text: &str| {
        !text.contains(['*', '?', '['])
            && RepoPath::new(std::path::Path::new(
                text.trim_start_matches('/').trim_end_matches('/'),
            ))
            .is_some_and(|p| own.find(&p, false).is_some() || shared.find(&p, false).is_some())
    };
    let inside = |text: &str| pattern_reaches_into(text, dir, &policy.root);
    for (list, builtin) in [
        (&policy.builtin_protected, true),
        (&policy.protected, false),
    ] {
        if let Some(p) = list
            .patterns()
            .find(|p| !p.text.starts_with('!') && inside(p.text))
        {
            return Ok(Verdict::new(
                Rule::Protected {
                    pattern: p.text.to_string(),
                    builtin,
                },
                policy.mode,
            ));
        }
    }
    if let Some(owner) = policy
        .roles
        .iter()
        .find(|r| r.name != role.name && r.signal.as_ref().is_some_and(|s| s.starts_with(dir)))
    {
        return Ok(Verdict::new(
            Rule::OtherSignal {
                owner: owner.name.clone(),
            },
            policy.mode,
        ));
    }
    let mut owners = Vec::new();
    let mut first = None;
    for other in policy.roles.iter().filter(|r| r.name != role.name) {
        if let Some(p) = other
            .write
            .patterns()
            .find(|p| !p.text.starts_with('!') && inside(p.text) && !also_mine(p.text))
        {
            owners.push(other.name.clone());
            first.get_or_insert(p.text);
        }
    }
    if let Some(pattern) = first {
        return Ok(Verdict::new(
            Rule::OtherLane {
                owners,
                pattern: pattern.to_string(),
            },
            policy.mode,
        ));
    }
    if role
        .write
        .patterns()
        .any(|p| p.text.strip_prefix('!').is_some_and(&inside))
    {
        return Ok(Verdict::new(Rule::Unowned, policy.mode));
    }
    Ok(verdict)
}

/// What the OS sandbox of a role session (`lanes run`) may do with one path: a literal path
/// is all a sandbox write rule can name on Linux (globs are skipped; sandbox-and-teams.md
/// §1.2), and it covers the path and everything below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wall {
    /// Every path at or below this one is denied to the role: the sandbox may deny it whole.
    /// The rule is the one that denies the path itself.
    Deny(Rule),
    /// The role may write the path itself (its own lane, a shared lane, or `mode = "log"`,
    /// where nothing is blocked): the sandbox must leave it open.
    Open(Rule),
    /// The path is denied, but `pattern` (of the role's own lanes or the shared ones, or a
    /// `!pattern` of the list that protects it) may let the role write something below it:
    /// denying the path whole would take that away, so only what lies below can be walled.
    Holds {
        /// The rule that denies the path itself.
        rule: Rule,
        /// The pattern, as written, that may open something below it.
        pattern: String,
    },
}

/// Decides what the sandbox of `role` may do with `path` (see [`Wall`]), by [`decide`] for
/// the path itself and by the pattern lists for what lies below it: a positive pattern of the
/// role's own lanes, or of the shared lanes, that may match strictly below `path` holds it
/// open, and so does, for a protected path, a `!pattern` of the protected lists. A shared
/// pattern that begins with `**/` (build outputs such as `**/node_modules/`) does not hold a
/// path open: it would hold every path, and the walls of a role are worth more than writing
/// build output inside another role's lane. The own lanes always hold: a role must be able to
/// work in its own lanes.
///
/// Errors: a pattern list needed for the decision does not compile.
pub fn decide_wall(
    lanes: &Lanes<'_>,
    role: &crate::policy::Role,
    path: &RepoPath,
    is_dir: bool,
) -> Result<Wall, PolicyError> {
    let policy = lanes.policy();
    let actor = Actor::Role(role, crate::role::RoleSource::Flag);
    let verdict = decide(lanes, &actor, &Place::Project(path.clone()), is_dir)?;
    if !verdict.blocked {
        return Ok(Wall::Open(verdict.rule));
    }
    let below = |text: &str| pattern_reaches_below(text, path);
    let positive = |text: &&str| !text.starts_with('!');
    let own = role.write.patterns().map(|p| p.text).filter(positive);
    let shared = policy
        .shared
        .patterns()
        .map(|p| p.text)
        .filter(positive)
        .filter(|t| !t.trim_start_matches('/').starts_with("**/"));
    let mut holding: Vec<&str> = own.chain(shared).filter(|t| below(t)).collect();
    if let Rule::Protected { builtin, .. } = &verdict.rule {
        let list = if *builtin {
            &policy.builtin_protected
        } else {
            &policy.protected
        };
        holding.extend(
            list.patterns()
                .map(|p| p.text)
                .filter(|t| t.strip_prefix('!').is_some_and(below)),
        );
    }
    Ok(match holding.first() {
        Some(pattern) => Wall::Holds {
            rule: verdict.rule,
            pattern: pattern.to_string(),
        },
        None => Wall::Deny(verdict.rule),
    })
}

/// True when the gitignore-style `pattern` (anchored at the root; `!` and slashes at either
/// end ignored) may match a path strictly below `dir`. A pattern that names `dir` or one of
/// its parents does not: what it says of `dir` holds for everything below it, and [`decide`]
/// has already weighed it for `dir` itself.
fn pattern_reaches_below(pattern: &str, dir: &RepoPath) -> bool {
    let comps = pattern_components(pattern.trim_start_matches('!'));
    let dir_comps = dir_components(dir);
    for (k, d) in dir_comps.iter().enumerate() {
        match comps.get(k) {
            None => return false,
            Some(&"**") => return true,
            Some(c) if !component_matches(c, d) => return false,
            Some(_) => {}
        }
    }
    comps.len() > dir_comps.len()
}

/// The slash-separated parts of a gitignore-style pattern, slashes at either end dropped.
fn pattern_components(pattern: &str) -> Vec<&str> {
    pattern
        .trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
        .collect()
}

/// The components of `dir`, as text.
fn dir_components(dir: &RepoPath) -> Vec<String> {
    dir.as_path()
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect()
}

/// True when the gitignore-style `pattern` (anchored at the root) may match something at or
/// below the directory `dir`.
fn pattern_reaches_into(pattern: &str, dir: &RepoPath, root: &std::path::Path) -> bool {
    let comps = pattern_components(pattern);
    let dir_comps = dir_components(dir);
    if comps.first() == Some(&"**") {
        let Some(name) = comps.iter().find(|c| **c != "**") else {
            return true;
        };
        if dir.is_root() || name.contains(['*', '?', '[']) {
            return true;
        }
        return root.join(dir.as_path()).join(name).exists()
            || dir_comps.last().is_some_and(|l| l == name);
    }
    for (k, d) in dir_comps.iter().enumerate() {
        match comps.get(k) {
            None => return true, // the pattern names an ancestor of `dir`
            Some(&"**") => return true,
            Some(c) if !component_matches(c, d) => return false,
            Some(_) => {}
        }
    }
    true
}

/// Glob match of one path component (`*`, `?`, `[...]`).
fn component_matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => match p.iter().position(|c| *c == ']') {
                Some(end) if !n.is_empty() => {
                    let class = &p[1..end];
                    let (neg, class) = match class.first() {
                        Some('!' | '^') => (true, &class[1..]),
                        _ => (false, class),
                    };
                    let mut hit = false;
                    let mut i = 0;
                    while i < class.len() {
                        if i + 2 < class.len() && class[i + 1] == '-' {
                            hit |= class[i] <= n[0] && n[0] <= class[i + 2];
                            i += 3;
                        } else {
                            hit |= class[i] == n[0];
                            i += 1;
                        }
                    }
                    hit != neg && go(&p[end + 1..], &n[1..])
                }
                _ => !n.is_empty() && n[0] == '[' && go(&p[1..], &n[1..]),
            },
            Some('\\') if p.len() > 1 => !n.is_empty() && n[0] == p[1] && go(&p[2..], &n[1..]),
            Some(c) => !n.is_empty() && n[0] == *c && go(&p[1..], &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    p.len() <= 256 && n.len() <= 1024 && go(&p, &n)
}

/// Decides a Bash finding that no path settles (`rule` is one of [`Rule::Opaque`],
/// [`Rule::UnknownTarget`], [`Rule::RepoWide`], [`Rule::Tamper`], [`Rule::Unparseable`]).
/// An unknown role is blocked; a session without a role follows `unassigned` (and tamper
/// findings are only for role sessions, so they pass); a role gets `rule` as given.
pub fn decide_bash(policy: &Policy, actor: &Actor<'_>, rule: Rule) -> Verdict {
    let rule = match actor {
        Actor::Unknown(name, _) => Rule::UnknownRole(name.clone()),
        Actor::Unassigned if matches!(rule, Rule::Tamper { .. }) => {
            Rule::Unassigned(Unassigned::Allow)
        }
        Actor::Unassigned => Rule::Unassigned(policy.unassigned),
        Actor::Role(..) => rule,
    };
    Verdict::new(rule, policy.mode)
}

/// Decides whether `actor` may start a subagent of type `subagent_type` (the `Agent` tool's
/// `tool_input.subagent_type`; `None` is the built-in general-purpose agent) called `name`
/// (`tool_input.name`, a teammate's name with Agent Teams).
///
/// A started subagent acts under its own `agent_type`, and an in-process teammate's
/// `agent_type` is its **name** (observed on Claude Code 2.1.332), so both are judged:
/// starting one that either maps to another role would launder that role's lanes. A role may
/// start subagents of its own role, of types and names that map to no role (they act as the
/// session's role), and of the roles its `spawn` key lists; an unassigned session (a lead) may
/// start any.
pub fn decide_spawn(
    policy: &Policy,
    actor: &Actor<'_>,
    subagent_type: Option<&str>,
    name: Option<&str>,
) -> Verdict {
    let targets = [subagent_type, name].map(|t| t.and_then(|t| policy.role_for_agent(t)));
    let may = |role: &crate::policy::Role, t: &crate::policy::Role| {
        t.name == role.name || role.spawn().contains(&t.name)
    };
    let rule = match actor {
        Actor::Unknown(name, _) => Rule::UnknownRole(name.clone()),
        Actor::Unassigned => Rule::SpawnAllowed {
            why: "unassigned session",
        },
        Actor::Role(role, _) => match targets.iter().flatten().find(|t| !may(role, t)) {
            Some(t) => Rule::SpawnDenied {
                target: t.name.clone(),
            },
            None if targets.iter().all(Option::is_none) => Rule::SpawnAllowed { why: "no role" },
            None if targets.iter().flatten().all(|t| t.name == role.name) => {
                Rule::SpawnAllowed { why: "same role" }
            }
            None => Rule::SpawnAllowed {
                why: "listed in spawn",
            },
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
        let v = decide(&Lanes::new(p), &actor, &place, false).unwrap();
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
            &Lanes::new(&p),
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
            &Lanes::new(&p),
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
        let spawn = |a: &Actor, t: Option<&str>| decide_spawn(&p, a, t, None).rule.to_string();
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
        assert!(decide_spawn(&p, &as_role("builder"), Some("researcher"), None).blocked);
        assert_eq!(
            spawn(&Actor::Unassigned, Some("researcher")),
            "spawn: unassigned session"
        );
        // An in-process teammate acts as its name: a name that maps to a role is judged too.
        let named = |t: Option<&str>, n: &str| {
            decide_spawn(&p, &as_role("builder"), t, Some(n))
                .rule
                .to_string()
        };
        assert_eq!(
            named(None, "researcher"),
            "spawn of role researcher not listed in spawn"
        );
        assert_eq!(
            named(Some("reviewer"), "researcher"),
            "spawn of role researcher not listed in spawn"
        );
        assert_eq!(named(Some("reviewer"), "rev1"), "spawn: listed in spawn");
        assert_eq!(named(None, "helper"), "spawn: no role");
        assert_eq!(named(Some("builder"), "builder"), "spawn: same role");
    }

    fn subtree(p: &Policy, role: &str, dir: &str) -> String {
        let actor = Actor::Role(p.role(role).unwrap(), RoleSource::Env);
        let v = decide_subtree(
            &Lanes::new(p),
            &actor,
            &Place::Project(RepoPath::new(Path::new(dir)).unwrap()),
        )
        .unwrap();
        format!("{} [{}]", if v.blocked { "BLOCK" } else { "pass" }, v.rule)
    }

    #[test]
    fn a_subtree_is_allowed_only_when_nothing_below_belongs_to_others() {
        let p = policy("");
        assert_eq!(subtree(&p, "builder", "src/util"), "pass [own lane: src/]");
        // The builder's signal file is shared with nobody, but src/vendor is cut out.
        assert_eq!(subtree(&p, "builder", "src"), "BLOCK [outside every lane]");
        assert_eq!(
            subtree(&p, "researcher", "research"),
            "pass [own lane: research/]"
        );
        assert_eq!(
            subtree(&p, "reviewer", "reviews"),
            "pass [own lane: reviews/]"
        );
        assert_eq!(
            subtree(&p, "builder", "research"),
            "BLOCK [lane of researcher: research/]"
        );
        // The root holds every lane; the first rule found below it is the always-protected list.
        assert!(subtree(&p, "builder", "").starts_with("BLOCK"));
        // Another role's pattern inside the own lane does not count: the own lane wins there
        // (as in `decide`); a glob pattern of another role does.
        let p2 = policy("[roles.x]\nwrite = [\"research/sub/\", \"reviews/*.tmp\"]\n");
        assert_eq!(
            subtree(&p2, "researcher", "research"),
            "pass [own lane: research/]"
        );
        assert_eq!(
            subtree(&p2, "reviewer", "reviews"),
            "BLOCK [lane of x: reviews/*.tmp]"
        );
    }

    #[test]
    fn component_globs() {
        assert!(component_matches("*.md", "a.md"));
        assert!(!component_matches("*.md", "a.rs"));
        assert!(component_matches("v?", "v1"));
        assert!(component_matches("[ab]x", "bx"));
        assert!(!component_matches("[!ab]x", "bx"));
        assert!(component_matches("[a-c]", "b"));
    }

    #[test]
    fn bash_rules_follow_the_settings_and_the_actor() {
        let p = policy("");
        let builder = Actor::Role(p.role("builder").unwrap(), RoleSource::Env);
        let v = decide_bash(
            &p,
            &builder,
            Rule::Opaque {
                program: "make".into(),
                action: BashAction::Allow,
            },
        );
        assert!(!v.blocked && !v.ask && !v.violation);
        let v = decide_bash(
            &p,
            &builder,
            Rule::UnknownTarget {
                action: BashAction::Ask,
            },
        );
        assert!(v.ask && !v.blocked);
        let v = decide_bash(&p, &builder, Rule::Tamper { what: "x".into() });
        assert!(v.blocked);
        let v = decide_bash(&p, &Actor::Unassigned, Rule::Tamper { what: "x".into() });
        assert!(!v.blocked);
        let p = policy("mode = \"log\"");
        let builder = Actor::Role(p.role("builder").unwrap(), RoleSource::Env);
        let v = decide_bash(
            &p,
            &builder,
            Rule::UnknownTarget {
                action: BashAction::Ask,
            },
        );
        assert!(
            !v.ask && !v.blocked && v.violation,
            "log mode records an ask"
        );
    }

    #[test]
    fn walls_of_a_role_sandbox() {
        let wall = |p: &Policy, role: &str, path: &str, dir: bool| {
            let lanes = Lanes::new(p);
            let path = RepoPath::new(Path::new(path)).unwrap();
            match decide_wall(&lanes, p.role(role).unwrap(), &path, dir).unwrap() {
                Wall::Deny(rule) => format!("deny [{rule}]"),
                Wall::Open(rule) => format!("open [{rule}]"),
                Wall::Holds { rule, pattern } => format!("holds {pattern} [{rule}]"),
            }
        };
        let p = policy("");
        for (role, path, dir, want) in [
            (
                "builder",
                "research",
                true,
                "deny [lane of researcher: research/]",
            ),
            ("builder", "src", true, "open [own lane: src/]"),
            ("builder", "src/vendor", true, "deny [outside every lane]"),
            ("builder", "contracts", true, "deny [protected: contracts/]"),
            (
                "builder",
                "lanes.toml",
                false,
                "deny [always protected: lanes.toml]",
            ),
            ("builder", "target", true, "open [shared: target/]"),
            // reviewer's lane holds research/DONE.md, inside researcher's lane.
            (
                "reviewer",
                "research",
                true,
                "holds research/DONE.md [lane of researcher: research/]",
            ),
            (
                "reviewer",
                "research/DONE.md",
                false,
                "deny [signal file of researcher]",
            ),
            // A shared path inside another lane holds it open, even when what it opens
            // (builder's signal file) is denied in turn: the walls err on the open side.
            (
                "researcher",
                "src",
                true,
                "holds src/BUILD_COMPLETE.md [lane of builder: src/]",
            ),
        ] {
            assert_eq!(wall(&p, role, path, dir), want, "{role} {path}");
        }
        let log = policy("mode = \"log\"");
        assert_eq!(
            wall(&log, "builder", "research", true),
            "open [lane of researcher: research/]",
            "log mode blocks nothing"
        );
        let spread = Policy::parse(
            Path::new("lanes.toml"),
            Path::new("/r"),
            "[roles.docs]\nwrite = [\"**/*.md\"]\n[roles.builder]\nwrite = [\"src/\"]\n\
             [roles.researcher]\nwrite = [\"research/\"]\n[shared]\nwrite = [\"**/cache/\"]\n"
                .into(),
        )
        .unwrap();
        assert_eq!(
            wall(&spread, "docs", "src", true),
            "holds **/*.md [lane of builder: src/]",
            "an own glob at any depth holds every folder"
        );
        assert_eq!(
            wall(&spread, "builder", "research", true),
            "deny [lane of researcher: research/]",
            "a shared **/ pattern holds nothing open"
        );
    }

    #[test]
    fn patterns_reaching_below_a_folder() {
        let dir = |d: &str| RepoPath::new(Path::new(d)).unwrap();
        for (pattern, d, want) in [
            ("src/gen/", "src", true),
            ("src/", "src", false),
            ("src/", "src/gen", false),
            ("docs/*.md", "docs", true),
            ("docs/*.md", "doc", false),
            ("**/x", "a/b", true),
            ("a/**", "a", true),
            ("!src/vendor/", "src", true),
            ("src/*/x", "src/a", true),
            ("src/*/x", "lib/a", false),
        ] {
            assert_eq!(
                pattern_reaches_below(pattern, &dir(d)),
                want,
                "{pattern} below {d}"
            );
        }
    }
}

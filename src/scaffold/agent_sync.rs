//! The agent files against the policy: what `lanes init` writes into `.claude/agents/`, and
//! what `lanes status` reports as stale or orphaned.
//!
//! [`survey`] reads every `.md` file below `.claude/agents/` and decides, for each, what init
//! does: create a role's missing file, regenerate lanes' parts of a file it wrote (see
//! [`super::agent_file`]), rewrite an unedited file of an older lanes, remove a file it
//! wrote for a role that is gone, or keep the file. Both commands use the one survey, so
//! status reports exactly what init would change.

use super::agent_file::{self, Kind};
use super::{agents, ScaffoldError};
use crate::policy::{Policy, Unassigned};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What init does with one agent file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Write this text (a new file, or lanes' parts regenerated; equal to `before` when up to
    /// date).
    Write(String),
    /// Delete the file: lanes wrote all of it, for a role that is gone.
    Remove,
    /// Leave it as it is.
    Keep,
}

/// One agent file and what init does with it.
#[derive(Debug, Clone)]
pub struct AgentFile {
    /// Absolute path.
    pub path: PathBuf,
    /// Its text now; `None` when it does not exist.
    pub before: Option<String>,
    /// What init does.
    pub change: Change,
    /// For init's summary: what the file is (`agent `builder` for role builder`), or why it is
    /// kept.
    pub what: String,
    /// What `lanes status` reports, with the fix; `None` when the file is as init would leave
    /// it, or is the user's own.
    pub problem: Option<String>,
}

/// Every agent file init would write, remove or keep, and notes for init's summary.
#[derive(Debug, Clone, Default)]
pub struct Survey {
    /// The files, in path order.
    pub files: Vec<AgentFile>,
    /// Roles that get no agent file, and why.
    pub notes: Vec<String>,
}

/// Surveys the agent files of the project governed by `policy` (its root's
/// `.claude/agents/`).
///
/// Errors: a file cannot be read; unbalanced lanes markers in a file (with its line).
pub fn survey(policy: &Policy) -> Result<Survey, ScaffoldError> {
    let root = &policy.root;
    let dir = root.join(agents::DIR);
    let shown = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let policy_name = policy
        .file
        .file_name()
        .map_or("lanes.toml".into(), |f| f.to_string_lossy());
    let mut out = Survey::default();
    let mut declared = BTreeSet::new();
    for path in agents::md_files(&dir) {
        let Some(text) = read(&path)? else {
            continue;
        };
        let name = agents::frontmatter_name(&text);
        declared.extend(name.clone());
        let kind = agent_file::kind(&text).map_err(|e| ScaffoldError::File {
            path: path.clone(),
            position: Some((e.line, 1)),
            message: e.message,
        })?;
        let role = name.as_deref().and_then(|n| policy.role_for_agent(n));
        let label = name.as_deref().unwrap_or("(no name)");
        let file = shown(&path);
        let (change, what, problem) = match (kind, role) {
            (Kind::Foreign, Some(r)) => (
                Change::Keep,
                format!("agent `{label}` (role {}) is yours: it has no lanes markers", r.name),
                None,
            ),
            (Kind::Foreign, None) => continue, // the user's own agent, no concern of lanes
            (Kind::Managed, Some(r)) => {
                let after = agent_file::merge(
                    &text,
                    &agents::description_line(r),
                    &agents::block(policy, r),
                )
                .map_err(|e| ScaffoldError::File {
                    path: path.clone(),
                    position: Some((e.line, 1)),
                    message: e.message,
                })?;
                let problem = (after != text).then(|| {
                    format!(
                        "{file} states what role {} may do as {policy_name} said when `lanes init` last wrote \
                         it, not as it says now: run `lanes init` to regenerate lanes' part (your own text is kept)",
                        r.name
                    )
                });
                (
                    Change::Write(after),
                    format!("agent `{label}` for role {}", r.name),
                    problem,
                )
            }
            (Kind::Legacy { unedited: true }, Some(r)) => (
                Change::Write(agents::render(policy, r, label)),
                format!(
                    "agent `{label}` for role {}, written by an older lanes, now with markers",
                    r.name
                ),
                Some(format!(
                    "{file} was written by an older lanes, without markers, so its text about role {} is not kept \
                     up to date: run `lanes init` to rewrite it (you have not edited it)",
                    r.name
                )),
            ),
            (Kind::Legacy { unedited: false }, Some(r)) => (
                Change::Keep,
                format!("agent `{label}` (role {}): written by an older lanes and edited since", r.name),
                Some(format!(
                    "{file} was written by an older lanes, without markers, and edited since, so `lanes init` does \
                     not rewrite it and what it says of role {} may be out of date: move your own text out of it, \
                     delete it, run `lanes init`, and put your text back below its `{}` line",
                    r.name,
                    agents::END
                )),
            ),
            (Kind::Managed | Kind::Legacy { .. }, None) => {
                let whole = match kind {
                    Kind::Managed => agent_file::only_lanes_text(&text),
                    _ => kind == Kind::Legacy { unedited: true },
                };
                let acts = format!(
                    "`claude --agent {label}` would act as no role, which writes as an unassigned session ({})",
                    match policy.unassigned {
                        Unassigned::Allow => "anywhere, since unassigned = \"allow\"",
                        Unassigned::Deny => "nowhere, since unassigned = \"deny\"",
                    }
                );
                let gone = format!("{file} was written by lanes for agent `{label}`, which no role in {policy_name} has any more");
                if whole {
                    (
                        Change::Remove,
                        format!("agent `{label}`: no role in {policy_name} has it any more"),
                        Some(format!("{gone}: {acts}; run `lanes init` to remove it")),
                    )
                } else {
                    (
                        Change::Keep,
                        format!("agent `{label}`: no role has it, and it holds your own text"),
                        Some(format!(
                            "{gone}: {acts}; it holds text of your own, so `lanes init` keeps it: delete it, or add \
                             the role back (or `{label}` to a role's `agents`) and run `lanes init`"
                        )),
                    )
                }
            }
        };
        out.files.push(AgentFile {
            path,
            before: Some(text),
            change,
            what,
            problem,
        });
    }
    for role in &policy.roles {
        let name = agents::agent_name(role);
        if !agents::usable_name(name) {
            out.notes.push(format!(
                "no agent file for role `{}`: Claude Code cannot load an agent named {name:?}",
                role.name
            ));
            continue;
        }
        if declared.contains(name) {
            continue;
        }
        let path = dir.join(format!("{name}.md"));
        if std::fs::symlink_metadata(&path).is_ok() {
            let (what, change) = (
                format!(
                    "exists but does not define agent `{name}`, so role {} has no agent file",
                    role.name
                ),
                Change::Keep,
            );
            out.files.push(AgentFile {
                before: read(&path).ok().flatten(),
                path,
                change,
                what,
                problem: None,
            });
            continue;
        }
        out.files.push(AgentFile {
            path,
            before: None,
            change: Change::Write(agents::render(policy, role, name)),
            what: format!("agent `{name}` for role {}", role.name),
            problem: None,
        });
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// A file's text; `None` when it is gone, or not UTF-8 (then it is not lanes' to judge).
fn read(path: &Path) -> Result<Option<String>, ScaffoldError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(String::from_utf8(bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(ScaffoldError::Io {
            path: path.to_path_buf(),
            error,
        }),
    }
}

//! The pure half of reading a policy: source text -> checked [`PolicyData`]. Nothing here
//! touches the file system, so the result depends on the text alone (and on the lanes
//! version), which is what lets the parsed-policy cache keep it between hook runs.

use super::error::PolicyError;
use super::model::{PolicyData, Role, DEFAULT_AUDIT, DEFAULT_MCP_TOOLS};
use super::pattern::{Pattern, PatternList};
use super::raw::{AuditSetting, RawPolicy};
use crate::path::RepoPath;
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use toml::Spanned;

/// Parses and checks `source`, the text of the policy `file` (named in errors only).
///
/// Errors: TOML syntax; unknown keys and wrong types; semantic errors (unknown role in
/// `spawn`, an `agents` name claimed by two roles, a bad `audit` or `signal` path).
pub(super) fn parse(file: &Path, source: &str) -> Result<PolicyData, PolicyError> {
    let raw: RawPolicy = toml::from_str(source)
        .map_err(|e| PolicyError::at(file, source, e.span(), e.message().to_string()))?;
    let at =
        |span: std::ops::Range<usize>, msg: String| PolicyError::at(file, source, Some(span), msg);

    let audit = match &raw.audit {
        None => Some(default_audit()),
        Some(s) => match s.get_ref() {
            AuditSetting::Off => None,
            AuditSetting::Default => Some(default_audit()),
            AuditSetting::Path(p) => match RepoPath::new(Path::new(p)) {
                Some(rp) if !rp.is_root() => Some(rp),
                _ => {
                    return Err(at(
                        s.span(),
                        format!("`{p}` must be a file path inside the project root"),
                    ))
                }
            },
        },
    };

    let names: HashSet<String> = raw.roles.keys().map(|k| k.get_ref().clone()).collect();
    let mut agent_owner: HashMap<String, String> = HashMap::new();
    let mut roles = Vec::with_capacity(raw.roles.len());
    for (name, r) in raw.roles {
        let name_span = name.span();
        let name = name.into_inner();
        if name.is_empty() {
            return Err(at(name_span, "a role needs a name".into()));
        }
        let agents: Option<Vec<String>> = match r.agents {
            None => None,
            Some(list) => Some(
                list.into_iter()
                    .map(|a| (a.span(), a.into_inner()))
                    .map(|(span, a)| {
                        if a.is_empty() {
                            Err(at(span, "an agent name may not be empty".into()))
                        } else {
                            Ok(a)
                        }
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        for a in agents.as_deref().unwrap_or(std::slice::from_ref(&name)) {
            if let Some(other) = agent_owner.insert(a.clone(), name.clone()) {
                if other != name {
                    return Err(at(name_span.clone(), format!(
                        "agent `{a}` is claimed by roles `{other}` and `{name}`; each agent_type may act as one role only"
                    )));
                }
            }
        }
        for s in &r.spawn {
            if !names.contains(s.get_ref()) {
                return Err(at(
                    s.span(),
                    format!("`spawn` names `{}`, which is not a role", s.get_ref()),
                ));
            }
        }
        let signal = match r.signal {
            None => None,
            Some(s) => match RepoPath::new(Path::new(s.get_ref())) {
                Some(p) if !p.is_root() => Some((p, s.span())),
                _ => {
                    return Err(at(
                        s.span(),
                        format!(
                            "signal `{}` must be a file path inside the project",
                            s.get_ref()
                        ),
                    ))
                }
            },
        };
        let (signal, signal_span) = signal.unzip();
        roles.push(Role {
            name,
            write: patterns(r.write),
            signal,
            signal_span,
            agents,
            description: r.description,
            signal_requires: r.signal_requires,
            spawn: r.spawn.into_iter().map(Spanned::into_inner).collect(),
            branch_spans: r.branches.iter().map(Spanned::span).collect(),
            branches: r.branches.into_iter().map(Spanned::into_inner).collect(),
        });
    }

    let mut mcp_tools: IndexMap<String, Vec<String>> = DEFAULT_MCP_TOOLS
        .iter()
        .map(|(t, f)| (t.to_string(), f.iter().map(|s| s.to_string()).collect()))
        .collect();
    for (tool, fields) in raw.mcp_tools {
        mcp_tools.insert(tool.into_inner(), fields.into_vec());
    }

    Ok(PolicyData {
        mode: raw.mode,
        unassigned: raw.unassigned,
        audit,
        roles,
        shared: patterns(raw.shared.write),
        protected: patterns(raw.protected.paths),
        mcp_tools: mcp_tools.into_iter().collect(),
        bash: raw.bash,
    })
}

fn default_audit() -> RepoPath {
    RepoPath::new(Path::new(DEFAULT_AUDIT)).expect("valid default")
}

fn patterns(list: Vec<Spanned<String>>) -> PatternList {
    PatternList::new(
        list.into_iter()
            .map(|s| Pattern {
                span: Some(s.span()),
                text: s.into_inner(),
            })
            .collect(),
    )
}

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
/// `spawn`, an `agents` name claimed by two roles, a bad `audit` or `signal` path, an `after`
/// entry naming an unknown role, the role itself or a role without a signal file, and cycles
/// of `after`).
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
    let mut afters: Vec<Vec<Spanned<String>>> = Vec::with_capacity(raw.roles.len());
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
            after: r.after.iter().map(|a| a.get_ref().clone()).collect(),
        });
        afters.push(r.after);
    }
    check_after(&roles, &afters, &at)?;

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

/// Checks every role's `after` (`afters[i]` as written for `roles[i]`): each entry names
/// another role, one with a signal file (there is nothing else to wait for), and following
/// `after` never leads back to where it started, since `lanes up` would then start neither.
fn check_after(
    roles: &[Role],
    afters: &[Vec<Spanned<String>>],
    at: &impl Fn(std::ops::Range<usize>, String) -> PolicyError,
) -> Result<(), PolicyError> {
    let index: HashMap<&str, usize> = roles
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    for (role, after) in roles.iter().zip(afters) {
        for a in after {
            let other = a.get_ref();
            let msg = match index.get(other.as_str()) {
                None => format!("`after` names `{other}`, which is not a role"),
                Some(_) if *other == role.name => {
                    format!("role `{other}` cannot start after itself")
                }
                Some(&i) if roles[i].signal.is_none() => {
                    format!("`after` names `{other}`, which has no `signal` file to wait for")
                }
                Some(_) => continue,
            };
            return Err(at(a.span(), msg));
        }
    }
    // A cycle: depth-first from each role, reporting the entry that closes it.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        i: usize,
        afters: &[Vec<Spanned<String>>],
        index: &HashMap<&str, usize>,
        marks: &mut [Mark],
        path: &mut Vec<usize>,
    ) -> Option<(usize, usize)> {
        marks[i] = Mark::Open;
        path.push(i);
        for (k, a) in afters[i].iter().enumerate() {
            let j = index[a.get_ref().as_str()];
            match marks[j] {
                Mark::Open => return Some((i, k)),
                Mark::New => {
                    if let Some(found) = visit(j, afters, index, marks, path) {
                        return Some(found);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks[i] = Mark::Done;
        None
    }
    let mut marks = vec![Mark::New; roles.len()];
    for start in 0..roles.len() {
        let mut path = Vec::new();
        if marks[start] != Mark::New {
            continue;
        }
        if let Some((i, k)) = visit(start, afters, &index, &mut marks, &mut path) {
            let entry = &afters[i][k];
            let j = index[entry.get_ref().as_str()];
            let from = path.iter().position(|&p| p == j).unwrap_or(0);
            let cycle: Vec<&str> = path[from..]
                .iter()
                .map(|&p| roles[p].name.as_str())
                .collect();
            let steps: Vec<String> = cycle
                .iter()
                .zip(cycle.iter().cycle().skip(1))
                .map(|(a, b)| format!("{a} waits for {b}"))
                .collect();
            return Err(at(
                entry.span(),
                format!(
                    "`after` makes a cycle ({}): none of them would ever start",
                    steps.join(", ")
                ),
            ));
        }
    }
    Ok(())
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

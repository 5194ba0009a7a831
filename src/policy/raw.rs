//! The wire format of `lanes.toml`, exactly as written. Nothing outside `policy` sees these
//! types: [`super::Policy::parse`] turns them into the compiled policy.
//!
//! Every table rejects unknown keys (`deny_unknown_fields`), so a typo is an error with a
//! line and column instead of a silently ignored rule. No `serde(flatten)`: it would disable
//! that rejection. The settings enums also serialize, for the parsed-policy cache.

use indexmap::IndexMap;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use toml::Spanned;

/// What happens to an out-of-lane write: `lanes.toml` key `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Out-of-lane writes are blocked (the default).
    #[default]
    Enforce,
    /// Out-of-lane writes are allowed but recorded as violations in the audit log.
    Log,
}

/// What a session with no role may do: `lanes.toml` key `unassigned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unassigned {
    /// A session with no role (a person, a lead) may write anywhere (the default).
    #[default]
    Allow,
    /// A session with no role may not write in the project.
    Deny,
}

/// `audit = ".lanes/audit.jsonl"` (a path relative to the root), `audit = true` (the default
/// path) or `audit = false` (off).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AuditSetting {
    /// The default location, `.lanes/audit.jsonl`.
    #[default]
    Default,
    /// No audit log.
    Off,
    /// A path relative to the project root.
    Path(String),
}

impl<'de> Deserialize<'de> for AuditSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AuditSetting;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a path relative to the project root, or false to turn the audit log off",
                )
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<AuditSetting, E> {
                Ok(if v {
                    AuditSetting::Default
                } else {
                    AuditSetting::Off
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AuditSetting, E> {
                Ok(AuditSetting::Path(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub unassigned: Unassigned,
    #[serde(default)]
    pub audit: Option<Spanned<AuditSetting>>,
    #[serde(default)]
    pub roles: IndexMap<Spanned<String>, RawRole>,
    #[serde(default)]
    pub shared: RawShared,
    #[serde(default)]
    pub protected: RawProtected,
    /// `[mcp_tools]`: MCP tool name (or `*` glob over names) -> input fields holding written paths.
    #[serde(default)]
    pub mcp_tools: IndexMap<Spanned<String>, OneOrMany>,
    /// `[bash]`: how `Bash` tool calls that cannot be fully analysed are treated.
    #[serde(default)]
    pub bash: BashSettings,
}

/// What happens to a `Bash` finding that lanes cannot judge by path: `allow` (recorded in
/// the audit log), `ask` (Claude Code asks the user; headless runs treat it as a denial) or
/// `deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BashAction {
    /// Let it run and record it.
    Allow,
    /// Ask the user (`permissionDecision: "ask"`).
    Ask,
    /// Block it.
    Deny,
}

/// `[bash]`: the policy for what static analysis of a Bash command cannot settle. Paths it
/// can see are always judged like file-tool writes; these keys cover the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BashSettings {
    /// `opaque`: a program whose writes cannot be seen (interpreters, build tools, scripts,
    /// `git pull`/`checkout BRANCH`). Default `allow`. Such a program is denied in any case
    /// when it runs in another role's lane or its text names a path there.
    #[serde(default = "allow")]
    pub opaque: BashAction,
    /// `unknown_target`: a write whose path is not known statically (`> "$OUT"`). Default
    /// `ask`. Denied in any case when its literal prefix lies in another lane.
    #[serde(default = "ask")]
    pub unknown_target: BashAction,
    /// `repo_wide`: git operations that revert or delete work across the whole worktree
    /// (`git stash`, `git reset --hard`). Default `deny` (for role sessions).
    #[serde(default = "deny")]
    pub repo_wide: BashAction,
    /// `unparseable`: a command that does not parse (or is refused by the pre-screen) and
    /// names no path that settles it. Default `ask`.
    #[serde(default = "ask")]
    pub unparseable: BashAction,
}

fn allow() -> BashAction {
    BashAction::Allow
}
fn ask() -> BashAction {
    BashAction::Ask
}
fn deny() -> BashAction {
    BashAction::Deny
}

impl Default for BashSettings {
    fn default() -> Self {
        BashSettings {
            opaque: allow(),
            unknown_target: ask(),
            repo_wide: deny(),
            unparseable: ask(),
        }
    }
}

/// `[roles.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    pub description: Option<String>,
    #[serde(default)]
    pub write: Vec<Spanned<String>>,
    pub agents: Option<Vec<Spanned<String>>>,
    pub signal: Option<Spanned<String>>,
    #[serde(default)]
    pub signal_requires: Vec<String>,
    #[serde(default)]
    pub spawn: Vec<Spanned<String>>,
    #[serde(default)]
    pub branches: Vec<Spanned<String>>,
    /// `after`: roles whose signal files must be complete before `lanes up` starts this one.
    #[serde(default)]
    pub after: Vec<Spanned<String>>,
}

/// `[shared]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShared {
    #[serde(default)]
    pub write: Vec<Spanned<String>>,
}

/// `[protected]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProtected {
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
}

/// A string or a list of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

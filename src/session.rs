//! What lanes remembers of a Claude Code session between its hook calls, so that its
//! subagents and in-process teammates act as the role they were started under.
//!
//! A session started with `claude --agent builder` gets its role from `agent_type`, which its
//! subagents do not carry (`general-purpose`, or a teammate's name), and hook processes get
//! no variable naming the agent. So the hook writes down, per `session_id`, the role the main
//! agent acts as and the role of each teammate it started, in `ROOT/.lanes/sessions/`, which
//! no role may write (`.lanes/` is always protected). It also pins the role a session got from
//! the branch checked out, so switching branches mid-session changes no role. Files are JSON:
//! `{"role":"builder","teammates":{"scout":"researcher"},"branch":{"role":"builder"}}`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The folder, relative to the project root.
const SESSIONS: &str = ".lanes/sessions";

/// What is remembered of one session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    /// The role the session's main agent acts as (from its `agent_type`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Teammate name (`Agent` `tool_input.name`) -> the role it was started as.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub teammates: BTreeMap<String, String>,
    /// True once the session's first prompt is recorded as its task
    /// (`crate::evidence::prompt`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub task: bool,
    /// The role the branch checked out gave the session at its first call that needed it,
    /// kept for the whole session: an agent that switches branches (`git switch -c
    /// build/x`) does not become another role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<BranchPin>,
}

/// What the branch checked out said of a session's role when it was first read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchPin {
    /// The role whose `branches` matched; `None` when the branch named no role (or `HEAD`
    /// was detached), which is pinned too.
    pub role: Option<String>,
}

/// The memory file of `session_id` below `root`; `None` for an id that is not a plain name
/// (Claude Code's are UUIDs), which is then not remembered.
pub fn file(root: &Path, session_id: &str) -> Option<PathBuf> {
    let plain = !session_id.is_empty()
        && session_id.len() <= 128
        && session_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plain.then(|| root.join(SESSIONS).join(format!("{session_id}.json")))
}

/// The memory of `session_id`; empty when there is none or it cannot be read (a session
/// lanes has not seen acts on its own claims).
pub fn read(root: &Path, session_id: &str) -> Memory {
    file(root, session_id)
        .and_then(|f| std::fs::read(f).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Writes the memory of `session_id`, replacing the file atomically (hooks of one session may
/// run at once: a reader sees the old file or the new one).
///
/// Errors: the folder or file cannot be written.
pub fn write(root: &Path, session_id: &str, memory: &Memory) -> std::io::Result<()> {
    let Some(file) = file(root, session_id) else {
        return Ok(());
    };
    let dir = file.parent().unwrap_or(root);
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{session_id}.{}.tmp", std::process::id()));
    let text = serde_json::to_vec(memory).map_err(std::io::Error::other)?;
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(&text))
        .and_then(|()| std::fs::rename(&tmp, &file));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_per_session_and_refuses_odd_ids() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let id = "4b1c9c1e-5a7e-4b6c-9d0e-2f1f0c7d9a11";
        assert_eq!(read(root, id), Memory::default());
        let m = Memory {
            role: Some("builder".into()),
            teammates: [("scout".to_string(), "researcher".to_string())].into(),
            task: true,
            branch: Some(BranchPin { role: None }),
        };
        write(root, id, &m).unwrap();
        assert_eq!(read(root, id), m);
        assert_eq!(read(root, "another"), Memory::default());
        for odd in ["", "../x", "a/b", "a.json", &"x".repeat(200)] {
            assert_eq!(file(root, odd), None, "{odd}");
        }
    }
}

//! The audit log: one JSON object per line, appended for every judged write.
//!
//! Many agents' hooks append at once. Each call appends all its lines with a single
//! `write` to a file opened with `O_APPEND`, under an exclusive `flock`, so lines never
//! interleave or get lost, whatever the file system's append atomicity.

use serde::Serialize;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::rc::Rc;
use std::time::SystemTime;

/// One line of the audit log. Field names are a public contract (`lanes report` reads them).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Record {
    /// When the decision was made, RFC 3339 UTC with microseconds.
    pub ts: String,
    /// Hook input `session_id` (`null` for `lanes check`).
    pub session_id: Option<String>,
    /// Hook input `agent_id` (only inside subagents).
    pub agent_id: Option<String>,
    /// Hook input `agent_type`.
    pub agent_type: Option<String>,
    /// The acting role, `null` when unassigned.
    pub role: Option<String>,
    /// Where the role came from: `agent_type`, `env`, `unassigned`, ... (see `RoleSource`).
    pub role_source: String,
    /// The tool (`Write`, `Bash`, `mcp__fs__write_file`, `Agent`).
    pub tool: String,
    /// The written path: relative to the project root, or absolute when outside it. `null`
    /// for decisions about no path (spawning a subagent, an opaque command).
    pub path: Option<String>,
    /// `"allow"`, `"ask"` or `"deny"`: the decision on this effect of the call. Whether the
    /// call as a whole ran is [`Record::ran`].
    pub decision: String,
    /// True when the write is out of lane, blocked or not (log mode allows and records).
    pub violation: bool,
    /// The rule that decided (`own lane: src/`, `lane of researcher: research/`, ...).
    pub rule: String,
    /// Whether the call ran: `false` on every line of a call lanes denied (its in-lane
    /// targets were never written), `true` on the lines written after a call ran
    /// (PostToolUse, PostToolUseFailure), absent otherwise (an allowed or asked call: the
    /// client may still refuse it; logs written before this field also lack it, and
    /// `lanes report` then tells a denied call by its `deny` lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ran: Option<bool>,
    /// Hook input `tool_use_id`: ties a call's PreToolUse lines to its PostToolUse lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_use_id: Option<String>,
    /// The agent CLI that sent the call when it is not Claude Code: `codex`, `copilot` or
    /// `gemini` (`crate::client`); absent for Claude Code and for `lanes check`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Extra facts for some tools (`subagent_type` for `Agent`, `command` for `Bash`).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A [`Record`] that borrows its fields, for writing: the hook writes one per judged effect
/// and would otherwise copy the same session, role and tool strings into each. Serializes
/// to exactly the same JSON as a `Record` with the same values (tested).
#[derive(Clone, Serialize)]
pub struct RecordRef<'a> {
    /// See [`Record::ts`].
    pub ts: &'a str,
    /// See [`Record::session_id`].
    pub session_id: Option<&'a str>,
    /// See [`Record::agent_id`].
    pub agent_id: Option<&'a str>,
    /// See [`Record::agent_type`].
    pub agent_type: Option<&'a str>,
    /// See [`Record::role`].
    pub role: Option<&'a str>,
    /// See [`Record::role_source`].
    pub role_source: &'a str,
    /// See [`Record::tool`].
    pub tool: &'a str,
    /// See [`Record::path`].
    pub path: Option<&'a str>,
    /// See [`Record::decision`].
    pub decision: &'a str,
    /// See [`Record::violation`].
    pub violation: bool,
    /// See [`Record::rule`]; written through its `Display`.
    #[serde(serialize_with = "displayed")]
    pub rule: &'a dyn std::fmt::Display,
    /// See [`Record::ran`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ran: Option<bool>,
    /// See [`Record::tool_use_id`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_use_id: Option<&'a str>,
    /// See [`Record::client`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<&'a str>,
    /// See [`Record::extra`].
    #[serde(skip_serializing_if = "no_extra")]
    pub extra: &'a Extra,
}

impl RecordRef<'_> {
    /// About the length of this record's JSON line: its keys and punctuation, its strings
    /// (twice over for the few that need escapes: control characters are rare) and the rule.
    fn size_hint(&self) -> usize {
        let len = |s: Option<&str>| s.map_or(4, str::len);
        let e = self.extra;
        300 + self.ts.len()
            + len(self.session_id)
            + len(self.agent_id)
            + len(self.agent_type)
            + len(self.role)
            + self.role_source.len()
            + self.tool.len()
            + len(self.path)
            + len(self.tool_use_id)
            + len(self.client)
            + len(e.subagent_type.as_ref().and_then(Option::as_deref))
            + len(e.command.as_deref())
            + len(e.fragment.as_deref())
            + len(e.outcome.as_deref())
            + len(e.unverified.as_deref())
            + len(e.prompt.as_deref())
    }
}

fn displayed<S: serde::Serializer>(v: &&dyn std::fmt::Display, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn no_extra(e: &&Extra) -> bool {
    e.is_empty()
}

/// The `extra` object of a hook's audit line ([`Record::extra`]), typed: the hook writes one
/// per judged effect, and a JSON map would cost a dozen allocations each. Keys are written in
/// the order of the fields, and only when set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extra {
    /// `subagent_type` of an `Agent` (`Task`) call, `null` when its `tool_input` has none.
    pub subagent_type: Option<Option<String>>,
    /// `name` of an `Agent` call: the teammate's name (Agent Teams).
    pub name: Option<String>,
    /// `command`: the Bash command, as quoted in messages (shared by the call's lines).
    pub command: Option<Rc<str>>,
    /// `fragment`: the part of the Bash command responsible, when not the whole command.
    pub fragment: Option<String>,
    /// `finding`: what the Bash analysis found (`write`, `subtree`, `unknown`, `opaque`,
    /// `repo-wide`, `tamper`, `unparseable`).
    pub finding: Option<&'static str>,
    /// `opaque: true`: a program lanes cannot see into ran (what `lanes report` counts).
    pub opaque: bool,
    /// `event`: the hook event of a line not written before a call (`PostToolUse`,
    /// `PostToolUseFailure`, `UserPromptSubmit`); absent on PreToolUse lines.
    pub event: Option<&'static str>,
    /// `outcome`: how a command that ran ended, as the client reports it: `ok`, or the
    /// PostToolUseFailure `error` (`Exit code 3`), `interrupted` when it was.
    pub outcome: Option<String>,
    /// `changed`: how many files the client's diff (`bashEditDiff.changedFiles`) lists.
    pub changed: Option<u64>,
    /// `unverified`: why the effects of a command that ran could not be checked after the
    /// run (no diff from the client, a failing command, git's own commands).
    pub unverified: Option<String>,
    /// `prompt`: the session's first prompt, shortened (UserPromptSubmit).
    pub prompt: Option<String>,
}

impl Extra {
    /// True when no key is set (the line then has no `extra`).
    pub fn is_empty(&self) -> bool {
        *self == Extra::default()
    }

    /// The same object as a JSON map, as [`Record::extra`] holds it.
    pub fn to_map(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(), // unreachable: an Extra serializes as an object
        }
    }
}

impl Serialize for Extra {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        if let Some(t) = &self.subagent_type {
            m.serialize_entry("subagent_type", t)?;
        }
        if let Some(n) = &self.name {
            m.serialize_entry("name", n)?;
        }
        if let Some(c) = &self.command {
            m.serialize_entry("command", &**c)?;
        }
        if let Some(f) = &self.fragment {
            m.serialize_entry("fragment", f)?;
        }
        if let Some(f) = self.finding {
            m.serialize_entry("finding", f)?;
        }
        if self.opaque {
            m.serialize_entry("opaque", &true)?;
        }
        if let Some(e) = self.event {
            m.serialize_entry("event", e)?;
        }
        if let Some(o) = &self.outcome {
            m.serialize_entry("outcome", o)?;
        }
        if let Some(c) = self.changed {
            m.serialize_entry("changed", &c)?;
        }
        if let Some(u) = &self.unverified {
            m.serialize_entry("unverified", u)?;
        }
        if let Some(p) = &self.prompt {
            m.serialize_entry("prompt", p)?;
        }
        m.end()
    }
}

/// The current time as RFC 3339 (UTC, microseconds).
pub fn now() -> String {
    humantime::format_rfc3339_micros(SystemTime::now()).to_string()
}

/// Appends `records` to the log at `file`, creating its folder and the file as needed.
///
/// Errors: the folder or file cannot be created, locked or written. The hook turns any of
/// them into a block, so a decision is never lost silently.
pub fn append<R: Serialize>(file: &Path, records: &[R]) -> io::Result<()> {
    append_sized(file, records, 256 * records.len())
}

/// Appends the hook's records to the log at `file`, like [`append`], with the same bytes,
/// into a buffer sized once from the records (a Bash call's lines each quote its command:
/// growing a buffer of tens of KiB would copy it).
pub fn append_refs(file: &Path, records: &[RecordRef<'_>]) -> io::Result<()> {
    let size = records.iter().map(RecordRef::size_hint).sum();
    append_sized(file, records, size)
}

/// Appends `lines`, the text of another audit log (JSON lines), to `file` in one write under
/// the lock, like [`append`], ending it with a newline if it lacks one: `lanes down` keeps a
/// removed worktree's records this way, in the main checkout's log.
///
/// Errors: as for [`append`].
pub fn append_lines(file: &Path, lines: &[u8]) -> io::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    if lines.ends_with(b"\n") {
        return write_locked(file, lines);
    }
    let mut buf = Vec::with_capacity(lines.len() + 1);
    buf.extend_from_slice(lines);
    buf.push(b'\n');
    write_locked(file, &buf)
}

/// Writes `records` as JSON lines into a buffer of `size` bytes, then appends it to `file`.
fn append_sized<R: Serialize>(file: &Path, records: &[R], size: usize) -> io::Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let mut buf = Vec::with_capacity(size);
    for r in records {
        serde_json::to_writer(&mut buf, r).map_err(io::Error::other)?;
        buf.push(b'\n');
    }
    write_locked(file, &buf)
}

/// Writes `buf` to the end of `file` in one `write`, under an exclusive lock.
fn write_locked(file: &Path, buf: &[u8]) -> io::Result<()> {
    let open = || OpenOptions::new().create(true).append(true).open(file);
    // The folder exists after the first call: try the file first, create the folder after.
    let mut f = match open() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(dir) = file.parent() {
                fs::create_dir_all(dir)?;
            }
            open()?
        }
        other => other?,
    };
    f.lock()?;
    let res = f.write_all(buf);
    // Dropping the file releases the lock too; unlocking first keeps the hold short.
    let _ = f.unlock();
    res
}

/// The audit log of `policy` in every checkout of its repository (the same repo-relative
/// path in each worktree), this checkout's first; empty when the policy keeps no log.
pub fn logs_in_every_checkout(policy: &crate::policy::Policy) -> Vec<std::path::PathBuf> {
    let Some(rel) = &policy.audit else {
        return Vec::new();
    };
    let mut roots = crate::checkout::project_in_every_checkout(&policy.root);
    if roots.is_empty() {
        roots.push(policy.root.clone());
    }
    roots.into_iter().map(|r| r.join(rel.as_path())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize) -> Record {
        Record {
            ts: now(),
            session_id: Some(format!("s{i}")),
            agent_id: None,
            agent_type: None,
            role: Some("builder".into()),
            role_source: "env".into(),
            tool: "Write".into(),
            path: Some(format!("src/{i}.rs")),
            decision: "allow".into(),
            violation: false,
            rule: "own lane: src/".into(),
            ran: None,
            tool_use_id: None,
            client: None,
            extra: Default::default(),
        }
    }

    #[test]
    fn concurrent_appends_never_interleave_or_lose_lines() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".lanes/audit.jsonl");
        std::thread::scope(|s| {
            for t in 0..8 {
                let file = &file;
                s.spawn(move || {
                    for i in 0..100 {
                        append(file, &[record(t * 1000 + i), record(t * 1000 + i)]).unwrap();
                    }
                });
            }
        });
        let text = fs::read_to_string(&file).unwrap();
        let lines: Vec<Record> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 1600);
    }

    /// `r` as the hook's borrowed record, with `extra` in place of `r.extra`.
    fn borrowed<'a>(r: &'a Record, extra: &'a Extra) -> RecordRef<'a> {
        RecordRef {
            ts: &r.ts,
            session_id: r.session_id.as_deref(),
            agent_id: r.agent_id.as_deref(),
            agent_type: r.agent_type.as_deref(),
            role: r.role.as_deref(),
            role_source: &r.role_source,
            tool: &r.tool,
            path: r.path.as_deref(),
            decision: &r.decision,
            violation: r.violation,
            rule: &r.rule,
            ran: r.ran,
            tool_use_id: r.tool_use_id.as_deref(),
            client: r.client.as_deref(),
            extra,
        }
    }

    /// A Bash line's extra, with JSON escapes in every string.
    fn bash_extra(i: usize) -> Extra {
        Extra {
            command: Some("cat <<'E' > \"f\"\n\u{7f}é\nE".into()),
            fragment: (!i.is_multiple_of(3)).then(|| format!("echo {} > \"f\"", i % 2)),
            finding: Some(if i == 5 { "opaque" } else { "write" }),
            opaque: i == 5,
            ..Extra::default()
        }
    }

    #[test]
    fn a_borrowed_record_writes_the_same_line() {
        let mut full = record(1);
        let none = Extra::default();
        let line = |r: &Record, e: &Extra| serde_json::to_string(&borrowed(r, e)).unwrap();
        assert_eq!(line(&full, &none), serde_json::to_string(&full).unwrap());
        full.agent_id = Some("a\"1".into());
        full.rule = "lane of x: \"src/\"\n".into();
        let extra = bash_extra(5);
        full.extra = extra.to_map();
        assert_eq!(
            full.extra.keys().collect::<Vec<_>>(),
            ["command", "fragment", "finding", "opaque"]
        );
        assert_eq!(line(&full, &extra), serde_json::to_string(&full).unwrap());
    }

    #[test]
    fn the_hooks_lines_are_serde_jsons_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut recs = Vec::new();
        let mut extras = Vec::new();
        for i in 0..8 {
            let mut r = record(i % 2);
            r.ts = "2026-01-01T00:00:00.000001Z".into();
            if i % 3 == 0 {
                r.session_id = None;
                r.agent_id = Some("a\"\u{1}\\é".into());
                r.path = None;
                r.violation = true;
                r.ran = Some(false);
                r.tool_use_id = Some("toolu_\"1".into());
            }
            r.rule = format!("lane of x: \"src/\"\t{}", i / 4);
            let extra = match i {
                0 => Extra::default(),
                6 => Extra {
                    subagent_type: Some(Some("re\"viewer".into())),
                    ..Extra::default()
                },
                7 => Extra {
                    subagent_type: Some(None),
                    ..Extra::default()
                },
                4 => Extra {
                    event: Some("PostToolUse"),
                    outcome: Some("Exit code 3".into()),
                    changed: Some(2),
                    unverified: Some("no \"diff\"".into()),
                    prompt: Some("do\nit".into()),
                    ..Extra::default()
                },
                _ => bash_extra(i),
            };
            r.extra = extra.to_map();
            recs.push(r);
            extras.push(extra);
        }
        let refs: Vec<RecordRef<'_>> = recs
            .iter()
            .zip(&extras)
            .map(|(r, e)| borrowed(r, e))
            .collect();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        append(&a, &recs).unwrap();
        append_refs(&b, &refs).unwrap();
        let (a, b) = (fs::read(a).unwrap(), fs::read(b).unwrap());
        assert_eq!(String::from_utf8(b).unwrap(), String::from_utf8(a).unwrap());
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let ts = now();
        assert!(humantime::parse_rfc3339(&ts).is_ok(), "{ts}");
    }
}

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
    /// `"allow"` or `"deny"`: what happened to the call.
    pub decision: String,
    /// True when the write is out of lane, blocked or not (log mode allows and records).
    pub violation: bool,
    /// The rule that decided (`own lane: src/`, `lane of researcher: research/`, ...).
    pub rule: String,
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
            + len(e.subagent_type.as_ref().and_then(Option::as_deref))
            + len(e.command.as_deref())
            + len(e.fragment.as_deref())
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
    /// `command`: the Bash command, as quoted in messages (shared by the call's lines).
    pub command: Option<Rc<str>>,
    /// `fragment`: the part of the Bash command responsible, when not the whole command.
    pub fragment: Option<String>,
    /// `finding`: what the Bash analysis found (`write`, `subtree`, `unknown`, `opaque`,
    /// `repo-wide`, `tamper`, `unparseable`).
    pub finding: Option<&'static str>,
    /// `opaque: true`: a program lanes cannot see into ran (what `lanes report` counts).
    pub opaque: bool,
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
    if records.is_empty() {
        return Ok(());
    }
    let mut buf = Vec::with_capacity(256 * records.len());
    for r in records {
        serde_json::to_writer(&mut buf, r).map_err(io::Error::other)?;
        buf.push(b'\n');
    }
    write_locked(file, &buf)
}

/// Appends the hook's records to the log at `file`, like [`append`], with the same bytes.
///
/// The records of one call share most of their strings (time, session, role, tool, and a
/// Bash command's excerpt in each of its lines): a string equal to the previous record's in
/// the same field is copied already escaped instead of escaped again.
pub fn append_refs(file: &Path, records: &[RecordRef<'_>]) -> io::Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let mut lines = Lines {
        // Sized once: growing a buffer of tens of KiB copies it and churns the heap.
        buf: Vec::with_capacity(records.iter().map(RecordRef::size_hint).sum()),
        seen: [const { None }; FIELDS],
        rule: (String::new(), String::new(), 0..0),
    };
    for r in records {
        lines.line(r).map_err(io::Error::other)?;
    }
    write_locked(file, &lines.buf)
}

/// The string fields that [`Lines::escaped`] remembers: the audit keys `ts` to `decision`,
/// then `extra`'s `subagent_type`, `command`, `fragment` and `finding`.
const FIELDS: usize = 13;

/// JSON lines written as `serde_json::to_writer` writes a [`RecordRef`], field by field.
struct Lines<'a> {
    buf: Vec<u8>,
    /// Per field: the last string written and where its escaped form lies in `buf`.
    seen: [Option<(&'a str, std::ops::Range<usize>)>; FIELDS],
    /// The rule of the line being written, then of the line before, as text; and where the
    /// latter's escaped form lies in `buf`.
    rule: (String, String, std::ops::Range<usize>),
}

impl<'a> Lines<'a> {
    fn line(&mut self, r: &RecordRef<'a>) -> serde_json::Result<()> {
        self.buf.push(b'{');
        self.string(0, "\"ts\":", Some(r.ts))?;
        self.string(1, ",\"session_id\":", r.session_id)?;
        self.string(2, ",\"agent_id\":", r.agent_id)?;
        self.string(3, ",\"agent_type\":", r.agent_type)?;
        self.string(4, ",\"role\":", r.role)?;
        self.string(5, ",\"role_source\":", Some(r.role_source))?;
        self.string(6, ",\"tool\":", Some(r.tool))?;
        self.string(7, ",\"path\":", r.path)?;
        self.string(8, ",\"decision\":", Some(r.decision))?;
        self.buf.extend_from_slice(b",\"violation\":");
        self.buf
            .extend_from_slice(if r.violation { b"true" } else { b"false" });
        self.buf.extend_from_slice(b",\"rule\":");
        let (rule, last, range) = &mut self.rule;
        rule.clear();
        std::fmt::Write::write_fmt(rule, format_args!("{}", r.rule))
            .map_err(serde::ser::Error::custom)?;
        let at = self.buf.len();
        if rule == last && range.start < range.end {
            self.buf.extend_from_within(range.clone());
        } else {
            json_string(&mut self.buf, rule)?;
        }
        std::mem::swap(rule, last);
        *range = at..self.buf.len();
        let e = r.extra;
        if !e.is_empty() {
            // Every key is written after a comma; the first comma becomes the `{`.
            self.buf.extend_from_slice(b",\"extra\":");
            let open = self.buf.len();
            if let Some(t) = &e.subagent_type {
                self.string(9, ",\"subagent_type\":", t.as_deref())?;
            }
            if let Some(c) = &e.command {
                self.string(10, ",\"command\":", Some(&**c))?;
            }
            if let Some(f) = &e.fragment {
                self.string(11, ",\"fragment\":", Some(f))?;
            }
            if let Some(f) = e.finding {
                self.string(12, ",\"finding\":", Some(f))?;
            }
            if e.opaque {
                self.buf.extend_from_slice(b",\"opaque\":true");
            }
            self.buf[open] = b'{';
            self.buf.push(b'}');
        }
        self.buf.extend_from_slice(b"}\n");
        Ok(())
    }

    /// `,"key":` then the value, `null` for `None`.
    fn string(&mut self, field: usize, key: &str, v: Option<&'a str>) -> serde_json::Result<()> {
        self.buf.extend_from_slice(key.as_bytes());
        match v {
            Some(s) => self.escaped(field, s),
            None => {
                self.buf.extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    /// `s` as a JSON string, copied from the last time `field` had the same value.
    fn escaped(&mut self, field: usize, s: &'a str) -> serde_json::Result<()> {
        let at = self.buf.len();
        match &self.seen[field] {
            Some((last, range)) if *last == s => self.buf.extend_from_within(range.clone()),
            _ => json_string(&mut self.buf, s)?,
        }
        self.seen[field] = Some((s, at..self.buf.len()));
        Ok(())
    }
}

/// `s` as a JSON string, as `serde_json` writes it. Most strings need no escape (no `"`,
/// `\\` or control character): those are checked a block at a time and copied whole, which
/// costs a tenth of escaping them byte by byte.
fn json_string(buf: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    let plain = !s.as_bytes().chunks(32).any(|block| {
        block.iter().fold(false, |bad, &b| {
            bad | (b < 0x20) | (b == b'"') | (b == b'\\')
        })
    });
    if !plain {
        return serde_json::to_writer(buf, s);
    }
    buf.reserve(s.len() + 2);
    buf.push(b'"');
    buf.extend_from_slice(s.as_bytes());
    buf.push(b'"');
    Ok(())
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

    proptest::proptest! {
        /// Plain or not, a string is written as serde_json writes it.
        #[test]
        fn strings_are_written_as_serde_json_writes_them(s in "(\\PC|[\"\\\\\\x00-\\x1f\\x7f])*") {
            let mut buf = Vec::new();
            json_string(&mut buf, &s).unwrap();
            proptest::prop_assert_eq!(buf, serde_json::to_vec(&s).unwrap());
        }
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let ts = now();
        assert!(humantime::parse_rfc3339(&ts).is_ok(), "{ts}");
    }
}

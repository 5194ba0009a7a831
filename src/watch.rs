//! `lanes watch`: the audit logs of every checkout, followed as they grow, one line per
//! decision.
//!
//! Logs are read from where they ended when the watch started (or from their start when they
//! appear later: a worktree made afterwards), whole lines only; a log that shrinks (cleared,
//! rotated) is read again from its start. File-system notifications (the `notify` crate)
//! wake the loop early; it also re-reads every [`POLL`], so a lost notification only delays
//! a line. The list of logs is refreshed every [`RESCAN`], so new worktrees join.

use crate::audit::Record;
use std::collections::HashSet;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The longest wait between two looks at the logs, and between two looks at the stop flag.
pub const POLL: Duration = Duration::from_millis(250);

/// How often the list of logs (one per checkout) is worked out again.
pub const RESCAN: Duration = Duration::from_secs(2);

/// One new line of a log.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The log it was read from.
    pub log: PathBuf,
    /// The decision, or the line itself when it is not a record (C-quoted when it holds
    /// control characters or is not UTF-8, as [`line`] shows a path: it goes to a terminal).
    pub record: Result<Record, String>,
}

/// The logs being followed and how far each has been read.
#[derive(Debug, Default)]
pub struct Follower {
    tails: Vec<Tail>,
}

#[derive(Debug)]
struct Tail {
    path: PathBuf,
    /// Bytes read so far, up to the end of the last whole line.
    offset: u64,
}

impl Follower {
    /// Follows `logs` from their current ends; a log that does not exist yet will be read
    /// from its start once it appears.
    pub fn new(logs: Vec<PathBuf>) -> Follower {
        let mut f = Follower::default();
        for path in logs {
            let offset = std::fs::metadata(&path).map_or(0, |m| m.len());
            f.tails.push(Tail { path, offset });
        }
        f
    }

    /// Adds the logs of `logs` not followed yet, read from their start (they are new).
    pub fn add(&mut self, logs: Vec<PathBuf>) {
        let known: HashSet<PathBuf> = self.tails.iter().map(|t| t.path.clone()).collect();
        for path in logs {
            if !known.contains(&path) {
                self.tails.push(Tail { path, offset: 0 });
            }
        }
    }

    /// The logs followed.
    pub fn logs(&self) -> impl Iterator<Item = &Path> {
        self.tails.iter().map(|t| t.path.as_path())
    }

    /// The whole lines added to any log since the last call, log by log.
    pub fn read(&mut self) -> Vec<Entry> {
        let mut out = Vec::new();
        for tail in &mut self.tails {
            // A log that cannot be read now (not there yet, a race with its creation) is
            // tried again next time.
            let _ = tail.read(&mut out);
        }
        out
    }
}

impl Tail {
    fn read(&mut self, out: &mut Vec<Entry>) -> io::Result<()> {
        let mut f = std::fs::File::open(&self.path)?;
        let len = f.metadata()?.len();
        if len < self.offset {
            self.offset = 0;
        }
        if len == self.offset {
            return Ok(());
        }
        f.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::with_capacity((len - self.offset) as usize);
        f.take(len - self.offset).read_to_end(&mut buf)?;
        // Only whole lines: a hook may be writing the rest right now.
        let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
            return Ok(());
        };
        self.offset += end as u64 + 1;
        for line in buf[..end].split(|&b| b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let record = serde_json::from_slice::<Record>(line)
                .map_err(|_| crate::check::format::shown(line));
            out.push(Entry {
                log: self.path.clone(),
                record,
            });
        }
        Ok(())
    }
}

/// Goes on with `follower`, adding the logs that `logs()` lists (asked again every
/// [`RESCAN`]), and hands each new line to `emit`, until `stop` is set (checked at least
/// every [`POLL`]) or `emit` fails. The caller makes the follower first, so whatever is
/// written after it says it is watching is shown.
///
/// Errors: what `emit` returned (a closed stdout, say).
pub fn follow(
    mut follower: Follower,
    logs: impl Fn() -> Vec<PathBuf>,
    stop: &AtomicBool,
    mut emit: impl FnMut(Entry) -> io::Result<()>,
) -> io::Result<()> {
    let (tx, rx) = mpsc::channel::<()>();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let wake = match res {
            Ok(ev) => !matches!(ev.kind, notify::EventKind::Access(_)),
            Err(_) => true,
        };
        if wake {
            let _ = tx.send(());
        }
    })
    .ok();
    let mut watched: HashSet<PathBuf> = HashSet::new();
    let mut rescanned = Instant::now();
    loop {
        if let Some(w) = watcher.as_mut() {
            watch_folders(w, &follower, &mut watched);
        }
        for entry in follower.read() {
            emit(entry)?;
        }
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        if rx.recv_timeout(POLL).is_ok() {
            while rx.try_recv().is_ok() {}
        }
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        if rescanned.elapsed() >= RESCAN {
            follower.add(logs());
            rescanned = Instant::now();
        }
    }
}

/// Watches the folder of every followed log that exists and is not watched yet.
fn watch_folders(
    w: &mut notify::RecommendedWatcher,
    follower: &Follower,
    watched: &mut HashSet<PathBuf>,
) {
    use notify::{RecursiveMode, Watcher};
    for log in follower.logs() {
        let Some(dir) = log.parent() else { continue };
        if !watched.contains(dir)
            && dir.is_dir()
            && w.watch(dir, RecursiveMode::NonRecursive).is_ok()
        {
            watched.insert(dir.to_path_buf());
        }
    }
}

/// One decision as a line for people: `HH:MM:SSZ  ROLE  TOOL  PATH  DECISION  RULE` (the time
/// of the record, UTC; `(unassigned)` for no role, `-` for no path). `highlight` wraps a
/// denial in bold red and a violation that was not denied (log mode, or found after a
/// command ran) in yellow, for a terminal.
///
/// The path is the agent's choice, so it is shown as `lanes check` shows paths (C-quoted
/// when it holds control characters), and so is any other field holding them: a record
/// cannot move the cursor, retitle the terminal or set its clipboard, and is one line.
pub fn line(r: &Record, highlight: bool) -> String {
    use crate::check::format::shown;
    let plain = |s: &str| match s.chars().any(char::is_control) {
        true => shown(s.as_bytes()),
        false => s.to_string(),
    };
    let time = plain(r.ts.get(11..19).map_or(r.ts.as_str(), |t| t));
    let role = plain(r.role.as_deref().unwrap_or("(unassigned)"));
    let path = r
        .path
        .as_deref()
        .map_or("-".into(), |p| shown(p.as_bytes()));
    // A write let through or found after the run (`detected`) that is out of lane.
    let decision = if r.violation && r.decision != "deny" {
        format!("{} (violation)", plain(&r.decision))
    } else {
        plain(&r.decision)
    };
    let text = format!(
        "{time}Z  {role}  {}  {path}  {decision}  {}",
        plain(&r.tool),
        plain(&r.rule)
    );
    match (highlight, r.decision.as_str(), r.violation) {
        (true, "deny", _) => format!("\x1b[1;31m{text}\x1b[0m"),
        (true, _, true) => format!("\x1b[33m{text}\x1b[0m"),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn rec(decision: &str, violation: bool) -> Record {
        Record {
            ts: "2026-12-05T17:20:31.123456Z".into(),
            session_id: Some("s".into()),
            agent_id: None,
            agent_type: None,
            role: Some("builder".into()),
            role_source: "env".into(),
            tool: "Write".into(),
            path: Some("research/x.md".into()),
            decision: decision.into(),
            violation,
            rule: "lane of researcher: research/".into(),
            ran: None,
            tool_use_id: None,
            client: None,
            extra: Default::default(),
        }
    }

    #[test]
    fn lines_for_people_and_terminals() {
        assert_eq!(
            line(&rec("deny", true), false),
            "17:20:31Z  builder  Write  research/x.md  deny  lane of researcher: research/"
        );
        assert_eq!(
            line(&rec("deny", true), true),
            "\x1b[1;31m17:20:31Z  builder  Write  research/x.md  deny  lane of researcher: research/\x1b[0m"
        );
        let mut r = rec("allow", true);
        r.role = None;
        r.path = None;
        assert_eq!(
            line(&r, false),
            "17:20:31Z  (unassigned)  Write  -  allow (violation)  lane of researcher: research/"
        );
        assert!(line(&rec("allow", false), true).starts_with("17:"));
        assert!(line(&rec("detected", true), true).contains("  detected (violation)  "));
    }

    #[test]
    fn what_an_agent_wrote_reaches_the_terminal_as_text() {
        let mut r = rec("deny", true);
        // OSC 52 sets the clipboard; CSI 2J clears the screen.
        r.path = Some("a\x1b]52;c;aGk=\x07b\nc".into());
        r.role = Some("b\x1b[2J".into());
        let got = line(&r, false);
        assert_eq!(
            got,
            r#"17:20:31Z  "b\033[2J"  Write  "a\033]52;c;aGk=\007b\nc"  deny  lane of researcher: research/"#
        );
    }

    #[test]
    fn follows_from_the_end_whole_lines_only_and_new_logs_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.jsonl");
        let b = dir.path().join("b/audit.jsonl");
        let line = |r: &Record| serde_json::to_string(r).unwrap() + "\n";
        std::fs::write(&a, line(&rec("allow", false))).unwrap();
        let mut f = Follower::new(vec![a.clone(), b.clone()]);
        assert!(f.read().is_empty(), "what was there before is not shown");
        let mut file = std::fs::OpenOptions::new().append(true).open(&a).unwrap();
        let deny = line(&rec("deny", true));
        file.write_all(&deny.as_bytes()[..10]).unwrap();
        assert!(f.read().is_empty(), "half a line waits");
        file.write_all(&deny.as_bytes()[10..]).unwrap();
        file.write_all(b"not json\n\x1b[2J\n").unwrap();
        let got = f.read();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].record.as_ref().unwrap().decision, "deny");
        assert_eq!(got[1].record, Err("not json".to_string()));
        assert_eq!(got[2].record, Err(r#""\033[2J""#.to_string()));
        std::fs::create_dir_all(b.parent().unwrap()).unwrap();
        std::fs::write(&b, line(&rec("allow", false))).unwrap();
        assert_eq!(f.read().len(), 1, "a log that appears later is read whole");
        std::fs::write(&a, line(&rec("allow", false))).unwrap();
        assert_eq!(f.read().len(), 1, "a log that shrank is read again");
    }

    #[test]
    fn follow_ends_when_the_flag_is_set() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("audit.jsonl");
        let stop = AtomicBool::new(true);
        let l = log.clone();
        follow(
            Follower::new(vec![]),
            move || vec![l.clone()],
            &stop,
            |_| Ok(()),
        )
        .unwrap();
    }
}

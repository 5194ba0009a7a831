//! Signal files: is a role's handoff complete? Shared by `lanes wait` and `lanes status`.
//!
//! A signal file is complete when it exists, is not empty, contains every string of the
//! role's `signal_requires`, and has not changed for a settle interval. The settle interval
//! guards against the half-written handoff: an agent writing `research/DONE.md` in several
//! steps must not release the next agent after the first one.
//!
//! [`wait`] is woken by file-system notifications (the `notify` crate: inotify, FSEvents,
//! kqueue, ReadDirectoryChangesW) and also re-checks every [`WaitOptions::poll`], so it works
//! where notifications are missing or lost (network file systems, exhausted inotify watches,
//! a watcher that cannot start). Notifications only make it react sooner; correctness never
//! depends on them.

use serde::Serialize;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

/// The settle interval used when none is given: how long a signal file must stay unchanged.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(3);

/// The re-check interval of [`wait`], whether or not notifications arrive.
pub const DEFAULT_POLL: Duration = Duration::from_millis(250);

/// One look at a signal file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// False when the file does not exist.
    pub exists: bool,
    /// Size in bytes (0 when absent).
    pub len: u64,
    /// Last modification time, when the file exists and the platform reports it.
    pub modified: Option<SystemTime>,
    /// The `signal_requires` strings the content lacks, in policy order.
    pub missing: Vec<String>,
    digest: u64,
}

/// How complete a signal file is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum SignalState {
    /// The file does not exist.
    Absent,
    /// The file exists but is empty.
    Empty,
    /// The file lacks some `signal_requires` strings.
    Incomplete {
        /// The missing strings.
        missing: Vec<String>,
    },
    /// The content is complete but changed less than the settle interval ago.
    Settling {
        /// How much longer it must stay unchanged, in milliseconds.
        remaining_ms: u64,
    },
    /// Complete: the next role may start.
    Complete,
}

impl SignalState {
    /// A short word for people: `absent`, `empty`, `incomplete`, `settling`, `complete`.
    pub fn word(&self) -> &'static str {
        match self {
            SignalState::Absent => "absent",
            SignalState::Empty => "empty",
            SignalState::Incomplete { .. } => "incomplete",
            SignalState::Settling { .. } => "settling",
            SignalState::Complete => "complete",
        }
    }

    /// The state with its details, for people (`incomplete: lacks "## Findings"`).
    pub fn describe(&self) -> String {
        match self {
            SignalState::Incomplete { missing } => {
                let list: Vec<String> = missing.iter().map(|m| format!("{m:?}")).collect();
                format!("incomplete: lacks {}", list.join(", "))
            }
            SignalState::Settling { remaining_ms } => {
                format!(
                    "settling: must stay unchanged {:.1} s more",
                    *remaining_ms as f64 / 1000.0
                )
            }
            other => other.word().to_string(),
        }
    }
}

/// Reads the file at `path` and checks it against `requires`. A missing file (or a missing
/// parent directory) is a snapshot with `exists: false`, not an error.
///
/// Errors: the file exists but cannot be read (permissions, a directory in its place).
pub fn inspect(path: &Path, requires: &[String]) -> io::Result<Snapshot> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(Snapshot {
                exists: false,
                len: 0,
                modified: None,
                missing: requires.to_vec(),
                digest: 0,
            });
        }
        Err(e) => return Err(e),
    };
    let modified = std::fs::metadata(path).ok().and_then(|m| m.modified().ok());
    let text = String::from_utf8_lossy(&bytes);
    let missing = requires
        .iter()
        .filter(|r| !text.contains(r.as_str()))
        .cloned()
        .collect();
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    Ok(Snapshot {
        exists: true,
        len: bytes.len() as u64,
        modified,
        missing,
        digest: h.finish(),
    })
}

/// The state of `snap`, given that its content has been unchanged since `stable_since`.
pub fn state(
    snap: &Snapshot,
    stable_since: SystemTime,
    now: SystemTime,
    settle: Duration,
) -> SignalState {
    if !snap.exists {
        return SignalState::Absent;
    }
    if snap.len == 0 {
        return SignalState::Empty;
    }
    if !snap.missing.is_empty() {
        return SignalState::Incomplete {
            missing: snap.missing.clone(),
        };
    }
    // A modification time in the future (clock skew) counts as "just changed".
    let age = now.duration_since(stable_since).unwrap_or(Duration::ZERO);
    if age < settle {
        let remaining = settle - age;
        return SignalState::Settling {
            remaining_ms: remaining.as_millis().max(1) as u64,
        };
    }
    SignalState::Complete
}

/// The state of the file at `path` from one look, taking its modification time as the moment
/// it last changed (what `lanes status` reports).
pub fn check(path: &Path, requires: &[String], settle: Duration) -> io::Result<SignalState> {
    let snap = inspect(path, requires)?;
    let now = SystemTime::now();
    Ok(state(&snap, snap.modified.unwrap_or(now), now, settle))
}

/// Follows a file across several looks: when the content (or size, or modification time)
/// changes between looks, the settle interval restarts from the look that saw the change,
/// even when the writer kept the old modification time.
#[derive(Debug, Default)]
pub struct Tracker {
    last: Option<(bool, u64, Option<SystemTime>, u64)>,
    stable_since: Option<SystemTime>,
}

impl Tracker {
    /// Records a look taken at `now` and returns the file's state.
    pub fn observe(&mut self, snap: &Snapshot, now: SystemTime, settle: Duration) -> SignalState {
        let key = (snap.exists, snap.len, snap.modified, snap.digest);
        match &self.last {
            None => self.stable_since = Some(snap.modified.unwrap_or(now)),
            Some(prev) if *prev != key => self.stable_since = Some(now),
            Some(_) => {}
        }
        self.last = Some(key);
        state(snap, self.stable_since.unwrap_or(now), now, settle)
    }
}

/// Options of [`wait`].
#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// Give up after this long; `None` waits forever.
    pub timeout: Option<Duration>,
    /// How long the complete content must stay unchanged.
    pub settle: Duration,
    /// Re-check at least this often, notifications or not.
    pub poll: Duration,
    /// Use file-system notifications when available (false: poll only).
    pub notify: bool,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: None,
            settle: DEFAULT_SETTLE,
            poll: DEFAULT_POLL,
            notify: true,
        }
    }
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The file is complete.
    Complete {
        /// How long the wait took.
        waited: Duration,
        /// False when file-system notifications could not be used and only polling ran.
        notified: bool,
    },
    /// The timeout passed first; the state at that moment.
    TimedOut(SignalState),
}

/// Waits until the file at `path` is complete (see the module docs).
///
/// Errors: the file exists but cannot be read.
pub fn wait(path: &Path, requires: &[String], opts: &WaitOptions) -> io::Result<WaitOutcome> {
    let start = Instant::now();
    let (tx, rx) = mpsc::channel::<()>();
    // `tx` stays alive for the whole wait, so `recv_timeout` sleeps even without a watcher.
    let mut watch = if opts.notify {
        Watch::new(tx.clone())
    } else {
        Watch {
            watcher: None,
            dir: None,
        }
    };
    let mut tracker = Tracker::default();
    loop {
        watch.follow(path);
        let snap = inspect(path, requires)?;
        let st = tracker.observe(&snap, SystemTime::now(), opts.settle);
        if st == SignalState::Complete {
            return Ok(WaitOutcome::Complete {
                waited: start.elapsed(),
                notified: watch.works(),
            });
        }
        let mut sleep = opts.poll;
        if let SignalState::Settling { remaining_ms } = st {
            sleep = sleep.min(Duration::from_millis(remaining_ms));
        }
        if let Some(t) = opts.timeout {
            let left = t.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Ok(WaitOutcome::TimedOut(st));
            }
            sleep = sleep.min(left);
        }
        if rx.recv_timeout(sleep).is_ok() {
            // Coalesce a burst of events into one look.
            while rx.try_recv().is_ok() {}
        }
    }
}

/// A non-recursive watch on the nearest existing ancestor directory of the signal file,
/// moved down as directories appear. `None` inside when notifications are unavailable.
struct Watch {
    watcher: Option<notify::RecommendedWatcher>,
    dir: Option<PathBuf>,
}

impl Watch {
    fn new(tx: mpsc::Sender<()>) -> Watch {
        use notify::EventKind;
        let handler = move |res: notify::Result<notify::Event>| {
            // Our own reads raise access events on some platforms; only changes wake us.
            let relevant = match res {
                Ok(ev) => !matches!(ev.kind, EventKind::Access(_)),
                Err(_) => true,
            };
            if relevant {
                let _ = tx.send(());
            }
        };
        Watch {
            watcher: notify::recommended_watcher(handler).ok(),
            dir: None,
        }
    }

    fn works(&self) -> bool {
        self.watcher.is_some()
    }

    /// Watches the nearest existing ancestor of `path`, if that changed since last time.
    fn follow(&mut self, path: &Path) {
        use notify::{RecursiveMode, Watcher};
        let Some(w) = self.watcher.as_mut() else {
            return;
        };
        let target = path
            .ancestors()
            .skip(1)
            .find(|d| d.is_dir())
            .map(Path::to_path_buf);
        if target == self.dir {
            return;
        }
        if let Some(old) = self.dir.take() {
            let _ = w.unwatch(&old);
        }
        if let Some(dir) = target {
            if w.watch(&dir, RecursiveMode::NonRecursive).is_ok() {
                self.dir = Some(dir);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn states_in_order_of_completion() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("DONE.md");
        let r = req(&["## Findings", "## Risks"]);
        let settle = Duration::from_secs(2);
        let at = |snap: &Snapshot, age: u64| {
            let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
            state(snap, t0, t0 + Duration::from_millis(age), settle)
        };
        assert_eq!(at(&inspect(&f, &r).unwrap(), 5000), SignalState::Absent);
        std::fs::write(&f, "").unwrap();
        assert_eq!(at(&inspect(&f, &r).unwrap(), 5000), SignalState::Empty);
        std::fs::write(&f, "## Findings\n").unwrap();
        assert_eq!(
            at(&inspect(&f, &r).unwrap(), 5000),
            SignalState::Incomplete {
                missing: req(&["## Risks"])
            }
        );
        std::fs::write(&f, "## Findings\n## Risks\n").unwrap();
        assert_eq!(
            at(&inspect(&f, &r).unwrap(), 500),
            SignalState::Settling { remaining_ms: 1500 }
        );
        assert_eq!(at(&inspect(&f, &r).unwrap(), 2000), SignalState::Complete);
    }

    #[test]
    fn a_missing_parent_directory_is_absent_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            !inspect(&dir.path().join("no/such/DONE.md"), &[])
                .unwrap()
                .exists
        );
    }

    #[test]
    fn a_directory_in_place_of_the_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(inspect(dir.path(), &[]).is_err());
    }

    #[test]
    fn tracker_restarts_the_settle_interval_on_a_change_even_with_the_same_mtime() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let s = Duration::from_secs(1);
        let snap = |digest| Snapshot {
            exists: true,
            len: 3,
            modified: Some(t0),
            missing: vec![],
            digest,
        };
        let mut t = Tracker::default();
        assert_eq!(
            t.observe(&snap(1), t0 + Duration::from_secs(5), s),
            SignalState::Complete
        );
        let later = t0 + Duration::from_secs(6);
        assert_eq!(
            t.observe(&snap(2), later, s),
            SignalState::Settling { remaining_ms: 1000 }
        );
        assert_eq!(t.observe(&snap(2), later + s, s), SignalState::Complete);
    }

    /// Writes `DONE.md` in `dir` after `delay`, from another thread.
    fn write_later(dir: &Path, delay: Duration) -> std::thread::JoinHandle<()> {
        let f = dir.join("handoff/DONE.md");
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(&f, "## Findings\n").unwrap();
        })
    }

    #[test]
    fn notifications_wake_the_wait_long_before_the_next_poll() {
        let dir = tempfile::tempdir().unwrap();
        // The folder does not exist yet: the watch moves down when it appears.
        let writer = write_later(dir.path(), Duration::from_millis(200));
        let opts = WaitOptions {
            timeout: Some(Duration::from_secs(20)),
            settle: Duration::from_millis(100),
            poll: Duration::from_secs(60),
            notify: true,
        };
        let got = wait(
            &dir.path().join("handoff/DONE.md"),
            &req(&["## Findings"]),
            &opts,
        )
        .unwrap();
        writer.join().unwrap();
        match got {
            WaitOutcome::Complete {
                waited,
                notified: true,
            } => assert!(waited < Duration::from_secs(10), "{waited:?}"),
            other => panic!("expected a notified completion, got {other:?}"),
        }
    }

    #[test]
    fn polling_alone_also_completes() {
        let dir = tempfile::tempdir().unwrap();
        let writer = write_later(dir.path(), Duration::from_millis(100));
        let opts = WaitOptions {
            timeout: Some(Duration::from_secs(20)),
            settle: Duration::from_millis(100),
            poll: Duration::from_millis(50),
            notify: false,
        };
        let got = wait(&dir.path().join("handoff/DONE.md"), &[], &opts).unwrap();
        writer.join().unwrap();
        assert!(
            matches!(
                got,
                WaitOutcome::Complete {
                    notified: false,
                    ..
                }
            ),
            "{got:?}"
        );
    }
}

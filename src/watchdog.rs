//! The hook's deadline, kept by the kernel instead of a thread.
//!
//! Claude Code lets a tool call through when a hook times out or dies from a signal, so
//! `lanes hook` must end in exit 2 by itself if judging takes too long (a stalled file system,
//! stdin held open). A watchdog thread costs about a tenth of a hook call (stack, guard
//! pages, a malloc arena, clone and teardown); a real-time interval timer costs two system
//! calls. When it fires, the `SIGALRM` handler writes the prepared reason to stderr and calls
//! `_exit(2)`: both are async-signal-safe, and nothing else runs in the handler.
#![allow(unsafe_code)] // the one place: installing a signal handler and arming a timer

use std::io;
use std::sync::OnceLock;
use std::time::Duration;

/// The reason written to stderr when the deadline passes; set once, before the timer is armed,
/// so the handler only reads it.
static REASON: OnceLock<Box<[u8]>> = OnceLock::new();

/// The JSON written to stdout first, for clients that need it (see `lanes::client::answer`);
/// empty for none. Set with [`REASON`].
static STDOUT: OnceLock<Box<[u8]>> = OnceLock::new();

/// Exit status of a call blocked by the deadline (Claude Code blocks on 2).
const EXIT_BLOCK: libc::c_int = 2;

/// Arms the deadline: after `deadline` of wall time the process writes the answer's stdout
/// (if any) to stdout and its reason to stderr, each plus a newline, and exits 2, whatever
/// it is doing. Call once, before reading stdin.
///
/// Errors: the handler cannot be installed, `SIGALRM` cannot be unblocked (a blocked mask is
/// inherited across exec), or the timer cannot be set. The caller must then block the call:
/// without a deadline a hang would become an allow.
pub fn arm(deadline: Duration, answer: &lanes::client::answer::Answer) -> io::Result<()> {
    let line = |s: Option<&str>| -> Box<[u8]> {
        match s {
            Some(s) => format!("{s}\n").into_bytes().into_boxed_slice(),
            None => Box::default(),
        }
    };
    let reason = line(Some(answer.stderr.as_deref().unwrap_or(&answer.reason)));
    if STDOUT.set(line(answer.stdout.as_deref())).is_err() || REASON.set(reason).is_err() {
        return Err(io::Error::other("the deadline is already armed"));
    }
    // A zero timer would disarm instead of firing at once.
    let deadline = deadline.max(Duration::from_micros(1));
    // SAFETY: plain libc calls on zero-initialised, fully written C structs; `on_alarm` is an
    // `extern "C"` function that only calls async-signal-safe functions.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_alarm as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGALRM);
        let rc = libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        let timer = libc::itimerval {
            it_interval: libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            },
            it_value: libc::timeval {
                tv_sec: deadline.as_secs() as libc::time_t,
                tv_usec: deadline.subsec_micros() as libc::suseconds_t,
            },
        };
        if libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Disarms the deadline: for the hook events that must never end in exit 2 (PostToolUse,
/// UserPromptSubmit; see `lanes::evidence`), where the client's own `timeout` bounds a hang.
pub fn disarm() {
    let zero = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
    };
    // SAFETY: a plain libc call on a fully written struct; a failure leaves the timer armed,
    // which can only end the process with exit 2 later, as before.
    unsafe { libc::setitimer(libc::ITIMER_REAL, &zero, std::ptr::null_mut()) };
}

/// The `SIGALRM` handler: the block to stdout (when the client needs one), the reason to
/// stderr, then `_exit(2)` (no destructors, no locks).
extern "C" fn on_alarm(_signal: libc::c_int) {
    // `OnceLock::get` is an atomic load once set, which `arm` did before arming the timer.
    if let Some(json) = STDOUT.get().filter(|j| !j.is_empty()) {
        // SAFETY: as below.
        unsafe { libc::write(libc::STDOUT_FILENO, json.as_ptr().cast(), json.len()) };
    }
    if let Some(reason) = REASON.get() {
        // SAFETY: write(2) is async-signal-safe and the buffer lives for the whole process. A
        // short or failed write changes nothing: the exit status alone blocks the call.
        unsafe { libc::write(libc::STDERR_FILENO, reason.as_ptr().cast(), reason.len()) };
    }
    // SAFETY: _exit(2) is async-signal-safe and never returns.
    unsafe { libc::_exit(EXIT_BLOCK) }
}

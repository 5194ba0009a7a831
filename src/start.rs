//! The process start of `lanes` on glibc Linux, in place of the Rust runtime's.
//!
//! `lanes hook` runs once per tool call, so its start-up counts. The runtime's start spends
//! about a tenth of a millisecond before `main` on glibc Linux, mostly to find the main
//! thread's stack guard: glibc's `pthread_getattr_np` reads and parses `/proc/self/maps` for
//! it (42 lines, about 95,000 instructions, and the kernel writes the text first). That guard
//! only turns a stack overflow's `SIGSEGV` into a message and an abort, and both end the
//! process by a signal, which Claude Code treats as "let the call through" either way. So the
//! binary defines the C `main` itself (`#![no_main]`) and does here the two things of that
//! start that lanes relies on.
//!
//! Command-line arguments are unaffected: on glibc, std reads them from the `.init_array`
//! hook, not from its `main` (that is why this start is limited to glibc Linux).
#![allow(unsafe_code)] // the second place: process-wide signal and file-descriptor set-up

/// Exit status that makes Claude Code block a tool call.
const EXIT_BLOCK: libc::c_int = 2;

/// Does what the Rust runtime's start does that lanes relies on. Call first thing in `main`.
///
/// - `SIGPIPE` is ignored, so a write to a closed pipe fails with `EPIPE`, which lanes turns
///   into exit 2, instead of killing the process (a signal death lets the call through).
/// - File descriptors 0, 1 and 2 are open: a closed one is opened on `/dev/null`, or else the
///   next file lanes opens (the audit log) would take its number, and what lanes prints to
///   stdout would land in that file. If `/dev/null` cannot be opened the process exits 2.
pub fn init() {
    // SAFETY: `signal` with `SIG_IGN` installs no handler code; it only changes a disposition.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    for fd in 0..3 {
        // SAFETY: `fcntl(F_GETFD)` only reads the descriptor's flags.
        let closed = unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF);
        // The lowest free descriptor is taken, which is `fd`, as 0..fd are open by now.
        // SAFETY: `open` gets a NUL-terminated literal path.
        if closed && unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } != fd {
            // SAFETY: `_exit` ends the process at once; nothing is left half done.
            unsafe { libc::_exit(EXIT_BLOCK) };
        }
    }
}

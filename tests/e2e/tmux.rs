//! A private tmux server for end-to-end runs of `lanes up`: its socket lives in a temp folder
//! of its own (`TMUX_TMPDIR`), so the test never sees or touches the user's tmux, and the
//! server is killed on drop, also when the test fails.
//!
//! What a pane's program did is read from the pane's screen, not from tmux's `pane_dead`:
//! tmux 3.3a here at times leaves an exited agent unreaped (a zombie, the pane not marked
//! dead) until another child of the server exits.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

/// The private server's folder; the server itself starts with the first session made in it.
pub struct PrivateTmux {
    /// Short, in the system's temp folder: a unix socket path holds about 100 bytes.
    dir: TempDir,
}

impl PrivateTmux {
    /// A private server folder, or `None` when tmux does not run here (the skip line is
    /// printed then; under CI that fails the test).
    pub fn new() -> Option<PrivateTmux> {
        let runs = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !runs {
            crate::skip::partial(
                "tmux is not installed (.ci/test-tools installs it: apt-get install tmux); \
                 lanes up was not tried with the real Claude Code CLI",
            );
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("lanes-tmux-")
            .tempdir()
            .expect("create tmux temp dir");
        Some(PrivateTmux { dir })
    }

    /// Points `cmd` (tmux, or a `lanes` that runs tmux) at this server and no other.
    pub fn target(&self, cmd: &mut Command) {
        cmd.env("TMUX_TMPDIR", self.dir.path()).env_remove("TMUX");
    }

    /// `tmux ARGS` on this server: its stdout, or `None` when it failed (no server, no
    /// such pane).
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Option<String> {
        let mut cmd = Command::new("tmux");
        cmd.args(args);
        self.target(&mut cmd);
        let out = cmd.output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// True while a session called exactly `session` exists.
    pub fn has_session(&self, session: &str) -> bool {
        self.run(&["has-session", "-t", &format!("={session}")])
            .is_some()
    }

    /// What the pane of `role` in `session` shows, its scrollback included.
    pub fn screen(&self, session: &str, role: &str) -> String {
        let format = "#{pane_id}\t#{@lanes_role}";
        let listing = self
            .run(&[
                "list-panes",
                "-s",
                "-t",
                &format!("={session}"),
                "-F",
                format,
            ])
            .unwrap_or_default();
        let Some(id) = listing.lines().find_map(|l| {
            let (id, r) = l.split_once('\t')?;
            (r == role).then(|| id.to_string())
        }) else {
            return format!("(no pane of {role})");
        };
        self.run(&["capture-pane", "-p", "-J", "-S", "-2000", "-t", &id])
            .unwrap_or_else(|| format!("(cannot capture the pane of {role})"))
    }

    /// The folder of the server's socket.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PrivateTmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

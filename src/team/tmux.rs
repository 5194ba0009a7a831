//! tmux through its command-line client: the only place lanes starts tmux.
//!
//! Every command targets a session by its exact name (`=NAME`: a bare name would also match
//! a longer session name by prefix). tmux finds its server as it always does: `$TMUX` inside
//! tmux, else the default socket under `$TMUX_TMPDIR` (tests point that at a private folder).
//! Pane commands are passed as several arguments, which tmux runs directly, without the
//! user's shell. Requires tmux 3.2 or later (`new-session -e`, pane options).

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

/// How `lanes` tells people to install tmux.
pub const INSTALL_HINT: &str = "install it (`apt-get install tmux`, `brew install tmux`)";

/// A tmux command that could not run or failed.
#[derive(Debug)]
pub enum TmuxError {
    /// `tmux` is not on `PATH`.
    Missing,
    /// `tmux` could not be started for another reason.
    Spawn(io::Error),
    /// tmux exited unsuccessfully.
    Failed {
        /// The command, for the message (`tmux new-session ...`).
        command: String,
        /// tmux's stderr, trimmed.
        stderr: String,
    },
}

impl fmt::Display for TmuxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TmuxError::Missing => write!(f, "tmux is not installed (not on PATH): {INSTALL_HINT}"),
            TmuxError::Spawn(e) => write!(f, "cannot run tmux: {e}"),
            TmuxError::Failed { command, stderr } => write!(f, "`{command}` failed: {stderr}"),
        }
    }
}

impl std::error::Error for TmuxError {}

/// One pane to open: its working directory, the program and arguments it runs, and
/// environment variables to set in it (`-e NAME=VALUE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spawn<'a> {
    /// Working directory of the pane (`-c`).
    pub dir: &'a Path,
    /// The program and its arguments, run directly by tmux.
    pub argv: &'a [String],
    /// `NAME=VALUE` pairs set in the pane's environment.
    pub env: &'a [(String, OsString)],
}

/// The tmux client found on `PATH`.
#[derive(Debug, Clone, Default)]
pub struct Tmux;

impl Tmux {
    /// tmux's version line (`tmux 3.3a`).
    ///
    /// Errors: [`TmuxError::Missing`] when tmux is not on `PATH`.
    pub fn version(&self) -> Result<String, TmuxError> {
        self.output(&["-V".into()])
    }

    /// True when a session called exactly `name` exists (false also when no server runs).
    pub fn has_session(&self, name: &str) -> Result<bool, TmuxError> {
        match self.output(&["has-session".into(), "-t".into(), exact(name)]) {
            Ok(_) => Ok(true),
            Err(TmuxError::Failed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The server's global environment (`show-environment -g`), which every new pane starts
    /// from; `None` when no server runs (the first new session starts one with the caller's
    /// own environment). Variables marked removed (`-NAME`) are left out.
    pub fn global_environment(&self) -> Result<Option<Vec<(String, String)>>, TmuxError> {
        match self.output(&["show-environment".into(), "-g".into()]) {
            Ok(text) => Ok(Some(
                text.lines()
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )),
            Err(TmuxError::Failed { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates the detached session `name` with one window (`lanes`) whose first pane runs
    /// `first`. The same tmux command keeps panes open after their program ends
    /// (`remain-on-exit`), so a pane whose agent exits at once still shows why, and shows
    /// each pane's `@lanes_role` (see [`Tmux::title`]) on its top border, before the first
    /// program prints anything the border would push up. Returns the pane's id (`%3`).
    pub fn new_session(&self, name: &str, first: &Spawn) -> Result<String, TmuxError> {
        let mut args: Vec<OsString> = vec![
            "new-session".into(),
            "-d".into(),
            "-P".into(),
            "-F".into(),
            "#{pane_id}".into(),
            "-s".into(),
            name.into(),
            "-n".into(),
            "lanes".into(),
            // A detached session's size until a client attaches: room for several panes.
            "-x".into(),
            "200".into(),
            "-y".into(),
            "60".into(),
        ];
        spawn_args(&mut args, first);
        // One tmux command list: the option is set before the server looks at the pane's
        // program again, even when it exits at once.
        args.extend([
            ";".into(),
            "set-option".into(),
            "-w".into(),
            "-t".into(),
            window(name),
            "remain-on-exit".into(),
            "on".into(),
            ";".into(),
            "set-option".into(),
            "-w".into(),
            "-t".into(),
            window(name),
            "pane-border-status".into(),
            "top".into(),
            ";".into(),
            "set-option".into(),
            "-w".into(),
            "-t".into(),
            window(name),
            "pane-border-format".into(),
            " #{?@lanes_role,#{@lanes_role},#{pane_title}} ".into(),
        ]);
        self.output(&args)
    }

    /// Opens another pane after pane `after` (so panes keep the order they are opened in),
    /// then tiles the session's window so the next split has room. Returns the pane's id.
    pub fn split(&self, session: &str, after: &str, pane: &Spawn) -> Result<String, TmuxError> {
        let mut args: Vec<OsString> = vec![
            "split-window".into(),
            "-d".into(),
            "-P".into(),
            "-F".into(),
            "#{pane_id}".into(),
            "-t".into(),
            after.into(),
        ];
        spawn_args(&mut args, pane);
        let id = self.output(&args)?;
        self.output(&[
            "select-layout".into(),
            "-t".into(),
            window(session),
            "tiled".into(),
        ])?;
        Ok(id)
    }

    /// Titles pane `id` with `title`, also kept in the pane option `@lanes_role`, which the
    /// border shows: programs may retitle a pane (Claude Code does), the option stays.
    pub fn title(&self, id: &str, title: &str) -> Result<(), TmuxError> {
        self.output(&[
            "select-pane".into(),
            "-t".into(),
            id.into(),
            "-T".into(),
            title.into(),
            ";".into(),
            "set-option".into(),
            "-p".into(),
            "-t".into(),
            id.into(),
            "@lanes_role".into(),
            title.into(),
        ])
        .map(drop)
    }

    /// Attaches this terminal to the session (`attach-session`), or, inside tmux, switches
    /// the current client to it (`switch-client`). Returns when the client detaches.
    pub fn attach(&self, session: &str, inside_tmux: bool) -> Result<ExitStatus, TmuxError> {
        let verb = if inside_tmux {
            "switch-client"
        } else {
            "attach-session"
        };
        Command::new("tmux")
            .args([verb, "-t"])
            .arg(exact(session))
            .status()
            .map_err(spawn_error)
    }

    /// Kills the session; false when there was none.
    pub fn kill_session(&self, name: &str) -> Result<bool, TmuxError> {
        if !self.has_session(name)? {
            return Ok(false);
        }
        self.output(&["kill-session".into(), "-t".into(), exact(name)])?;
        Ok(true)
    }

    /// Runs `tmux ARGS` and returns its stdout, trimmed.
    fn output(&self, args: &[OsString]) -> Result<String, TmuxError> {
        let out = Command::new("tmux")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(spawn_error)?;
        if !out.status.success() {
            return Err(TmuxError::Failed {
                command: describe(args),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

fn spawn_error(e: io::Error) -> TmuxError {
    if e.kind() == io::ErrorKind::NotFound {
        TmuxError::Missing
    } else {
        TmuxError::Spawn(e)
    }
}

/// `-c DIR`, `-e NAME=VALUE`..., then the program and its arguments.
fn spawn_args(args: &mut Vec<OsString>, s: &Spawn) {
    args.push("-c".into());
    args.push(s.dir.into());
    for (k, v) in s.env {
        let mut kv = OsString::from(format!("{k}="));
        kv.push(v);
        args.push("-e".into());
        args.push(kv);
    }
    args.extend(s.argv.iter().map(OsString::from));
}

/// The target of exactly the session `name` (no prefix matching).
fn exact(name: &str) -> OsString {
    format!("={name}").into()
}

/// The session's first window (the one `lanes up` fills).
fn window(session: &str) -> OsString {
    format!("={session}:").into()
}

fn describe(args: &[OsString]) -> String {
    let mut s = String::from("tmux");
    for a in args.iter().take(8) {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    if args.len() > 8 {
        s.push_str(" ...");
    }
    s
}

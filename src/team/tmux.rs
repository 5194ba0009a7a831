//! tmux through its command-line client: the only place lanes starts tmux.
//!
//! Every command targets a session by its exact name (`=NAME`: a bare name would also match
//! a longer session name by prefix). tmux finds its server as it always does: `$TMUX` inside
//! tmux, else the default socket under `$TMUX_TMPDIR` (tests point that at a private folder).
//! Pane commands are passed as several arguments, which tmux runs directly, without the
//! user's shell. Requires tmux 3.2 or later (`new-session -e`, pane options).
//!
//! tmux reads its own command line too, so every argument is escaped where it ends in `;`
//! (which would end the command there: an agent argument `fix it;`, an environment value, a
//! folder `app;`), and every value tmux expands as a format (a start directory, a session name,
//! a pane title) has each `#` doubled: a `#(...)` in a role's or a folder's name would
//! otherwise run as a shell command in the tmux server.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
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
        self.output(&[vec!["-V".into()]])
    }

    /// True when a session called exactly `name` exists (false also when no server runs).
    pub fn has_session(&self, name: &str) -> Result<bool, TmuxError> {
        match self.output(&[vec!["has-session".into(), "-t".into(), exact(name)]]) {
            Ok(_) => Ok(true),
            Err(TmuxError::Failed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The server's global environment (`show-environment -g`), which every new pane starts
    /// from; `None` when no server runs (the first new session starts one with the caller's
    /// own environment). Variables marked removed (`-NAME`) are left out.
    pub fn global_environment(&self) -> Result<Option<Vec<(String, String)>>, TmuxError> {
        match self.output(&[vec!["show-environment".into(), "-g".into()]]) {
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
        let mut new: Vec<OsString> = vec![
            "new-session".into(),
            "-d".into(),
            "-P".into(),
            "-F".into(),
            "#{pane_id}".into(),
            "-s".into(),
            literal(name.as_ref()),
            "-n".into(),
            "lanes".into(),
            // A detached session's size until a client attaches: room for several panes.
            "-x".into(),
            "200".into(),
            "-y".into(),
            "60".into(),
        ];
        spawn_args(&mut new, first);
        let set = |option: &str, value: &str| -> Vec<OsString> {
            ["set-option", "-w", "-t"]
                .map(OsString::from)
                .into_iter()
                .chain([window(name), option.into(), value.into()])
                .collect()
        };
        // One tmux command list: the option is set before the server looks at the pane's
        // program again, even when it exits at once.
        self.output(&[
            new,
            set("remain-on-exit", "on"),
            set("pane-border-status", "top"),
            set(
                "pane-border-format",
                " #{?@lanes_role,#{@lanes_role},#{pane_title}} ",
            ),
        ])
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
        let id = self.output(&[args])?;
        self.output(&[vec![
            "select-layout".into(),
            "-t".into(),
            window(session),
            "tiled".into(),
        ]])?;
        Ok(id)
    }

    /// Titles pane `id` with `title`, also kept in the pane option `@lanes_role`, which the
    /// border shows: programs may retitle a pane (Claude Code does), the option stays.
    pub fn title(&self, id: &str, title: &str) -> Result<(), TmuxError> {
        self.output(&[
            vec![
                "select-pane".into(),
                "-t".into(),
                id.into(),
                "-T".into(),
                // tmux expands a pane title as a format; the option's value it keeps as is.
                literal(title.as_ref()),
            ],
            vec![
                "set-option".into(),
                "-p".into(),
                "-t".into(),
                id.into(),
                "@lanes_role".into(),
                title.into(),
            ],
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
            .arg(arg(exact(session)))
            .status()
            .map_err(spawn_error)
    }

    /// Kills the session; false when there was none.
    pub fn kill_session(&self, name: &str) -> Result<bool, TmuxError> {
        if !self.has_session(name)? {
            return Ok(false);
        }
        self.output(&[vec!["kill-session".into(), "-t".into(), exact(name)]])?;
        Ok(true)
    }

    /// Runs one tmux command line of `commands` (`tmux C1 ; C2 ...`, each argument passed
    /// through [`arg`]) and returns its stdout, trimmed.
    fn output(&self, commands: &[Vec<OsString>]) -> Result<String, TmuxError> {
        let mut args: Vec<OsString> = Vec::new();
        for (i, command) in commands.iter().enumerate() {
            if i > 0 {
                args.push(";".into());
            }
            args.extend(command.iter().cloned().map(arg));
        }
        let out = Command::new("tmux")
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(spawn_error)?;
        if !out.status.success() {
            return Err(TmuxError::Failed {
                command: describe(&args),
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
    // tmux expands the start directory as a format.
    args.push(literal(s.dir.as_os_str()));
    for (k, v) in s.env {
        let mut kv = OsString::from(format!("{k}="));
        kv.push(v);
        args.push("-e".into());
        args.push(kv);
    }
    args.extend(s.argv.iter().map(OsString::from));
}

/// `a` as one argument of a tmux command line, whatever it ends with: tmux takes a final `;`
/// as the end of a command, and a final `\;` as a `;` kept in the argument.
fn arg(a: OsString) -> OsString {
    let mut bytes = a.into_vec();
    if bytes.last() == Some(&b';') {
        bytes.insert(bytes.len() - 1, b'\\');
    }
    OsString::from_vec(bytes)
}

/// `s` as a format tmux expands to `s` itself: each `#` written `##`, so no `#{...}` or
/// `#(command)` in it is expanded (or run).
fn literal(s: &OsStr) -> OsString {
    let mut out = Vec::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b == b'#' {
            out.push(b'#');
        }
        out.push(b);
    }
    OsString::from_vec(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_argument_ending_in_a_semicolon_stays_one_argument() {
        assert_eq!(arg("fix it;".into()), r"fix it\;");
        // tmux turns a final `\;` into `;`, so the backslash before it is kept.
        assert_eq!(arg(r"a\;".into()), r"a\\;");
        assert_eq!(arg(";".into()), r"\;");
        assert_eq!(arg("a;b".into()), "a;b");
        assert_eq!(arg("".into()), "");
    }

    #[test]
    fn formats_in_names_and_folders_stay_text() {
        assert_eq!(
            literal(OsStr::new("/src/C#/x#(touch y)#{pane_id}")),
            "/src/C##/x##(touch y)##{pane_id}"
        );
        let mut args = Vec::new();
        let env = [("V".to_string(), OsString::from("#{x};"))];
        let argv = ["lanes".to_string(), "run".into(), "r#(id)".into()];
        spawn_args(
            &mut args,
            &Spawn {
                dir: Path::new("/w/a#b"),
                argv: &argv,
                env: &env,
            },
        );
        // Only the start directory is a format; `-e` values and the program's arguments are not.
        assert_eq!(
            args,
            ["-c", "/w/a##b", "-e", "V=#{x};", "lanes", "run", "r#(id)"]
        );
    }
}

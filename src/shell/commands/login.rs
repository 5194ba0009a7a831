//! Programs that start a shell of their own when given no command to run (`sudo -s`, `su`,
//! `chroot DIR`, `unshare -r`, `screen`, `tmux`): for the write_stdin check in
//! [`super::interactive`], they take typed commands as `bash` alone does, though no shell's
//! name is in the command.

use super::args::Opts;
use super::wrappers::{SUDO_LONG_VALUED, SUDO_SHORT_VALUED};
use crate::shell::expand::Val;

/// True when `name` with the arguments `rest` starts an interactive shell (or attaches the
/// terminal to one), so what is typed later runs there.
pub(super) fn starts_a_shell(name: &str, rest: &[Val]) -> bool {
    let known = |names: &[&str]| {
        rest.iter()
            .any(|a| a.known().is_some_and(|t| names.contains(&t)))
    };
    match name {
        // `sudo -s`, `sudo -iu root`: a shell when no command follows the options.
        "sudo" | "doas" => {
            let o = Opts::leading(rest, SUDO_SHORT_VALUED, SUDO_LONG_VALUED);
            o.operands.is_empty() && o.has(&["-s", "-i", "--shell", "--login"])
        }
        // `su [-] [USER]`: a shell unless `-c` gives the command.
        "su" | "runuser" => !rest.iter().any(|a| {
            a.known().is_some_and(|t| {
                t == "-c" || t.starts_with("--command") || t.starts_with("--session-command")
            })
        }),
        // `chroot DIR` runs `$SHELL -i`; `chroot DIR CMD` runs CMD.
        "chroot" => {
            Opts::leading(rest, "", &["--userspec", "--groups"])
                .operands
                .len()
                <= 1
        }
        // With no command they run `$SHELL`.
        "unshare" => Opts::leading(rest, "SGRw", &["--setuid", "--setgid", "--root", "--wd"])
            .operands
            .is_empty(),
        "nsenter" => Opts::leading(rest, "tSGrw", &["--target", "--setuid", "--setgid"])
            .operands
            .is_empty(),
        // A new session in the foreground, or attaching to one, puts a shell on the terminal.
        "screen" => {
            let queries = [
                "-ls", "-list", "-wipe", "-v", "-version", "-h", "-help", "-X", "-Q",
            ];
            !known(&queries) && Opts::leading(rest, "SdmpTeh", &[]).operands.is_empty()
        }
        "tmux" | "byobu" => {
            let o = Opts::leading(rest, "cCfLST", &[]);
            match o.operands.first().map(Val::known) {
                None => true,
                Some(Some("new" | "new-session" | "attach" | "attach-session" | "a" | "at")) => {
                    !known(&["-d"])
                }
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::commands::args::lit;

    fn starts(words: &[&str]) -> bool {
        let rest: Vec<Val> = words[1..].iter().map(|w| lit(w)).collect();
        starts_a_shell(words[0], &rest)
    }

    #[test]
    fn a_shell_with_no_command() {
        for c in [
            &["sudo", "-s"][..],
            &["sudo", "-iu", "root"],
            &["sudo", "-u", "root", "-i"],
            &["su"],
            &["su", "-", "root"],
            &["chroot", "/srv/root"],
            &["unshare", "-r"],
            &["nsenter", "-t", "1", "-m"],
            &["screen"],
            &["screen", "-S", "work"],
            &["tmux"],
            &["tmux", "new", "-s", "x"],
            &["tmux", "attach"],
        ] {
            assert!(starts(c), "{c:?}");
        }
        for c in [
            &["sudo", "-u", "root", "ls"][..],
            &["sudo", "-s", "ls"],
            &["su", "-c", "ls", "root"],
            &["chroot", "/srv/root", "ls"],
            &["unshare", "-r", "id"],
            &["screen", "-ls"],
            &["screen", "-dmS", "x", "make"],
            &["tmux", "ls"],
            &["tmux", "new-session", "-d", "-s", "x"],
            &["tmux", "kill-server"],
        ] {
            assert!(!starts(c), "{c:?}");
        }
    }
}

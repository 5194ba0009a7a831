//! The git pre-commit hook that runs `lanes check`, chained after the user's own hook.
//!
//! The hooks folder comes from git itself (`git rev-parse --git-path hooks`), which honours
//! `core.hooksPath` and linked worktrees. A hook already there that is not lanes' own is
//! moved to [`CHAINED`] and run first by lanes' hook, so it keeps working; `lanes uninstall`
//! moves it back. [`install`] and [`uninstall`] are pure: they say what to write.
//!
//! The hooks folder and the work tree's top are asked of git through `crate::git`.

/// The hook's file name.
pub const HOOK: &str = "pre-commit";
/// Where the user's previous hook is kept; lanes' hook runs it first.
pub const CHAINED: &str = "pre-commit.lanes-chained";
/// The line that marks a hook as lanes' own.
pub const MARKER: &str = "# lanes:pre-commit";

/// A file's bytes and, on Unix, its permission bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    /// The content.
    pub bytes: Vec<u8>,
    /// Permission bits (`0o755`); `None` where the platform has none.
    pub mode: Option<u32>,
}

/// What to do with the two hook files: `None` leaves a file as it is, `Some(None)` deletes
/// it, `Some(Some(state))` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HookWrites {
    /// The user's hook, moved aside (written before [`HookWrites::hook`]).
    pub chained: Option<Option<FileState>>,
    /// The `pre-commit` file.
    pub hook: Option<Option<FileState>>,
}

/// The hook script running `command check`. `command` is what `lanes init` registered for
/// Claude Code too (`lanes`, or an absolute path).
pub fn script(command: &str) -> String {
    let quoted = format!("'{}'", command.replace('\'', "'\\''"));
    format!(
        r#"#!/bin/sh
{MARKER} (installed by `lanes init`; `lanes uninstall` removes it)
# Refuses a commit that crosses lanes: `lanes check` judges the staged changes against
# lanes.toml (exit 0: all in lane; 1: out of lane; 2: error). A hook that was here before
# lanes is kept as {CHAINED} and runs first; if it fails, the commit stops there.
chained="$(dirname "$0")/{CHAINED}"
if [ -x "$chained" ]; then
	"$chained" "$@" || exit $?
fi
lanes={quoted}
if ! command -v "$lanes" >/dev/null 2>&1; then
	echo "lanes pre-commit hook: cannot run $lanes, so the commit is refused. Put lanes on PATH and run 'lanes init' again, or remove this hook with 'lanes uninstall'." >&2
	exit 1
fi
exec "$lanes" check
"#
    )
}

/// True when `bytes` is a hook lanes wrote.
pub fn is_ours(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes)
        .lines()
        .take(3)
        .any(|l| l.starts_with(MARKER))
}

/// What `lanes init` writes, given the current `hook` and `chained` files and the wanted
/// `script`. Errors when a foreign hook would have to displace an existing [`CHAINED`] file.
pub fn install(
    hook: Option<&FileState>,
    chained: Option<&FileState>,
    script: &str,
) -> Result<HookWrites, String> {
    let ours = FileState {
        bytes: script.as_bytes().to_vec(),
        mode: Some(0o755),
    };
    match hook {
        None => Ok(HookWrites { chained: None, hook: Some(Some(ours)) }),
        Some(h) if is_ours(&h.bytes) => {
            let same = h.bytes == ours.bytes && h.mode.is_none_or(|m| m & 0o111 != 0);
            Ok(HookWrites { chained: None, hook: (!same).then_some(Some(ours)) })
        }
        Some(_) if chained.is_some() => Err(format!(
            "{HOOK} is not lanes' hook, and {CHAINED} (a hook lanes chained earlier) exists too; \
             lanes will not overwrite either. Merge them by hand, or move one away, and run lanes init again"
        )),
        Some(h) => Ok(HookWrites { chained: Some(Some(h.clone())), hook: Some(Some(ours)) }),
    }
}

/// What `lanes uninstall` writes: lanes' hook goes, and the chained hook (if any) is moved
/// back. A `pre-commit` that is not lanes' own is left alone.
pub fn uninstall(hook: Option<&FileState>, chained: Option<&FileState>) -> HookWrites {
    match hook {
        Some(h) if is_ours(&h.bytes) => match chained {
            Some(c) => HookWrites {
                chained: Some(None),
                hook: Some(Some(c.clone())),
            },
            None => HookWrites {
                chained: None,
                hook: Some(None),
            },
        },
        _ => HookWrites::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(s: &str, mode: u32) -> FileState {
        FileState {
            bytes: s.as_bytes().to_vec(),
            mode: Some(mode),
        }
    }

    #[test]
    fn script_quotes_the_command_and_is_recognised() {
        let s = script("/opt/it's/lanes");
        assert!(s.starts_with("#!/bin/sh\n# lanes:pre-commit"));
        assert!(s.contains("lanes='/opt/it'\\''s/lanes'\n"));
        assert!(s.ends_with("exec \"$lanes\" check\n"));
        assert!(is_ours(s.as_bytes()));
        assert!(!is_ours(b"#!/bin/sh\nnpm test\n"));
    }

    #[test]
    fn fresh_install_writes_only_the_hook() {
        let w = install(None, None, "S").unwrap();
        assert_eq!(
            w,
            HookWrites {
                chained: None,
                hook: Some(Some(state("S", 0o755)))
            }
        );
    }

    #[test]
    fn a_user_hook_is_chained_with_its_mode_and_restored_by_uninstall() {
        let user = state("#!/bin/sh\nnpm test\n", 0o750);
        let ours = script("lanes");
        let w = install(Some(&user), None, &ours).unwrap();
        assert_eq!(w.chained, Some(Some(user.clone())));
        assert_eq!(w.hook, Some(Some(state(&ours, 0o755))));
        // After install, the hook is ours and the user's is chained; install again is a no-op.
        let installed = state(&ours, 0o755);
        assert_eq!(
            install(Some(&installed), Some(&user), &ours).unwrap(),
            HookWrites::default()
        );
        let u = uninstall(Some(&installed), Some(&user));
        assert_eq!(
            u,
            HookWrites {
                chained: Some(None),
                hook: Some(Some(user))
            }
        );
    }

    #[test]
    fn a_changed_command_updates_our_hook_and_leaves_the_chain() {
        let old = state(&script("/old/lanes"), 0o755);
        let w = install(Some(&old), Some(&state("u", 0o755)), &script("lanes")).unwrap();
        assert_eq!(w.chained, None);
        assert_eq!(w.hook, Some(Some(state(&script("lanes"), 0o755))));
        let not_exec = state(&script("lanes"), 0o644);
        assert!(
            install(Some(&not_exec), None, &script("lanes"))
                .unwrap()
                .hook
                .is_some(),
            "mode repaired"
        );
    }

    #[test]
    fn a_foreign_hook_with_an_existing_chain_is_an_error_and_uninstall_leaves_foreign_hooks() {
        let foreign = state("#!/bin/sh\nother\n", 0o755);
        let e = install(Some(&foreign), Some(&state("u", 0o755)), "S").unwrap_err();
        assert!(
            e.starts_with("pre-commit is not lanes' hook, and pre-commit.lanes-chained"),
            "{e}"
        );
        assert_eq!(uninstall(Some(&foreign), None), HookWrites::default());
        assert_eq!(uninstall(None, Some(&foreign)), HookWrites::default());
        assert_eq!(
            uninstall(Some(&state(&script("x"), 0o755)), None),
            HookWrites {
                chained: None,
                hook: Some(None)
            }
        );
    }
}

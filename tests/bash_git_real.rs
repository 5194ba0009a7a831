//! The git rows of the Bash analysis checked against real git: each command runs in a scratch
//! repository where every tracked file has a local change (so reverts show) and the
//! pre-commit hook fails. Every file the command changed must lie within what lanes reports
//! (a path, a subtree, an unknown path or a repo-wide change), and a commit that got past the
//! failing hook must be reported as tamper. This is the proof that the models follow git's
//! own rules (abbreviations, pathspec magic, moved worktrees, patch headers, aliases), not a
//! list of spellings.

use lanes::shell::{analyze, Context, Found, Target};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const FILES: &[(&str, &str)] = &[
    ("src/main.rs", "fn main() {}\n"),
    ("src/lib.rs", "lib\n"),
    ("docs/a.md", "a\n"),
    ("docs/guide.md", "g\n"),
    ("tests/t.rs", "t\n"),
    ("README.md", "r\n"),
];

const FIX: &str = "--- a/docs/a.md\n+++ b/docs/a.md\n@@ -1,2 +1,2 @@\n a\n-X\n+Y\n";

/// A scratch repository: committed files, each with a local change, a failing pre-commit
/// hook, `fix.diff` (patching docs/a.md) and `list.txt` untracked.
struct Scratch {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("proj");
        let home = base.join("home");
        std::fs::create_dir_all(&home).unwrap();
        for (f, text) in FILES {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let s = Scratch {
            _dir: dir,
            root,
            home,
        };
        s.git(&["init", "-q", "-b", "main"]);
        s.git(&["add", "."]);
        s.git(&["commit", "-q", "-m", "init"]);
        for (f, text) in FILES {
            std::fs::write(s.root.join(f), format!("{text}X\n")).unwrap();
        }
        let hook = s.root.join(".git/hooks/pre-commit");
        std::fs::write(&hook, "#!/bin/sh\nexit 1\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(s.root.join("fix.diff"), FIX).unwrap();
        std::fs::write(s.root.join("list.txt"), "docs/a.md\n").unwrap();
        s
    }

    fn env(&self, c: &mut Command) {
        for var in [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_INDEX_FILE",
            "GIT_COMMON_DIR",
            "GIT_CONFIG_GLOBAL",
            "GIT_CONFIG_COUNT",
            "GIT_CONFIG_PARAMETERS",
            "GIT_EDITOR",
            "GIT_PAGER",
            "EDITOR",
            "VISUAL",
            "PAGER",
            "XDG_CONFIG_HOME",
        ] {
            c.env_remove(var);
        }
        c.env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env("GIT_TERMINAL_PROMPT", "0")
            .current_dir(&self.root);
    }

    fn git(&self, args: &[&str]) {
        let mut c = Command::new("git");
        self.env(&mut c);
        let out = c.args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }

    fn head(&self) -> String {
        let mut c = Command::new("git");
        self.env(&mut c);
        let out = c.args(["rev-parse", "HEAD"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Every file below the root but `.git`, with its content.
    fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.file_name().is_some_and(|n| n == ".git") && d == self.root {
                    continue;
                }
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.insert(p.clone(), std::fs::read(&p).unwrap_or_default());
                }
            }
        }
        out
    }
}

/// True when a finding accounts for a change of `path`.
fn covers(f: &Found, path: &Path) -> bool {
    match f {
        Found::Write { target, .. } => match target {
            Target::Path(p) => lanes::path::normalize_lexically(p) == path,
            Target::Subtree(p) => path.starts_with(lanes::path::normalize_lexically(p)),
            Target::Unknown { .. } => true,
        },
        Found::RepoWide { .. } | Found::Unparseable { .. } => true,
        Found::Opaque { .. } | Found::Tamper { .. } => false,
    }
}

/// Commands run by real git (the last two are controls: the hook runs and fails).
const CASES: &[&str] = &[
    // Pathspec magic from src/.
    "cd src && git checkout -- ':(top)docs'",
    "cd src && git checkout -- ':/docs/a.md'",
    "cd src && git checkout -- ':(top,glob)docs/*.md'",
    "cd src && git checkout -- ':(glob)../docs/**'",
    "cd src && git checkout -- ':(icase)../DOCS'",
    "cd src && git checkout -- ':!main.rs'",
    "cd src && git checkout -- ':(exclude)lib.rs'",
    "cd src && git checkout -- ':^lib.rs' ':/tests'",
    "cd src && git rm -rq -- ':/docs'",
    "cd src && git checkout ':(top)docs'",
    "git checkout -- 'd*'",
    "git checkout -- '*.md'",
    "cd src && git stash push -q -- ':(top)docs'",
    "cd src && git restore ':(top)docs/guide.md'",
    // Moved worktrees.
    "git --work-tree=docs checkout -- .",
    "cd src && git --work-tree=../docs checkout HEAD -- .",
    "GIT_WORK_TREE=docs git checkout -- .",
    "git -C src -C ../docs checkout -- a.md",
    "git -C src -C .. restore docs",
    "cd src && GIT_DIR=../.git git checkout -- .",
    "cd src && GIT_DIR=../.git GIT_WORK_TREE=.. git checkout -- ../docs",
    "git --git-dir=.git --work-tree=docs reset -q --hard",
    "export GIT_WORK_TREE=docs; git checkout -- .",
    "env GIT_WORK_TREE=docs git checkout -- .",
    "git --work-tree docs stash -q",
    "git -C docs restore .",
    // Patches.
    "git apply fix.diff",
    "git apply --include='src/*' fix.diff",
    "git apply --include='{docs,x}/*' fix.diff",
    "git apply --reject fix.diff",
    "git apply <<'EOF'\ndiff --git a/src/lib.rs b/docs/lib.rs\nsimilarity index 100%\nrename from src/lib.rs\nrename to docs/lib.rs\nEOF",
    "git apply <<'EOF'\ndiff --git a/docs/new.md b/docs/new.md\nnew file mode 100644\nindex 0000000..e69de29\nEOF",
    "git apply <<'EOF'\ndiff --git a/docs/a.md b/docs/a.md\nold mode 100644\nnew mode 100755\nEOF",
    "git apply --directory=docs <<'EOF'\ndiff --git a/new.md b/new.md\nnew file mode 100644\nindex 0000000..e69de29\nEOF",
    // Reverts and the index.
    "git checkout-index -a -f",
    "git checkout-index --prefix=docs/ -a",
    "cd src && git checkout-index -f ../docs/a.md",
    "git read-tree -u --reset HEAD",
    "cd src && git read-tree --prefix=docs/x/ -u HEAD",
    "git checkout -f",
    "git checkout --forc main",
    "git switch --disc main",
    "git switch -q --orphan empty",
    "git restore --sou=HEAD docs/a.md",
    "git restore --wor --stag docs/a.md",
    "git reset --har",
    "git stash save -q wip",
    "git stash push -q -m wip docs",
    "git clean -d --forc",
    "git worktree add -q docs/wt",
    // Writes through options.
    "git log -p --output=docs/log.txt",
    "git show --output docs/x.txt HEAD",
    "git diff --output=docs/p.diff",
    "git format-patch -q -o docs/patches HEAD",
    "cd docs && git format-patch -q -1",
    "git config --file docs/x.cfg a.b c",
    "git config --fil docs/y.cfg a.b c",
    "git bundle create -q docs/x.bundle --all",
    "git archive --output docs/x.tar HEAD",
    "git merge-file docs/a.md docs/guide.md docs/a.md",
    "GIT_TRACE=$PWD/docs/trace.log git status",
    "git interpret-trailers --in-place --trailer x=y docs/a.md",
    // Configuration that runs commands.
    "git -c core.fsmonitor='rm -rf docs' status",
    "git -c alias.st='!rm -rf docs' st",
    "git -c alias.co='!f() { echo x > docs/a.md; }; f' co",
    "git -c filter.x.clean='touch docs/filtered' add -A",
    "git -c diff.external='cp README.md docs/a.md' diff",
    "GIT_EXTERNAL_DIFF='rm -f docs/guide.md' git diff",
    "git -c core.editor='sed -i s/a/b/ docs/a.md' commit --allow-empty -q --no-verify",
    "git -c alias.x='-C docs checkout -- .' x",
    "git bisect run rm -rf docs || true",
    "rm docs/a.md && git checkout-index -a",
    "git -C docs clean -fdq ..",
    "git restore --source=HEAD --staged --worktree :/",
    "git read-tree -mu HEAD",
    "git mv docs/a.md src/a.md",
    "git apply --index fix.diff",
    "cd src && git apply --unsafe-paths -p0 <<'EOF'\n--- ../docs/a.md\n+++ ../docs/a.md\n@@ -1,2 +1,2 @@\n a\n-X\n+Y\nEOF",
    "git --glob-pathspecs checkout -- 'docs/*'",
    "GIT_ICASE_PATHSPECS=1 git checkout -- DOCS",
    "git -c alias.r='restore --source=HEAD -- :/docs' r",
    "git rm -q --pathspec-from-file=list.txt",
    "git checkout --pathspec-from-file=list.txt",
    "git stash -q -- docs",
    "git stash -kq",
    "git checkout -q main -- .",
    // Skipping the failing pre-commit hook.
    "git commit -qam x --no-verif",
    "git commit -qam x --no-veri",
    "git commit -qanm x",
    "git commit -qam x --no-ver",
    "HOOKS=/nonexistent git --config-env=core.hooksPath=HOOKS commit -qam x",
    "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0=/nonexistent git commit -qam x",
    "GIT_CONFIG_PARAMETERS=\"'core.hooksPath'='/nonexistent'\" git commit -qam x",
    "git -c alias.c='commit --no-verify' c -qam x",
    "git -c alias.c='-c core.hooksPath=/nonexistent commit' c -qam x",
    "git -c alias.c=commit -c alias.d='c --no-veri' d -qam x",
    "git -c alias.c='!git commit --no-verify' c -qam x",
    "printf '[core]\\n\\thooksPath = /nonexistent\\n' > src/inc && git -c include.path=$PWD/src/inc commit -qam x",
    "git -c Core.HooksPath= commit -qam x",
    "echo --no-verify | xargs git commit -qam x",
    "printf '[core]\\n\\thooksPath = /nonexistent\\n' > ~/.gitconfig && git commit -qam x",
    "git commit -qam x",
    "git commit -qam -n",
];

#[test]
fn what_real_git_changes_is_what_lanes_reports() {
    let version = Command::new("git").arg("--version").output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "git is needed for this test"
    );
    let mut failures = Vec::new();
    for cmd in CASES {
        let s = Scratch::new();
        let before = s.files();
        let head = s.head();
        let mut c = Command::new("bash");
        s.env(&mut c);
        let out = c.arg("-c").arg(cmd).output().unwrap();
        let after = s.files();
        let committed = s.head() != head;
        let mut changed: Vec<&PathBuf> = before
            .iter()
            .filter(|(p, v)| after.get(*p) != Some(v))
            .map(|(p, _)| p)
            .collect();
        changed.extend(after.keys().filter(|p| !before.contains_key(*p)));
        let cx = Context {
            cwd: s.root.clone(),
            home: Some(s.home.clone()),
            live_stdin: false,
        };
        let findings: Vec<Found> = analyze(cmd, &cx).into_iter().map(|f| f.effect).collect();
        for p in &changed {
            if !findings.iter().any(|f| covers(f, p)) {
                failures.push(format!(
                    "`{cmd}` changed {} which lanes does not report: {findings:?}\n  git: {}",
                    p.strip_prefix(&s.root).unwrap_or(p).display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
        let tamper = findings.iter().any(|f| matches!(f, Found::Tamper { .. }));
        // Only `git commit` runs the pre-commit hook: a commit that got past it skipped it.
        if committed && cmd.contains("commit") && !tamper {
            failures.push(format!(
                "`{cmd}` committed past the failing pre-commit hook, not reported as tamper: {findings:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

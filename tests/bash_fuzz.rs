//! Fuzzing the Bash path with proptest: random commands built from shell-ish fragments
//! (operators, quotes, substitutions, here-doc tags, keywords, CR, TAB, non-ASCII) and random
//! strings. The pre-screened text is parsed and walked on the test thread itself, so a panic
//! or runaway in the parser or the walker fails the test instead of being absorbed by the
//! worker thread. More cases: `PROPTEST_CASES=200000 cargo test --release --test bash_fuzz`.

use lanes::shell::{self, Context};
use proptest::prelude::*;
use std::path::PathBuf;

const FRAGMENTS: &[&str] = &[
    " ",
    " ",
    "\n",
    "\t",
    "\r",
    ";",
    "&&",
    "||",
    "|",
    "|&",
    "&",
    "(",
    ")",
    "{",
    "}",
    "$(",
    "`",
    "${",
    "$((",
    "))",
    "<<",
    "<<-",
    "<<<",
    "EOF",
    "'EOF'",
    ">",
    ">>",
    ">|",
    "&>",
    ">&",
    "2>&1",
    "<>",
    "<(",
    ">(",
    "'",
    "\"",
    "\\",
    "$'\\x2e'",
    "if",
    "then",
    "fi",
    "for",
    "in",
    "do",
    "done",
    "case",
    "esac",
    ";;",
    "while",
    "function",
    "f()",
    "cd",
    "rm -rf",
    "echo",
    "cat",
    "tee",
    "sed -i",
    "cp",
    "mv",
    "git",
    "bash -c",
    "eval",
    "xargs",
    "find",
    "research/x",
    "src/a",
    "../up",
    "~/h",
    "*",
    "{a,b}",
    "{1..9}",
    "x=1",
    "$x",
    "é",
    "日本",
    "#",
    "[[",
    "]]",
    "exec",
    "env",
    "sudo",
    "ln -s",
    "tar -xf",
    "-C",
    "--",
    "-o",
    "==",
    "!",
    "\u{0}",
    // Words built from data, kept code, links, descriptors, lookup.
    "a=(rm -rf x)",
    "\"${a[@]}\"",
    "${a[*]}",
    "${!n}",
    "${x//?/a}",
    "${x##*/}",
    "${x:1:2}",
    "${#x}",
    "${x:=y}",
    "set --",
    "\"$@\"",
    "$1",
    "shift",
    "IFS=/",
    "local",
    "declare -n",
    "read x",
    "printf -v x %s",
    "trap",
    "alias x=",
    "shopt -s expand_aliases",
    "PATH=src:$PATH",
    "hash -p /bin/rm",
    "exec 3<",
    "/dev/fd/3",
    "/dev/stdout",
    "/proc/self/fd/3",
    "{fd}<",
    "ln -sr",
    "cp -al",
    "sed 'e",
    "awk '{print > f}'",
    "vim -c 'w x'",
    "ed -s",
    "PROMPT_COMMAND=",
    "while true; do",
];

fn cx() -> Context {
    Context {
        cwd: PathBuf::from("/nonexistent/proj"),
        home: Some(PathBuf::from("/nonexistent/home")),
        live_stdin: false,
    }
}

/// The analysis minus its worker thread: pre-screen, parse, walk.
fn analyse_here(cmd: &str) -> usize {
    match shell::prescreen::check(cmd) {
        Err(_) => shell::lexical::mentions(cmd, &cx().cwd, None).len(),
        Ok(()) => match shell::parse::parse(cmd) {
            Ok(script) => shell::analyze_parsed(&script, &cx()).len(),
            Err(_) => 0,
        },
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fragments_never_panic_or_explode(parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 1..30)) {
        let cmd: String = parts.concat();
        let findings = analyse_here(&cmd);
        prop_assert!(findings < 1000, "{cmd:?}: {findings} findings");
    }

    #[test]
    fn any_text_gets_a_bounded_answer(cmd in "\\PC{0,200}|[ -~\\t\\n\\r]{0,200}") {
        let findings = shell::analyze(&cmd, &cx());
        prop_assert!(findings.len() < 1000);
    }
}

#[test]
fn deep_and_wide_inputs_stay_bounded() {
    let cases = [
        format!("{}echo{}", "(".repeat(32), ")".repeat(32)),
        format!("{}x{}", "$(".repeat(32), ")".repeat(32)),
        "f() { f; f; }; f".to_string(),
        "f() { g; g; }; g() { h; h; }; h() { f; f; }; f".to_string(),
        format!("echo {}", "{a,b}".repeat(20)),
        "for a in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do for b in 1 2 3 4 5 6 7 8; do touch src/$a$b; done; done".to_string(),
        "cd a; cd b; cd c; cd d; cd e; cd f; cd g; cd h; cd i; cd j; touch x".to_string(),
        "echo x; ".repeat(5000),
        // Many variables, then many pipeline elements (each a copy of the state).
        format!("{}{}t", (0..5000).map(|i| format!("a{i}=1;")).collect::<String>(), "t|".repeat(8000)),
        format!("{}f199", (0..200).map(|i| format!("f{i}() {{ :; }};")).collect::<String>()),
        format!("{}echo > l99/x", (0..100).map(|i| format!("ln -s src l{i};")).collect::<String>()),
        format!("touch {}", "x{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p} ".repeat(1500)),
        // Loop rounds nested deep, aliases that double, kept code, links in a chain.
        format!("{} c=$c$c; {}", "while a; do ".repeat(30), "done; ".repeat(30)),
        format!("{}a0", (0..60).map(|i| format!("alias a{i}='a{} a{}';", i + 1, i + 1)).collect::<String>()),
        format!("{}true", (0..100).map(|i| format!("trap 'touch x{i}' EXIT;")).collect::<String>()),
        format!("{}echo > l0/x", (0..100).map(|i| format!("ln -s l{} l{i};", i + 1)).collect::<String>()),
        // Pattern operators on long values, many times over.
        format!("x={}; {}", "ab".repeat(128), "echo ${x//*a/b} ${x##*b} ".repeat(2000)),
        format!("IFS=:; x={}; {}", "a:".repeat(2000), "f $x; ".repeat(200)),
        // Scans that once restarted at every word or letter of their input.
        // (Under 16 KiB, so they are walked on the calling thread, without the parse deadline.)
        format!("awk 'BEGIN {{ {}1 }}' src/x", "a=".repeat(7_000)),
        format!("awk 'BEGIN {{ {}}}' src/x", "split ".repeat(2_500)),
        format!("git add -{} src/x", "v".repeat(15_000)),
        format!("tar x{} src/a.tar", "f".repeat(15_000)),
    ];
    for cmd in &cases {
        let n = shell::analyze(cmd, &cx()).len();
        assert!(n <= 600, "{} gave {n} findings", &cmd[..40.min(cmd.len())]);
    }
}

/// Commands up to 16 KiB are analysed on the hook's main thread (8 MiB stack): the deepest
/// and longest shapes the pre-screen lets through must fit in far less, here 1 MiB in a debug
/// build, so a stack overflow (an abort, which would fail open) cannot happen there.
#[test]
fn inline_sized_commands_fit_a_small_stack() {
    let n = 16 * 1024;
    let fill = |unit: &str| unit.repeat(n / unit.len());
    let cases = vec![
        fill("a; "),
        fill("a && "),
        fill("a | "),
        fill("x=$y "),
        fill("echo >f "),
        format!("{}x{}", "$(".repeat(32), ")".repeat(32)),
        format!("{}x{}", "(".repeat(32), ")".repeat(32)),
        format!("{}x{}", "{ ".repeat(32), "; }".repeat(32)),
        format!("{} :; {}", "if a; then ".repeat(32), "fi; ".repeat(32)),
        format!("{} :; {}", "while a; do ".repeat(32), "done; ".repeat(32)),
        format!("{}{}", "case x in a) ".repeat(32), ";; esac ".repeat(32)),
        format!("echo \"{}x{}\"", "$(echo \"".repeat(16), "\")".repeat(16)),
        format!("eval {}", "eval ".repeat(30)),
        format!("bash -c {}", "'".repeat(2)),
        fill("cat <<E\nx\nE\n"),
        fill("{a,b}"),
        format!("f() {{ {} }}; f", "f; ".repeat(1000)),
    ];
    let handle = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || {
            for c in &cases {
                let c = &c[..c.len().min(n)];
                let _ = shell::analyze(c, &cx());
            }
        })
        .unwrap();
    handle.join().expect("analysis fits in 1 MiB of stack");
}

#[test]
fn the_command_hash_table_is_bounded_and_says_so_when_full() {
    // Each `BASH_CMDS[x]=` / `hash -p` entry is kept for later lookups: a text that adds
    // thousands must not grow the table (and its scans) without bound, and must not pass as
    // fully seen once it overflows.
    let mut cmd = String::new();
    for i in 0..300 {
        cmd.push_str(&format!("BASH_CMDS[c{i}]=/bin/true; "));
    }
    cmd.push_str("ls");
    let findings = shell::analyze(&cmd, &cx());
    assert!(
        findings
            .iter()
            .any(|f| matches!(f.effect, shell::Found::Unparseable { .. })),
        "{findings:?}"
    );
}

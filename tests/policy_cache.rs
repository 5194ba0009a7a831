//! `lanes hook` with a large policy and its parsed-policy cache (`.lanes/cache/policy.bin`):
//! the cache never changes a decision, whatever state it is in.

mod support;

use serde_json::json;
use std::fs;
use support::Repo;

const CACHE: &str = ".lanes/cache/policy.bin";

/// A policy well over the cache threshold (16 KiB): `builder` and `researcher` as in the
/// other tests, then many teams of several patterns each.
fn large_policy() -> String {
    let mut out = String::from(
        "mode = \"enforce\"\n\n[roles.builder]\ndescription = \"Builds.\"\nwrite = [\"src/\", \"!src/generated/\"]\n\n\
         [roles.researcher]\nwrite = [\"research/\"]\nsignal = \"research/DONE.md\"\n\n",
    );
    for i in 0..260 {
        out.push_str(&format!(
            "[roles.t{i:03}]\nwrite = [\"area/t{i:03}/\", \"docs/t{i:03}/*.md\", \"**/t{i:03}.lock\", \"!area/t{i:03}/vendor/\"]\n\n"
        ));
    }
    out.push_str("[shared]\nwrite = [\"target/\"]\n\n[protected]\npaths = [\"contracts/\"]\n");
    assert!(out.len() > 20 * 1024, "{} bytes", out.len());
    out
}

/// Calls that reach each kind of decision: own lane, another role's lane (deny text naming
/// the owner), a negation, a `**` pattern, protected.
const CALLS: [(&str, &str); 8] = [
    ("builder", "src/main.rs"),
    ("builder", "research/notes.md"),
    ("builder", "area/t007/x.rs"),
    ("builder", "src/generated/x.rs"),
    ("t150", "area/t150/lib.rs"),
    ("t150", "docs/t150/a.md"),
    ("t150", "x/t003.lock"),
    ("researcher", "contracts/api.md"),
];

/// What the hook answers to `call`: (exit code, stdout).
fn answer(r: &Repo, (role, path): &(&str, &str)) -> (i32, String) {
    let out = r.hook().role(role).write(path).run();
    (out.code, out.stdout)
}

/// What the hook answers to each of [`CALLS`], for comparing runs.
fn answers(r: &Repo) -> Vec<(i32, String)> {
    CALLS.iter().map(|c| answer(r, c)).collect()
}

/// The answers with no cache present (the cache the runs write is removed again).
fn answers_without_cache(r: &Repo) -> Vec<(i32, String)> {
    let _ = fs::remove_dir_all(r.root.join(".lanes/cache"));
    let out = CALLS
        .iter()
        .map(|call| {
            let a = answer(r, call);
            fs::remove_dir_all(r.root.join(".lanes/cache")).unwrap();
            a
        })
        .collect();
    out
}

#[test]
fn a_large_policy_is_cached_and_the_cache_decides_the_same() {
    let r = Repo::new(&large_policy());
    let expected = answers_without_cache(&r);
    assert_eq!(expected[0], (0, String::new()), "builder in its lane");
    assert!(expected[1].1.contains("\"deny\""), "{:?}", expected[1]);
    assert!(expected[2].1.contains("role 't007'"), "{:?}", expected[2]);

    r.hook().role("builder").write("src/a.rs").run().allowed();
    let cache = fs::read(r.root.join(CACHE)).expect("the first run writes the cache");
    let written = fs::metadata(r.root.join(CACHE))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(answers(&r), expected, "decisions with the cache");
    let untracked = r.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(untracked.contains(".lanes/audit.jsonl"), "{untracked}");
    assert!(
        !untracked.contains("cache"),
        "git never lists the cache: {untracked}"
    );
    assert_eq!(
        fs::read(r.root.join(CACHE)).unwrap(),
        cache,
        "a hit leaves it as it is"
    );
    assert_eq!(
        fs::metadata(r.root.join(CACHE))
            .unwrap()
            .modified()
            .unwrap(),
        written
    );
}

#[test]
fn editing_the_policy_even_to_the_same_length_makes_the_hook_parse_again() {
    let policy = large_policy();
    let r = Repo::new(&policy);
    r.hook().role("builder").write("src/a.rs").run().allowed();
    let before = fs::read(r.root.join(CACHE)).unwrap();

    let edited = policy.replacen("\"src/\"", "\"srd/\"", 1);
    assert_eq!(edited.len(), policy.len());
    fs::write(r.root.join("lanes.toml"), &edited).unwrap();
    let reason = r.hook().role("builder").write("src/a.rs").run().denied();
    assert!(reason.contains("src/a.rs"), "{reason}");
    r.hook().role("builder").write("srd/a.rs").run().allowed();
    let after = fs::read(r.root.join(CACHE)).unwrap();
    assert_ne!(after, before, "the cache is rewritten for the new text");
    assert!(after.windows(edited.len()).any(|w| w == edited.as_bytes()));
}

#[test]
fn a_damaged_or_foreign_cache_is_ignored() {
    let policy = large_policy();
    let r = Repo::new(&policy);
    let expected = answers_without_cache(&r);
    r.hook().role("builder").write("src/a.rs").run().allowed();
    let good = fs::read(r.root.join(CACHE)).unwrap();

    // A cache made from a policy where the builder also owns research/ and area/t007/.
    let wider = policy.replacen(
        "\"src/\", \"!src/generated/\"",
        "\"src/\", \"research/\", \"area/t007/\"",
        1,
    );
    fs::write(r.root.join("lanes.toml"), &wider).unwrap();
    r.hook()
        .role("builder")
        .write("research/x.md")
        .run()
        .allowed();
    let foreign = fs::read(r.root.join(CACHE)).unwrap();
    fs::write(r.root.join("lanes.toml"), &policy).unwrap();

    let version = env!("CARGO_PKG_VERSION").as_bytes();
    let at = good
        .windows(version.len())
        .position(|w| w == version)
        .unwrap();
    let mut other_version = good.clone();
    other_version[at] = b'9';
    let mut flipped = good.clone();
    for i in (good.len() - 2000..good.len()).step_by(7) {
        flipped[i] ^= 0x5a;
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("foreign source", foreign),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("truncated at the end", good[..good.len() - 1].to_vec()),
        ("another version", other_version),
        ("damaged lists", flipped),
        ("garbage", b"\x00garbage".repeat(4000)),
        ("empty", Vec::new()),
    ];
    for (what, bytes) in cases {
        fs::write(r.root.join(CACHE), &bytes).unwrap();
        // Each call finds the damaged file in place (a miss rewrites it).
        let got: Vec<_> = CALLS
            .iter()
            .map(|call| {
                fs::write(r.root.join(CACHE), &bytes).unwrap();
                answer(&r, call)
            })
            .collect();
        assert_eq!(got, expected, "{what}");
    }
}

#[test]
fn an_unwritable_cache_folder_does_not_change_the_decision() {
    let r = Repo::new(&large_policy());
    let expected = answers_without_cache(&r);
    // A file where the folder should be: the cache can be neither read nor written.
    fs::create_dir_all(r.root.join(".lanes")).unwrap();
    fs::write(r.root.join(".lanes/cache"), "not a folder").unwrap();
    assert_eq!(answers(&r), expected);
    assert!(r.root.join(".lanes/cache").is_file());
}

#[test]
fn an_invalid_policy_is_an_error_even_with_an_old_cache() {
    let policy = large_policy();
    let r = Repo::new(&policy);
    r.hook().role("builder").write("src/a.rs").run().allowed();
    assert!(r.root.join(CACHE).exists());
    let broken = policy.replacen("[shared]", "[shraed]", 1);
    fs::write(r.root.join("lanes.toml"), &broken).unwrap();
    let err = r.hook().role("builder").write("src/a.rs").run().blocked();
    assert!(err.contains("shraed"), "{err}");
    let cache = fs::read(r.root.join(CACHE)).unwrap();
    assert!(
        !cache.windows(broken.len()).any(|w| w == broken.as_bytes()),
        "no cache is written for a policy that does not parse"
    );
}

#[test]
fn a_small_policy_is_never_cached() {
    let r = Repo::new(
        "[roles.builder]\nwrite = [\"src/\"]\n[roles.researcher]\nwrite = [\"research/\"]\n",
    );
    r.hook().role("builder").write("src/a.rs").run().allowed();
    r.hook()
        .role("builder")
        .write("research/a.md")
        .run()
        .denied();
    assert!(r.root.join(".lanes/audit.jsonl").exists());
    assert!(!r.root.join(".lanes/cache").exists());
}

#[test]
fn no_role_may_write_the_cache_folder() {
    let r = Repo::new(&large_policy());
    r.hook().role("builder").write("src/a.rs").run().allowed();
    for tool in ["Write", "Edit"] {
        let reason = r
            .hook()
            .role("builder")
            .tool(
                tool,
                json!({"file_path": r.abs(CACHE), "content": "x", "old_string": "a", "new_string": "b"}),
            )
            .run()
            .denied();
        assert!(reason.contains(".lanes/"), "{tool}: {reason}");
    }
    let reason = r
        .hook()
        .role("builder")
        .tool(
            "Bash",
            json!({"command": "printf forged > .lanes/cache/policy.bin"}),
        )
        .run()
        .denied();
    assert!(reason.contains(".lanes/"), "{reason}");
}

#[test]
fn hooks_started_together_on_a_cold_cache_all_decide_the_same() {
    let r = Repo::new(&large_policy());
    let expected = answers_without_cache(&r);
    let got: Vec<Vec<(i32, String)>> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..6).map(|_| s.spawn(|| answers(&r))).collect();
        runs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for g in got {
        assert_eq!(g, expected);
    }
    let left: Vec<_> = fs::read_dir(r.root.join(".lanes/cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        left.iter().all(|n| n == "policy.bin" || n == ".gitignore"),
        "no temporary file is left behind: {left:?}"
    );
    assert_eq!(
        answers(&r),
        expected,
        "the cache they left decides the same"
    );
}

/// On a hit the policy text is not kept: an error found while deciding (a pattern that does
/// not compile, a signal file outside its lane) reads it back, and names the same line,
/// column and key as without the cache.
#[test]
fn errors_found_on_a_hit_name_the_same_place_as_without_the_cache() {
    let policy = large_policy().replacen(
        "[shared]",
        "[roles.odd]\ndescription = \"Odd.\"\nwrite = [\"odd/\", \"./caf\u{e9}/\"]\n\n\
         [roles.lost]\nwrite = [\"lost/\"]\nsignal = \"elsewhere/DONE.md\"\n\n[shared]",
        1,
    );
    let r = Repo::new(&policy);
    let calls = [("odd", "odd/a.rs"), ("lost", "lost/a.rs")];
    let cold: Vec<String> = calls
        .iter()
        .map(|(role, path)| {
            let _ = fs::remove_dir_all(r.root.join(".lanes/cache"));
            r.hook().role(role).write(path).run().blocked()
        })
        .collect();
    assert!(
        cold[0].contains("roles.odd.write: invalid pattern"),
        "{}",
        cold[0]
    );
    assert!(cold[1].contains("roles.lost.signal: signal"), "{}", cold[1]);
    // The line of `./café/` and its column in characters: the text read back is the same.
    let line = policy[..policy.find("\"./caf").unwrap()].lines().count();
    assert!(
        cold[0].contains(&format!("lanes.toml:{line}:18: ")),
        "{}",
        cold[0]
    );
    assert!(r.root.join(CACHE).exists());
    for ((role, path), cold) in calls.iter().zip(&cold) {
        let warm = r.hook().role(role).write(path).run().blocked();
        assert_eq!(&warm, cold, "{role} writing {path}");
    }
}

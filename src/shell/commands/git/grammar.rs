//! git's option grammar (its parse-options library), so a model sees what git sees:
//! bundled short options (`-nm msg`), `--name=value` and `--name value`, `--no-name`, and
//! unambiguous abbreviations of long names (`git commit --no-veri` is `--no-verify`). A model
//! that compared words with a list of spellings missed every abbreviation.
//!
//! Each subcommand's options are one table string, as git 2.47's `git SUB -h` prints them,
//! plus the hidden ones `git SUB --git-completion-helper-all` adds (they count for
//! ambiguity): `n|no-verify` a short and a long name, `message=` a value (attached or the next
//! word), `gpg-sign?` an optional value (attached only), `-C=` a short name alone. The
//! positive form of a `no-` option (`--verify`) is derived, as git derives it.

use crate::shell::expand::Val;

/// How an option takes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arg {
    None,
    Required,
    Optional,
}

/// One option of a table.
#[derive(Clone, Copy)]
struct Entry {
    /// The name a model asks for: the long name, or `-x` for a short option alone.
    name: &'static str,
    short: Option<char>,
    long: Option<&'static str>,
    arg: Arg,
}

fn entries(table: &'static str) -> impl Iterator<Item = Entry> {
    table.split_ascii_whitespace().map(|word| {
        let (word, arg) = match word.as_bytes().last() {
            Some(b'=') => (&word[..word.len() - 1], Arg::Required),
            Some(b'?') => (&word[..word.len() - 1], Arg::Optional),
            _ => (word, Arg::None),
        };
        match word.split_once('|') {
            Some((s, l)) => Entry {
                name: l,
                short: s.chars().next(),
                long: Some(l),
                arg,
            },
            None if word.starts_with('-') => Entry {
                name: word,
                short: word[1..].chars().next(),
                long: None,
                arg,
            },
            None => Entry {
                name: word,
                short: None,
                long: Some(word),
                arg,
            },
        }
    })
}

/// One option given.
#[derive(Debug, Clone)]
pub(super) struct Opt {
    /// What it is: one name, several when it abbreviates more than one option (git refuses
    /// it; lanes assumes each), none when the table does not know it.
    pub names: Vec<&'static str>,
    /// Given in its negated form (`--no-edit`, `--verify` for `no-verify`).
    pub unset: bool,
    /// Its value.
    pub value: Option<Val>,
}

/// A subcommand's words, read by its table.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    /// The options, in order.
    pub opts: Vec<Opt>,
    /// The operands, in order (options may come after operands, as git allows).
    pub operands: Vec<Val>,
    /// Index in `operands` of the first operand after `--`.
    pub dashdash: Option<usize>,
    /// A word whose value is unknown stood where an option may stand: it may be any option.
    pub unknown_option: bool,
}

impl Parsed {
    /// True when `name` is in effect: given unambiguously, and not negated by a later
    /// occurrence. For options that make a command do less (`--cached`, `--dry-run`).
    pub fn on(&self, name: &str) -> bool {
        let mut state = false;
        for o in &self.opts {
            if o.names.len() == 1 && o.names[0] == name {
                state = !o.unset;
            }
        }
        state
    }

    /// True when any option given may be `name`, set (an ambiguous abbreviation counts, and
    /// so does an unknown word). For options that make a command do more or skip a check.
    pub fn maybe(&self, name: &str) -> bool {
        self.unknown_option
            || self
                .opts
                .iter()
                .any(|o| !o.unset && o.names.contains(&name))
    }

    /// True when any option given may be `name`, set; unknown words do not count.
    pub fn given(&self, name: &str) -> bool {
        self.opts
            .iter()
            .any(|o| !o.unset && o.names.contains(&name))
    }

    /// The last value given to an option that may be `name`.
    pub fn last(&self, name: &str) -> Option<&Val> {
        self.values(name).into_iter().last()
    }

    /// The values given to options that may be `name`, in order.
    pub fn values(&self, name: &str) -> Vec<&Val> {
        self.opts
            .iter()
            .filter(|o| !o.unset && o.names.contains(&name))
            .filter_map(|o| o.value.as_ref())
            .collect()
    }
}

/// Reads `args` by `table`.
pub(super) fn parse(args: &[Val], table: &'static str) -> Parsed {
    let mut p = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if p.dashdash.is_some() {
            p.operands.push(a.clone());
            continue;
        }
        let (text, known) = match a {
            Val::Known { text, .. } => (&**text, true),
            Val::Unknown { prefix } => (prefix.as_str(), false),
        };
        if !text.starts_with('-') || (text == "-" && known) {
            // An unknown word that may begin with `-` may be an option, of any name.
            if !known && text.is_empty() {
                p.unknown_option = true;
            }
            p.operands.push(a.clone());
            continue;
        }
        if text == "--" && known {
            p.dashdash = Some(p.operands.len());
            continue;
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (
                    n,
                    Some(if known {
                        Val::Known {
                            text: v.to_string().into(),
                            glob: false,
                        }
                    } else {
                        Val::Unknown {
                            prefix: v.to_string(),
                        }
                    }),
                ),
                None if !known => {
                    // `--$X`: an option lanes cannot name.
                    p.unknown_option = true;
                    continue;
                }
                None => (long, None),
            };
            let (found, unset) = resolve_long(table, name);
            let value = match value {
                Some(v) => Some(v),
                None if found.len() == 1 && found[0].arg == Arg::Required && !unset => {
                    let v = args.get(i).cloned();
                    i += usize::from(v.is_some());
                    v
                }
                None => None,
            };
            p.opts.push(Opt {
                names: found.iter().map(|e| e.name).collect(),
                unset,
                value,
            });
            continue;
        }
        // A bundle of short options; the first that takes a value takes the rest.
        let chars: Vec<char> = text[1..].chars().collect();
        let mut took_value = false;
        for (k, c) in chars.iter().enumerate() {
            let entry = entries(table).find(|e| e.short == Some(*c));
            let names = entry.map(|e| vec![e.name]).unwrap_or_default();
            // Built only for an option that takes a value (`-vvvv…` stays linear).
            let rest = || -> String { chars[k + 1..].iter().collect() };
            match entry.map(|e| e.arg) {
                Some(Arg::Required) => {
                    let rest = rest();
                    let value = if !rest.is_empty() {
                        Some(attached(&rest, known))
                    } else if !known {
                        // `-m$X`: the value is unknown.
                        Some(Val::Unknown {
                            prefix: String::new(),
                        })
                    } else {
                        let v = args.get(i).cloned();
                        i += usize::from(v.is_some());
                        v
                    };
                    p.opts.push(Opt {
                        names,
                        unset: false,
                        value,
                    });
                    took_value = true;
                    break;
                }
                Some(Arg::Optional) => {
                    let rest = rest();
                    let value = (!rest.is_empty() || !known).then(|| attached(&rest, known));
                    p.opts.push(Opt {
                        names,
                        unset: false,
                        value,
                    });
                    took_value = true;
                    break;
                }
                _ => p.opts.push(Opt {
                    names,
                    unset: false,
                    value: None,
                }),
            }
        }
        if !known && !took_value {
            // `-n$X`: more short options may follow, unseen.
            p.unknown_option = true;
        }
    }
    p
}

/// The rest of a short-option bundle as a value.
fn attached(rest: &str, known: bool) -> Val {
    if known {
        Val::Known {
            text: rest.to_string().into(),
            glob: false,
        }
    } else {
        Val::Unknown {
            prefix: rest.to_string(),
        }
    }
}

/// What `--NAME` (without its `=value`) means by `table`, as git's `parse_long_opt` decides:
/// an exact name wins (`--verify` and `--no-NAME` are exact negations); otherwise each
/// option that NAME abbreviates. Returns the options and whether the form is negated.
fn resolve_long(table: &'static str, arg: &str) -> (Vec<Entry>, bool) {
    let mut abbrev: Vec<(Entry, bool)> = Vec::new();
    for e in entries(table) {
        let Some(n) = e.long else { continue };
        if arg == n {
            return (vec![e], false);
        }
        let positive = n.strip_prefix("no-");
        let negated = arg.strip_prefix("no-");
        if positive == Some(arg) || negated == Some(n) {
            return (vec![e], true);
        }
        if arg.is_empty() {
            continue;
        }
        if n.starts_with(arg) {
            abbrev.push((e, false));
        } else if "no-".starts_with(arg)
            || negated.is_some_and(|g| !g.is_empty() && n.starts_with(g))
            || positive.is_some_and(|p| p.starts_with(arg))
        {
            abbrev.push((e, true));
        }
    }
    let unset = abbrev.len() == 1 && abbrev[0].1;
    (abbrev.into_iter().map(|(e, _)| e).collect(), unset)
}

/// `git add`.
pub(super) const ADD: &str = "n|dry-run v|verbose i|interactive p|patch e|edit f|force u|update \
     renormalize N|intent-to-add A|all ignore-removal refresh ignore-errors ignore-missing sparse \
     chmod= pathspec-from-file= pathspec-file-nul warn-embedded-repo";
/// `git am`.
pub(super) const AM: &str = "i|interactive n|no-verify 3|3way q|quiet s|signoff u|utf8 k|keep \
     keep-non-patch m|message-id keep-cr c|scissors quoted-cr= whitespace= ignore-space-change \
     ignore-whitespace directory= exclude= include= -C= -p= patch-format= reject \
     resolvemsg= continue r|resolved skip abort quit show-current-patch? retry allow-empty \
     committer-date-is-author-date ignore-date rerere-autoupdate S|gpg-sign? empty= \
     binary rebasing";
/// `git apply`.
pub(super) const APPLY: &str = "exclude= include= -p= no-add stat numstat summary check index \
     N|intent-to-add cached unsafe-paths apply 3|3way ours theirs union build-fake-ancestor= -z \
     -C= whitespace= ignore-space-change ignore-whitespace R|reverse unidiff-zero reject \
     allow-overlap v|verbose q|quiet inaccurate-eof recount directory= allow-empty \
     allow-binary-replacement binary";
/// `git archive`.
pub(super) const ARCHIVE: &str = "format= prefix= add-file= add-virtual-file= o|output= \
     worktree-attributes v|verbose mtime= -N l|list remote= exec=";
/// `git branch`.
pub(super) const BRANCH: &str = "v|verbose q|quiet t|track? u|set-upstream-to= unset-upstream \
     color? r|remotes contains= no-contains= abbrev? a|all d|delete -D m|move -M omit-empty \
     c|copy -C l|list show-current create-reflog edit-description f|force merged= no-merged= \
     column? sort= points-at= i|ignore-case recurse-submodules format= set-upstream with= \
     without=";
/// `git bundle create`.
pub(super) const BUNDLE_CREATE: &str = "q|quiet progress version=";
/// `git checkout`.
pub(super) const CHECKOUT: &str = "-b= -B= -l guess overlay q|quiet recurse-submodules? progress \
     m|merge conflict= d|detach t|track? f|force orphan= overwrite-ignore ignore-other-worktrees \
     2|ours 3|theirs p|patch ignore-skip-worktree-bits pathspec-from-file= pathspec-file-nul";
/// `git checkout-index`.
pub(super) const CHECKOUT_INDEX: &str = "a|all ignore-skip-worktree-bits f|force q|quiet \
     n|no-create u|index -z stdin temp prefix= stage=";
/// `git cherry-pick`.
pub(super) const CHERRY_PICK: &str = "quit continue abort skip cleanup= n|no-commit e|edit \
     s|signoff m|mainline= rerere-autoupdate strategy= X|strategy-option= S|gpg-sign? -x ff \
     allow-empty allow-empty-message keep-redundant-commits empty=";
/// `git clean`.
pub(super) const CLEAN: &str = "q|quiet n|dry-run f|force i|interactive -d e|exclude= -x -X";
/// `git clone`.
pub(super) const CLONE: &str = "v|verbose q|quiet progress reject-shallow n|no-checkout bare \
     mirror l|local no-hardlinks s|shared recurse-submodules? recursive? j|jobs= template= \
     reference= reference-if-able= dissociate o|origin= b|branch= u|upload-pack= depth= \
     shallow-since= shallow-exclude= single-branch no-tags shallow-submodules \
     separate-git-dir= ref-format= c|config= server-option= 4|ipv4 6|ipv6 filter= \
     also-filter-submodules remote-submodules sparse bundle-uri= naked";
/// `git commit`.
pub(super) const COMMIT: &str = "q|quiet v|verbose F|file= author= date= m|message= \
     c|reedit-message= C|reuse-message= fixup= squash= reset-author trailer= s|signoff \
     t|template= e|edit cleanup= status S|gpg-sign? a|all i|include interactive p|patch o|only \
     n|no-verify dry-run short branch ahead-behind porcelain long z|null amend no-post-rewrite \
     u|untracked-files? pathspec-from-file= pathspec-file-nul allow-empty allow-empty-message";
/// `git diagnose` and `git bugreport`.
pub(super) const DIAGNOSE: &str = "diagnose? o|output-directory= s|suffix= mode=";
/// `git fetch`.
pub(super) const FETCH: &str = "v|verbose q|quiet all set-upstream a|append atomic upload-pack= \
     f|force m|multiple t|tags -n j|jobs= prefetch p|prune P|prune-tags recurse-submodules? \
     dry-run porcelain write-fetch-head k|keep u|update-head-ok progress depth= \
     shallow-since= shallow-exclude= deepen= unshallow refetch update-shallow refmap= \
     o|server-option= 4|ipv4 6|ipv6 negotiation-tip= negotiate-only filter= auto-maintenance \
     auto-gc show-forced-updates write-commit-graph stdin recurse-submodules-default= \
     submodule-prefix=";
/// `git format-patch` (its own options; diff options are read separately).
pub(super) const FORMAT_PATCH: &str = "n|numbered N|no-numbered s|signoff stdout cover-letter \
     numbered-files suffix= start-number= v|reroll-count= filename-max-length= rfc? \
     cover-from-description= description-file= subject-prefix= o|output-directory= \
     k|keep-subject no-binary zero-commit ignore-if-in-upstream p|no-stat add-header= to= cc= \
     from? in-reply-to= attach? inline? thread? signature= base= signature-file= q|quiet \
     progress interdiff= range-diff= creation-factor= force-in-body-from output=";
/// `git grep`.
pub(super) const GREP: &str = "cached no-index untracked exclude-standard recurse-submodules \
     v|invert-match i|ignore-case w|word-regexp a|text -I textconv r|recursive max-depth= \
     E|extended-regexp G|basic-regexp F|fixed-strings P|perl-regexp n|line-number column -h -H \
     full-name l|files-with-matches name-only L|files-without-match z|null o|only-matching \
     c|count color? break heading C|context= B|before-context= A|after-context= threads= -N \
     p|show-function W|function-context -f= -e= and or not q|quiet all-match \
     O|open-files-in-pager? ext-grep m|max-count=";
/// `git init`.
pub(super) const INIT: &str = "template= bare shared? q|quiet separate-git-dir= \
     b|initial-branch= object-format= ref-format=";
/// `git interpret-trailers`.
pub(super) const INTERPRET_TRAILERS: &str = "in-place trim-empty where= if-exists= if-missing= \
     only-trailers only-input unfold parse no-divider trailer=";
/// `git ls-remote`.
pub(super) const LS_REMOTE: &str = "q|quiet upload-pack= t|tags b|branches refs get-url sort= \
     exit-code symref o|server-option= exec= heads";
/// `git merge`.
pub(super) const MERGE: &str = "-n stat summary log? squash commit e|edit cleanup= ff ff-only \
     rerere-autoupdate verify-signatures s|strategy= X|strategy-option= m|message= F|file= \
     into-name= v|verbose q|quiet abort quit continue allow-unrelated-histories progress \
     S|gpg-sign? autostash overwrite-ignore signoff no-verify";
/// `git merge-file`.
pub(super) const MERGE_FILE: &str = "p|stdout object-id diff3 zdiff3 ours theirs union \
     diff-algorithm= marker-size= q|quiet -L=";
/// `git mv`.
pub(super) const MV: &str = "v|verbose n|dry-run f|force -k sparse";
/// `git notes add` (and `append`, `edit`).
pub(super) const NOTES_ADD: &str = "m|message= F|file= c|reedit-message= C|reuse-message= \
     allow-empty f|force separator? stripspace";
/// `git pull`.
pub(super) const PULL: &str = "v|verbose q|quiet progress recurse-submodules? r|rebase? -n stat \
     log? signoff? squash commit edit cleanup= ff ff-only verify verify-signatures autostash \
     s|strategy= X|strategy-option= S|gpg-sign? allow-unrelated-histories all a|append \
     upload-pack= f|force t|tags p|prune j|jobs? dry-run k|keep depth= shallow-since= \
     shallow-exclude= deepen= unshallow update-shallow refmap= o|server-option= 4|ipv4 6|ipv6 \
     negotiation-tip= show-forced-updates set-upstream summary";
/// `git push`.
pub(super) const PUSH: &str = "v|verbose q|quiet repo= all branches mirror d|delete tags \
     n|dry-run porcelain f|force force-with-lease? force-if-includes recurse-submodules= thin \
     receive-pack= exec= u|set-upstream progress prune no-verify follow-tags signed? atomic \
     o|push-option= 4|ipv4 6|ipv6";
/// `git read-tree`.
pub(super) const READ_TREE: &str = "index-output= empty v|verbose -m trivial aggressive reset \
     prefix= -u exclude-per-directory= -i n|dry-run no-sparse-checkout debug-unpack \
     recurse-submodules? q|quiet super-prefix=";
/// `git rebase`.
pub(super) const REBASE: &str = "onto= keep-base no-verify q|quiet v|verbose n|no-stat signoff \
     committer-date-is-author-date reset-author-date -C= ignore-whitespace whitespace= \
     f|force-rebase no-ff continue skip abort quit edit-todo show-current-patch apply m|merge \
     i|interactive rerere-autoupdate empty= autosquash update-refs S|gpg-sign? autostash \
     x|exec= r|rebase-merges? fork-point s|strategy= X|strategy-option= root \
     reschedule-failed-exec reapply-cherry-picks allow-empty-message ignore-date keep-empty \
     preserve-merges";
/// `git reset`.
pub(super) const RESET: &str = "q|quiet no-refresh mixed soft hard merge keep \
     recurse-submodules? p|patch N|intent-to-add pathspec-from-file= pathspec-file-nul";
/// `git restore`.
pub(super) const RESTORE: &str = "s|source= S|staged W|worktree ignore-unmerged overlay q|quiet \
     recurse-submodules? progress m|merge conflict= 2|ours 3|theirs p|patch \
     ignore-skip-worktree-bits pathspec-from-file= pathspec-file-nul";
/// `git revert`.
pub(super) const REVERT: &str = "quit continue abort skip cleanup= n|no-commit e|edit s|signoff \
     m|mainline= rerere-autoupdate strategy= X|strategy-option= S|gpg-sign? reference";
/// `git rm`.
pub(super) const RM: &str = "n|dry-run q|quiet cached f|force -r ignore-unmatch sparse \
     pathspec-from-file= pathspec-file-nul";
/// `git send-pack`.
pub(super) const SEND_PACK: &str = "v|verbose q|quiet receive-pack= exec= remote= all n|dry-run \
     mirror f|force signed? push-option= progress thin atomic stateless-rpc stdin helper-status \
     force-with-lease? force-if-includes";
/// `git stash push` (and `git stash` with options).
pub(super) const STASH_PUSH: &str = "k|keep-index S|staged p|patch q|quiet u|include-untracked \
     a|all m|message= pathspec-from-file= pathspec-file-nul";
/// `git switch`.
pub(super) const SWITCH: &str = "c|create= C|force-create= guess discard-changes q|quiet \
     recurse-submodules? progress m|merge conflict= d|detach t|track? f|force orphan= \
     overwrite-ignore ignore-other-worktrees";
/// `git tag`.
pub(super) const TAG: &str = "l|list -n? d|delete v|verify a|annotate m|message= F|file= \
     trailer= e|edit s|sign cleanup= u|local-user= f|force create-reflog column? contains= \
     no-contains= merged= no-merged= omit-empty sort= points-at= format= color? i|ignore-case \
     with= without=";
/// `git worktree add`.
pub(super) const WORKTREE_ADD: &str = "f|force -b= -B= orphan d|detach checkout lock reason= \
     q|quiet track guess-remote";
/// `git difftool`.
pub(super) const DIFFTOOL: &str = "g|gui d|dir-diff y|no-prompt symlinks t|tool= tool-help \
     trust-exit-code x|extcmd= no-index";
/// `git config`: the subcommand forms and the older option forms together.
pub(super) const CONFIG: &str = "global system local worktree f|file= blob= t|type= bool int \
     bool-or-int bool-or-str path expiry-date all value= fixed-value comment= append get \
     get-all get-regexp get-urlmatch replace-all add unset unset-all rename-section \
     remove-section l|list e|edit get-color get-colorbool z|null name-only includes \
     show-origin show-scope default= regexp url=";

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Val> {
        s.split_whitespace()
            .map(|w| Val::Known {
                text: w.to_string().into(),
                glob: false,
            })
            .collect()
    }

    // Checked against git 2.47: `git commit --no-veri` skips the hooks, `--no-ver` is
    // ambiguous (`--no-verbose`), `--verif` negates `--no-verify`.
    #[test]
    fn long_options_resolve_like_git() {
        let p = parse(&words("--no-veri -m x"), COMMIT);
        assert!(p.on("no-verify") && p.maybe("no-verify"));
        let p = parse(&words("--no-ver"), COMMIT);
        assert!(!p.on("no-verify") && p.maybe("no-verify") && p.maybe("verbose"));
        let p = parse(&words("-n --verif"), COMMIT);
        assert!(!p.on("no-verify"));
        let p = parse(&words("--no-no-verify"), COMMIT);
        assert!(!p.maybe("no-verify"));
        let p = parse(&words("--no-v"), AM);
        assert!(p.on("no-verify"));
        let p = parse(&words("--no-veri"), MERGE);
        assert!(!p.on("no-verify") && p.maybe("no-verify"));
        let p = parse(&words("--mess hello src/x"), COMMIT);
        assert_eq!(p.values("message")[0].text(), "hello");
        assert_eq!(p.operands.len(), 1);
    }

    #[test]
    fn short_bundles_take_values_like_git() {
        let p = parse(&words("-anm msg"), COMMIT);
        assert!(p.on("no-verify") && p.on("all"));
        assert_eq!(p.values("message")[0].text(), "msg");
        let p = parse(&words("-mn"), COMMIT);
        assert!(!p.on("no-verify"));
        let p = parse(&words("-Wsmain -- docs"), RESTORE);
        assert_eq!(p.values("source")[0].text(), "main");
        assert_eq!(p.dashdash, Some(0));
        assert!(p.on("worktree"));
    }
}

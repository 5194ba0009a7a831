//! [`Lanes`]: a policy's pattern lists, compiled on first use, for one call.
//!
//! The hook judges a path or two per call, so it compiles only what a decision needs (the
//! acting role's lane, the shared and protected lists), and of a list not yet compiled only
//! the patterns that can bear on the path: a policy with hundreds of roles then costs little
//! per tool call. `lanes check` judges many paths, so a list asked about often is compiled
//! whole. These memos live here, beside the plain [`Policy`], for as long as the caller keeps
//! the `Lanes`; they are not shared between threads.

use super::lane::{self, Lane};
use super::model::{Policy, Role};
use super::owners::OwnerIndex;
use super::pattern::PatternList;
use super::PolicyError;
use crate::path::RepoPath;
use std::cell::{Cell, OnceCell};

/// How many paths a list not yet compiled is tested against by its text before it is compiled
/// anyway: a caller judging many paths (`lanes check`) then matches them with the compiled
/// lane, which costs less per path than reading the pattern text again.
const TEXT_TESTS: u32 = 16;

/// Owner lookups answered with every role before the owner index is built: the hook judges
/// one path, for which building the index costs more than reading each role's patterns once.
pub(super) const OWNER_LOOKUPS_WITHOUT_INDEX: u32 = 4;

/// The compiled lanes of one [`Policy`], made on first use.
#[derive(Debug)]
pub struct Lanes<'p> {
    policy: &'p Policy,
    /// One per pattern list: the always-protected, protected and shared lists, then each
    /// role's `write` in file order (see [`Lanes::memo`]).
    lists: Vec<ListMemo>,
    /// Which roles' lanes may hold a path, by its literal components; built on first use
    /// unless the parsed-policy cache had it.
    owners: OnceCell<OwnerIndex>,
    /// Owner lookups answered without the index so far.
    owner_lookups: Cell<u32>,
    /// Every role's `branches` globs, compiled on first use: (index into `roles`, matcher).
    branch_globs: OnceCell<Result<Vec<(usize, globset::GlobMatcher)>, PolicyError>>,
}

/// What is known of one pattern list.
#[derive(Debug, Default)]
struct ListMemo {
    /// The whole list compiled (errors boxed: most lists of a large policy are never compiled).
    compiled: OnceCell<Result<Box<Lane>, Box<PolicyError>>>,
    /// How many paths [`Lanes::find_in`] has answered without compiling the whole list.
    text_tests: Cell<u32>,
    /// Whether every pattern is a literal path, once asked.
    literal: OnceCell<bool>,
    /// For a role's list: its signal file has been found inside it (checked once, not per path).
    signal_in_lane: Cell<bool>,
}

impl<'p> Lanes<'p> {
    /// Nothing compiled yet.
    pub fn new(policy: &'p Policy) -> Lanes<'p> {
        let mut lists = Vec::new();
        lists.resize_with(3 + policy.roles.len(), ListMemo::default);
        Lanes {
            policy,
            lists,
            owners: OnceCell::new(),
            owner_lookups: Cell::new(0),
            branch_globs: OnceCell::new(),
        }
    }

    /// With the owner index the parsed-policy cache kept for this policy.
    pub(super) fn with_owner_index(self, index: Option<OwnerIndex>) -> Lanes<'p> {
        if let Some(index) = index {
            let _ = self.owners.set(index);
        }
        self
    }

    /// The policy.
    pub fn policy(&self) -> &'p Policy {
        self.policy
    }

    /// The memo of `list`, which must be one of this policy's lists: they are told apart by
    /// address, which is what a caller holding `&policy.shared` or `&role.write` has.
    fn memo(&self, list: &PatternList) -> &ListMemo {
        let p = self.policy;
        let at = if std::ptr::eq(list, &p.builtin_protected) {
            0
        } else if std::ptr::eq(list, &p.protected) {
            1
        } else if std::ptr::eq(list, &p.shared) {
            2
        } else {
            3 + self.role_index_of(list)
        };
        &self.lists[at]
    }

    /// The index of the role whose `write` is `list`, by the offset of `list` in `roles`.
    fn role_index_of(&self, list: &PatternList) -> usize {
        let roles = &self.policy.roles;
        let first = roles.as_ptr() as usize + std::mem::offset_of!(Role, write);
        let i = (list as *const PatternList as usize).wrapping_sub(first)
            / std::mem::size_of::<Role>().max(1);
        match roles.get(i) {
            Some(r) if std::ptr::eq(&r.write, list) => i,
            _ => panic!("a pattern list that is not this policy's"),
        }
    }

    /// The compiled form of `list`, which must belong to this policy. Errors name the policy
    /// file, line and column of the bad pattern; the same error is returned on every call.
    pub fn lane(&self, list: &PatternList) -> Result<&Lane, PolicyError> {
        self.memo(list)
            .compiled
            .get_or_init(|| {
                Lane::compile(list.patterns(), &self.policy.file, self.policy.source())
                    .map(Box::new)
                    .map_err(Box::new)
            })
            .as_ref()
            .map(|lane| &**lane)
            .map_err(|e| (**e).clone())
    }

    /// The pattern (as written) of `list` that puts `path` in its lane, as [`Lane::find`]
    /// answers. While the list is not compiled and has been asked about fewer than a few
    /// paths, only the patterns that can bear on `path` are compiled; a literal list is
    /// compiled whole from its third path on, which is cheaper than a subset per path.
    ///
    /// Errors: a pattern of the list does not compile.
    pub fn find_in<'a>(
        &'a self,
        list: &'a PatternList,
        path: &RepoPath,
        is_dir: bool,
    ) -> Result<Option<&'a str>, PolicyError> {
        let memo = self.memo(list);
        let tests = memo.text_tests.get();
        if memo.compiled.get().is_none()
            && tests < TEXT_TESTS
            && (tests < 2 || !*memo.literal.get_or_init(|| lane::is_literal(list)))
        {
            let (file, source) = (&self.policy.file, self.policy.source());
            if let Some(found) = lane::find_by_subset(list, path, is_dir, file, source) {
                memo.text_tests.set(tests + 1);
                return found;
            }
        }
        Ok(self.lane(list)?.find(path, is_dir))
    }

    /// The role's lane, compiled, after checking that its signal file lies inside it.
    ///
    /// Errors: a pattern of the lane does not compile; the signal file lies outside it.
    pub fn role_lane(&self, role: &Role) -> Result<&Lane, PolicyError> {
        let lane = self.lane(&role.write)?;
        if let Some(signal) = &role.signal {
            if lane.find(signal, false).is_none() {
                return Err(self.signal_outside(role, signal));
            }
        }
        Ok(lane)
    }

    /// The pattern of the role's lane that puts `path` in it, after checking that its signal
    /// file lies inside the lane (once per `Lanes`), compiling no more of the lane than
    /// [`Lanes::find_in`] needs.
    ///
    /// Errors: a pattern of the lane does not compile; the signal file lies outside it.
    pub fn role_find<'a>(
        &'a self,
        role: &'a Role,
        path: &RepoPath,
        is_dir: bool,
    ) -> Result<Option<&'a str>, PolicyError> {
        if let Some(signal) = &role.signal {
            let memo = self.memo(&role.write);
            if !memo.signal_in_lane.get() {
                if self.find_in(&role.write, signal, false)?.is_none() {
                    return Err(self.signal_outside(role, signal));
                }
                memo.signal_in_lane.set(true);
            }
        }
        self.find_in(&role.write, path, is_dir)
    }

    fn signal_outside(&self, role: &Role, signal: &RepoPath) -> PolicyError {
        PolicyError::at(
            &self.policy.file,
            self.policy.source(),
            role.signal_span(),
            format!(
                "signal `{signal}` of role `{}` lies outside the role's lanes",
                role.name
            ),
        )
    }

    /// The roles, in file order, whose lanes may hold `path`: a superset of its owners
    /// (each candidate's lane must still be asked). Compiles nothing: a role whose patterns
    /// might not compile is a candidate for every path, so its error surfaces when its lane
    /// is asked.
    ///
    /// The first few lookups return every role: a caller judging one path (the hook) is
    /// better served by testing each role's patterns once (see [`Lanes::find_in`]).
    pub fn roles_that_may_own(&self, path: &RepoPath) -> Vec<&'p Role> {
        let roles = &self.policy.roles;
        if self.owners.get().is_none() && self.owner_lookups.get() < OWNER_LOOKUPS_WITHOUT_INDEX {
            self.owner_lookups.set(self.owner_lookups.get() + 1);
            return roles.iter().collect();
        }
        match self.owner_index().candidates(path, roles.len()) {
            Some(found) => found.into_iter().map(|i| &roles[i]).collect(),
            None => roles.iter().collect(),
        }
    }

    /// The owner index, built from the patterns unless the cache gave it.
    pub(super) fn owner_index(&self) -> &OwnerIndex {
        self.owners
            .get_or_init(|| OwnerIndex::build(self.policy.roles.iter().map(|r| Some(&r.write))))
    }

    /// The first role (in file order) whose `branches` globs match `branch` (a short branch
    /// name such as `build/parser`). In a glob, `*` and `?` stay within one `/`-separated
    /// component, `**` crosses them, `[...]` is a class.
    ///
    /// Errors: a glob does not compile (named by file, line and key).
    pub fn role_for_branch(&self, branch: &str) -> Result<Option<&'p Role>, PolicyError> {
        let globs = self
            .branch_globs
            .get_or_init(|| self.compile_branch_globs())
            .as_ref()
            .map_err(Clone::clone)?;
        Ok(globs
            .iter()
            .find(|(_, m)| m.is_match(branch))
            .map(|(i, _)| &self.policy.roles[*i]))
    }

    fn compile_branch_globs(&self) -> Result<Vec<(usize, globset::GlobMatcher)>, PolicyError> {
        let policy = self.policy;
        let mut out = Vec::new();
        for (i, role) in policy.roles.iter().enumerate() {
            for (glob, span) in role.branches.iter().zip(&role.branch_spans) {
                let err = |m: String| {
                    PolicyError::at(&policy.file, policy.source(), Some(span.clone()), m)
                };
                if glob.trim().is_empty() {
                    return Err(err("a branch glob may not be empty".into()));
                }
                let compiled = globset::GlobBuilder::new(glob)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| err(format!("invalid branch glob `{glob}`: {}", e.kind())))?;
                out.push((i, compiled.compile_matcher()));
            }
        }
        Ok(out)
    }

    /// Compiles every pattern list and checks every role, as `lanes validate` and
    /// `lanes check` need; the hook compiles only what a decision needs.
    ///
    /// Errors: the first list or branch glob that does not compile; a signal file outside
    /// its role's lanes.
    pub fn compile_all(&self) -> Result<(), PolicyError> {
        let p = self.policy;
        self.lane(&p.builtin_protected)?;
        self.lane(&p.protected)?;
        self.lane(&p.shared)?;
        for role in &p.roles {
            self.role_lane(role)?;
        }
        self.role_for_branch("")?;
        Ok(())
    }
}

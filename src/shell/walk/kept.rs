//! Code kept to run later (`trap`, `PROMPT_COMMAND`, ...): walked when it is set, and
//! again at the end of the script from every working directory the script was in.

use super::{State, Walker};
use crate::shell::lexical;
use crate::shell::state::{union_cwds, MAX_TRACKED};
use crate::shell::Found;

impl Walker<'_> {
    /// Keeps `code` to run later (a `trap`, `PROMPT_COMMAND`, ...): it is walked now, from
    /// the current state, and again at the end of the script from every working directory
    /// the script was in, since it may run at any point after this one.
    pub fn defer(&mut self, code: &str, st: &State, what: &str) {
        let mut copy = st.clone();
        self.nested_script(code, &mut copy, what);
        if self.deferred.iter().any(|d| d == code) {
            return;
        }
        if self.deferred.len() < MAX_TRACKED {
            self.deferred.push(code.to_string());
        } else {
            self.overflow = true;
        }
    }

    /// Walks the kept code at the end of the script (see [`Walker::defer`]).
    pub(super) fn run_deferred(&mut self, st: &mut State) {
        let mut cwds = Vec::new();
        union_cwds(&mut cwds, self.cwds_seen.clone());
        st.cwds = cwds;
        // Kept code may keep more: each is walked once, within the tracked number.
        let mut i = 0;
        while i < self.deferred.len() && !self.stopped {
            let code = self.deferred[i].clone();
            let mut copy = st.clone();
            self.nested_script(&code, &mut copy, "code kept to run later");
            i += 1;
        }
        if self.overflow {
            let mentions = lexical::mentions(self.text, &self.cx.cwd, self.cx.home.as_deref());
            let why =
                "it makes more links, directories or kept scripts than lanes tracks".to_string();
            self.push(Found::Unparseable { why, mentions });
        }
    }
}

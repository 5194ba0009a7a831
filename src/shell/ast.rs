//! Our own small shell AST: what the walker needs and nothing else, so the walker and the
//! command models do not depend on the parser crate (see [`super::parse`], the adapter).

use std::fmt;
use std::ops::Deref;
use std::rc::Rc;

/// Text held by the tree: owned, static, or a range of a source text the tree shares (the
/// fast parser's words, fragments and here-document bodies are slices of the command, so
/// they cost no allocation each). Reads as a `str`; compares and prints as one.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Owned(String),
    Static(&'static str),
    Shared { src: Rc<str>, start: u32, end: u32 },
}

impl Text {
    /// `src[range]`, sharing `src` (copied when the range does not fit in 32 bits).
    ///
    /// Panics when `range` is not a char-boundary range of `src` (as slicing would).
    pub fn slice(src: &Rc<str>, range: std::ops::Range<usize>) -> Text {
        let piece = &src[range.clone()];
        match (u32::try_from(range.start), u32::try_from(range.end)) {
            (Ok(start), Ok(end)) => Text(Repr::Shared {
                src: Rc::clone(src),
                start,
                end,
            }),
            _ => Text(Repr::Owned(piece.to_string())),
        }
    }

    /// `piece`, a slice of this text, sharing the same source (copied when this text is
    /// owned, or when `piece` does not lie within it).
    pub fn sub(&self, piece: &str) -> Text {
        let whole = self.as_str();
        if std::ptr::eq(piece, whole) {
            return self.clone(); // the whole text (a plain word's value): no range to check
        }
        let at = (piece.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
        let inside = at <= whole.len() && piece.len() <= whole.len() - at;
        match &self.0 {
            Repr::Shared { src, start, .. } if inside => Text::slice(
                src,
                *start as usize + at..*start as usize + at + piece.len(),
            ),
            Repr::Static(s) if inside => Text(Repr::Static(&s[at..at + piece.len()])),
            _ => Text(Repr::Owned(piece.to_string())),
        }
    }

    /// The text as a `str`.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Owned(s) => s,
            Repr::Static(s) => s,
            Repr::Shared { src, start, end } => &src[*start as usize..*end as usize],
        }
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(Repr::Owned(s))
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Text {
        Text(Repr::Static(s))
    }
}

impl Default for Text {
    fn default() -> Text {
        Text(Repr::Static(""))
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A list of commands run one after another (`a; b`, `a & b`, newlines).
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// The items in order.
    pub items: Vec<Item>,
}

/// One `&&`/`||` list and whether it runs in the background (`&`).
#[derive(Debug, Clone)]
pub struct Item {
    /// The list.
    pub and_or: AndOr,
    /// True for `cmd &`: it runs in a subshell, so a `cd` inside does not leak.
    pub background: bool,
}

/// `first && second || third ...`.
#[derive(Debug, Clone)]
pub struct AndOr {
    /// The first pipeline.
    pub first: Pipeline,
    /// The rest, each with the connector before it.
    pub rest: Vec<(Connector, Pipeline)>,
}

/// `&&` or `||`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    /// `&&`: runs when the left side succeeded.
    And,
    /// `||`: runs when the left side failed.
    Or,
}

/// `a | b | c`; with more than one command, each runs in a subshell.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The commands.
    pub cmds: Vec<Command>,
}

/// One command.
#[derive(Debug, Clone)]
pub enum Command {
    /// `NAME=v cmd args <redirects>`.
    Simple(Simple),
    /// A compound command and the redirects applied to all of it.
    Compound(Compound, Vec<Redirect>),
    /// `name() { ...; }`: recorded, run when called.
    Function {
        /// The function's name.
        name: String,
        /// Its body.
        body: Rc<Command>,
    },
}

/// Compound commands.
#[derive(Debug, Clone)]
pub enum Compound {
    /// `{ ...; }`: same shell.
    Group(Script),
    /// `( ... )`: subshell.
    Subshell(Script),
    /// `if c; then b; elif c; then b; else b; fi`: (condition, body); `else` has no condition.
    If(Vec<(Option<Script>, Script)>),
    /// `while`/`until` (condition, body); arithmetic `for ((;;))` has no condition script.
    Loop(Option<Script>, Script),
    /// `for var in values; do body; done` (`None` values: the positional parameters).
    For(String, Option<Vec<Word>>, Script),
    /// `case word in ...) body;; esac`: every arm's body.
    Case(Word, Vec<Script>),
    /// `[[ ... ]]`: only the words (they may hold substitutions).
    Test(Vec<Word>),
    /// `(( ... ))`: the expression text (it may hold substitutions).
    Arith(Word),
    /// `coproc [name] cmd`: runs in the background.
    Coproc(Box<Command>),
}

/// A simple command.
#[derive(Debug, Clone)]
pub struct Simple {
    /// Leading assignments (`A=1 B=2 cmd`, or a bare `A=1`).
    pub assigns: Vec<Assign>,
    /// The command name and its arguments, unexpanded.
    pub words: Vec<Word>,
    /// Redirects, in order.
    pub redirects: Vec<Redirect>,
    /// The command as written (normalised by the parser), for messages; shared, since the
    /// walker holds it as the current fragment.
    pub text: Text,
}

/// `NAME=value`, `NAME=(a b)`, `NAME+=...`.
#[derive(Debug, Clone)]
pub struct Assign {
    /// The variable name (an array element is `name[...]`).
    pub name: String,
    /// The value; `None` for keyed arrays (`a=([k]=v)`), which count as unknown.
    pub value: Option<AssignValue>,
    /// `NAME+=value`: appended to what the variable holds.
    pub append: bool,
}

/// The value of an assignment.
#[derive(Debug, Clone)]
pub enum AssignValue {
    /// `NAME=word`.
    Scalar(Word),
    /// `NAME=(w1 w2 ...)`: each word is expanded (and split) into the array's elements.
    Array(Vec<Word>),
}

/// A word as written (quotes and all); [`super::expand`] gives its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word(pub Text);

/// The operators that open a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// `<`.
    Read,
    /// `>`, `>|`, `N>...`.
    Write,
    /// `>>`, `N>>...`.
    Append,
    /// `&>`, `>&file`: standard output and standard error both.
    WriteBoth,
    /// `&>>`.
    AppendBoth,
    /// `<>`: read-write, created when absent.
    ReadWrite,
}

impl Open {
    /// The descriptor the operator sets when none is written: 0 for `<` and `<>`, else 1.
    pub fn default_fd(self) -> u32 {
        match self {
            Open::Read | Open::ReadWrite => 0,
            Open::Write | Open::Append | Open::WriteBoth | Open::AppendBoth => 1,
        }
    }
}

/// A redirect.
#[derive(Debug, Clone)]
pub enum Redirect {
    /// A file opened on a descriptor (`None`: the operator's default, see [`Open::default_fd`]).
    File(Option<u32>, Open, Word),
    /// `N>&M`, `N<&M`, `N>&-`, `N>&M-`: descriptor `fd` (`None`: 1 for `>&`, 0 for `<&`)
    /// becomes a copy of `from` (`None`: closed), no file opened.
    Dup {
        /// The descriptor set, as written.
        fd: Option<u32>,
        /// True for `>&`, false for `<&`.
        output: bool,
        /// The descriptor copied; `None` for `-` (closed).
        from: Option<u32>,
    },
    /// A here-document: the body, and whether it is expanded (unquoted delimiter).
    HereDoc {
        /// The descriptor it is read on (`None`: 0).
        fd: Option<u32>,
        /// The body text.
        body: Text,
        /// True for an unquoted delimiter: `$(...)` in the body runs.
        expand: bool,
    },
    /// `<<< word` (on descriptor `fd`; `None`: 0).
    HereString(Option<u32>, Word),
    /// `<(...)` or `>(...)` used as a redirect target (on descriptor `fd`) or, with no
    /// descriptor, as an argument (a `/dev/fd/63` pipe).
    ProcSub(Option<u32>, Script),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sub_text_reads_as_the_piece_it_names() {
        let src: Rc<str> = Rc::from("echo 'a b' c");
        let word = Text::slice(&src, 5..10);
        assert_eq!(word, "'a b'");
        assert_eq!(word.sub(word.as_str()), "'a b'");
        assert_eq!(word.sub(&word[1..4]), "a b");
        assert_eq!(word.sub(&word[..0]), "");
        assert_eq!(word.sub("elsewhere"), "elsewhere");
        let owned = Text::from("x y".to_string());
        assert_eq!(owned.sub(owned.as_str()), "x y");
        assert_eq!(owned.sub(&owned[2..]), "y");
        let fixed = Text::from("static");
        assert_eq!(fixed.sub(&fixed[1..3]), "ta");
    }
}

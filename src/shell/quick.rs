//! A fast path for the plain subset of bash that most commands are written in: simple
//! commands of plain and quoted words, `>`, `>>`, `<` and here-documents, joined by `&&`,
//! `||`, `|`, `;` and newlines. brush-parser reads its input a character at a time through
//! a reader and its PEG parser backtracks, which makes it most of the hook's cost on a long
//! command; this reads bytes once.
//!
//! [`parse`] builds exactly the [`Script`] that [`super::parse`] builds from brush-parser's
//! tree (fragment texts included; the tests compare the two on generated commands). On
//! anything outside the subset, or anything it is unsure of, it returns `None` and the
//! caller parses with brush-parser: expansions, escapes, comments, compound commands,
//! reserved words, assignments before a command, descriptor numbers, `&`, `<<-`, `<<<`,
//! non-ASCII text.

use super::ast::*;
use std::rc::Rc;

/// Words a command may not start with in the subset: bash's reserved words and the
/// keywords brush-parser treats as such.
const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for",
    "in", "select", "function", "time", "coproc", "[[", "]]", "!", "{", "}",
];

/// One token of the subset.
enum Tok<'a> {
    /// A word as written, quotes and all.
    Word(&'a str),
    /// A redirect to the next word: its descriptor (`2>`; empty for none), the operator, and
    /// where it starts in the text.
    Redirect {
        kind: Redir,
        fd: &'a str,
        op: &'static str,
        at: usize,
    },
    /// `<<TAG`: the tag as written, whether it was quoted, and the body once read.
    HereDoc {
        tag: &'a str,
        quoted: bool,
        body: &'a str,
    },
    /// `&&`, `||`, `|`, `;`, newline.
    Op(Op),
}

#[derive(Clone, Copy)]
enum Redir {
    /// `<`.
    Read,
    /// `>`, `>>`.
    Write,
    /// `>&`: a descriptor (`2>&1`), or a file when the word is not a number.
    Dup,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Pipe,
    Semi,
    Newline,
}

/// Parses `text` when it lies in the subset; `None` otherwise (the caller uses
/// brush-parser).
pub(super) fn parse(text: &str) -> Option<Script> {
    let toks = tokens(text)?;
    // The tree's words, fragments and bodies are slices of one shared copy of the text.
    let src: Rc<str> = Rc::from(text);
    assemble(&toks, &Source { text, src })
}

/// The text being parsed, and the shared copy the tree's [`Text`]s slice.
struct Source<'a> {
    text: &'a str,
    src: Rc<str>,
}

impl Source<'_> {
    /// Where `piece` (a slice of the text) starts in it.
    fn offset(&self, piece: &str) -> usize {
        piece.as_ptr() as usize - self.text.as_ptr() as usize
    }

    /// `piece` (a slice of the text) as a shared [`Text`].
    fn share(&self, piece: &str) -> Text {
        let start = self.offset(piece);
        Text::slice(&self.src, start..start + piece.len())
    }
}

fn is_plain(c: u8) -> bool {
    PLAIN[c as usize]
}

/// Bytes a word may hold unquoted in the subset: letters, digits and `_./-+,:@%=*?`.
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 128 {
        t[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    let more = b"_./-+,:@%=*?";
    let mut k = 0;
    while k < more.len() {
        t[more[k] as usize] = true;
        k += 1;
    }
    t
};

fn tokens(text: &str) -> Option<Vec<Tok<'_>>> {
    let b = text.as_bytes();
    // About one token per 8 bytes on long commands, so the list seldom grows.
    let mut out = Vec::with_capacity(text.len() / 8 + 16);
    // Here-documents whose body starts after the current line: indices into `out`.
    let mut pending: Vec<usize> = Vec::new();
    let mut word_end = usize::MAX;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        match c {
            b' ' | b'\t' => i += 1,
            b'\n' => {
                out.push(Tok::Op(Op::Newline));
                i += 1;
                for &at in &pending {
                    let Tok::HereDoc { tag, quoted, .. } = out[at] else {
                        return None;
                    };
                    let name = if quoted { &tag[1..tag.len() - 1] } else { tag };
                    // The body ends before the first line that reads `name` exactly.
                    let start = i;
                    let finder = memchr::memmem::Finder::new(name);
                    let mut from = start;
                    loop {
                        let at_name = from + finder.find(&b[from..])?; // None: no closing line
                        let end = at_name + name.len();
                        if (at_name == start || b[at_name - 1] == b'\n')
                            && (end == b.len() || b[end] == b'\n')
                        {
                            out[at] = Tok::HereDoc {
                                tag,
                                quoted,
                                body: &text[start..at_name],
                            };
                            // The next body, or the next command, starts on the next line.
                            i = (end + 1).min(b.len());
                            break;
                        }
                        from = at_name + 1;
                    }
                }
                pending.clear();
            }
            // After a here-document tag, brush-parser takes a number before a redirect as
            // its descriptor even with a space between (`cat <<EOF 2 > f`): not here.
            b'<' | b'>'
                if !pending.is_empty()
                    && matches!(out.last(), Some(Tok::Word(w)) if w.bytes().all(|x| x.is_ascii_digit())) =>
            {
                return None
            }
            b'&' if next == Some(b'&') => {
                out.push(Tok::Op(Op::And));
                i += 2;
            }
            b'|' if next == Some(b'|') => {
                out.push(Tok::Op(Op::Or));
                i += 2;
            }
            b'|' if next != Some(b'&') => {
                out.push(Tok::Op(Op::Pipe));
                i += 1;
            }
            b';' if next != Some(b';') && next != Some(b'&') => {
                out.push(Tok::Op(Op::Semi));
                i += 1;
            }
            b'>' => {
                // Right after a word, the word is a descriptor (`2>&1`); only one digit here.
                let mut fd = "";
                let mut at = i;
                if word_end == i {
                    at = i - 1;
                    match out.pop() {
                        Some(Tok::Word(w)) if w.len() == 1 && w.as_bytes()[0].is_ascii_digit() => {
                            fd = w
                        }
                        _ => return None,
                    }
                }
                let (kind, op) = match next {
                    Some(b'>') => (Redir::Write, ">>"),
                    Some(b'&') => (Redir::Dup, ">&"),
                    Some(b'|' | b'(') => return None,
                    _ => (Redir::Write, ">"),
                };
                out.push(Tok::Redirect { kind, fd, op, at });
                i += op.len();
            }
            b'<' if word_end == i => return None,
            b'<' if next == Some(b'<') => {
                i += 2;
                while matches!(b.get(i), Some(b' ' | b'\t')) {
                    i += 1;
                }
                let start = i;
                while b
                    .get(i)
                    .is_some_and(|&x| is_plain(x) || x == b'\'' || x == b'"')
                {
                    i += 1;
                }
                let tag = &text[start..i];
                let t = tag.as_bytes();
                let quoted = match t {
                    [q @ (b'\'' | b'"'), inner @ .., last] if last == q && !inner.is_empty() => {
                        if !inner
                            .iter()
                            .all(|&x| x.is_ascii_alphanumeric() || x == b'_')
                        {
                            return None;
                        }
                        true
                    }
                    _ if !t.is_empty()
                        && t.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'_') =>
                    {
                        false
                    }
                    _ => return None,
                };
                pending.push(out.len());
                out.push(Tok::HereDoc {
                    tag,
                    quoted,
                    body: &text[i..i], // read once the line ends
                });
                word_end = i;
            }
            b'<' if !matches!(next, Some(b'>' | b'&' | b'(')) => {
                out.push(Tok::Redirect {
                    kind: Redir::Read,
                    fd: "",
                    op: "<",
                    at: i,
                });
                i += 1;
            }
            c if is_plain(c) || c == b'\'' || c == b'"' => {
                let start = i;
                loop {
                    match b.get(i) {
                        Some(&x) if is_plain(x) => i += 1,
                        Some(b'\'') => {
                            let n = memchr::memchr(b'\'', &b[i + 1..])?;
                            if !b[i + 1..i + 1 + n].is_ascii() {
                                return None;
                            }
                            i += n + 2;
                        }
                        Some(b'"') => {
                            let n = memchr::memchr(b'"', &b[i + 1..])?;
                            let inner = &b[i + 1..i + 1 + n];
                            if !inner.is_ascii()
                                || inner
                                    .iter()
                                    .any(|x| matches!(x, b'$' | b'`' | b'\\' | b'!'))
                            {
                                return None;
                            }
                            i += n + 2;
                        }
                        None | Some(b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>') => {
                            break
                        }
                        Some(_) => return None,
                    }
                }
                out.push(Tok::Word(&text[start..i]));
                word_end = i;
            }
            _ => return None,
        }
    }
    pending.is_empty().then_some(out)
}

/// Builds the script: `and_or (separator and_or)*`, each `and_or` being pipelines joined by
/// `&&`/`||` (newlines may follow an operator), each pipeline simple commands joined by `|`.
fn assemble(toks: &[Tok<'_>], src: &Source<'_>) -> Option<Script> {
    // Each item ends at a `;` or newline (or the end): room for all without growing.
    let ends = toks
        .iter()
        .filter(|t| matches!(t, Tok::Op(Op::Semi | Op::Newline)))
        .count();
    let mut items = Vec::with_capacity(ends + 1);
    let mut scratch = String::new();
    let mut i = 0;
    loop {
        while matches!(toks.get(i), Some(Tok::Op(Op::Newline))) {
            i += 1;
        }
        if i == toks.len() {
            return Some(Script { items });
        }
        let first = pipeline(toks, &mut i, src, &mut scratch)?;
        let mut rest = Vec::new();
        while let Some(Tok::Op(op @ (Op::And | Op::Or))) = toks.get(i) {
            i += 1;
            while matches!(toks.get(i), Some(Tok::Op(Op::Newline))) {
                i += 1;
            }
            let connector = if *op == Op::And {
                Connector::And
            } else {
                Connector::Or
            };
            rest.push((connector, pipeline(toks, &mut i, src, &mut scratch)?));
        }
        items.push(Item {
            and_or: AndOr { first, rest },
            background: false,
        });
        match toks.get(i) {
            None => return Some(Script { items }),
            Some(Tok::Op(Op::Semi | Op::Newline)) => i += 1,
            _ => return None,
        }
    }
}

fn pipeline(
    toks: &[Tok<'_>],
    i: &mut usize,
    src: &Source<'_>,
    scratch: &mut String,
) -> Option<Pipeline> {
    let mut cmds = vec![Command::Simple(simple(toks, i, src, scratch)?)];
    while let Some(Tok::Op(Op::Pipe)) = toks.get(*i) {
        *i += 1;
        while matches!(toks.get(*i), Some(Tok::Op(Op::Newline))) {
            *i += 1;
        }
        cmds.push(Command::Simple(simple(toks, i, src, scratch)?));
    }
    Some(Pipeline { cmds })
}

/// One simple command; its text is what brush-parser's `Display` prints: the items in
/// order, one space apart. It is written in `scratch`, and shared from the command's own
/// text when it reads the same there (one space apart already, no here-document).
fn simple(
    toks: &[Tok<'_>],
    i: &mut usize,
    src: &Source<'_>,
    scratch: &mut String,
) -> Option<Simple> {
    let (mut n_words, mut n_redirects) = (0, 0);
    for t in toks[*i..].iter().take_while(|t| !matches!(t, Tok::Op(_))) {
        match t {
            Tok::Word(_) => n_words += 1,
            Tok::Redirect { .. } => {
                n_words -= 1; // its target is not an argument
                n_redirects += 1;
            }
            Tok::HereDoc { .. } => n_redirects += 1,
            Tok::Op(_) => {}
        }
    }
    let mut words = Vec::with_capacity(usize::try_from(n_words).unwrap_or(0));
    let mut redirects = Vec::with_capacity(n_redirects);
    let first = *i;
    // The span of the command in the source, and whether it reads as the printed text:
    // its items one space apart (a target one space after its operator), no here-document.
    // Items never start with a blank, so any other layout reads differently.
    let bytes = src.text.as_bytes();
    let mut span: Option<(usize, usize)> = None;
    let mut shareable = true;
    let mut next_item = |start: usize, end: usize, shareable: &mut bool| match &mut span {
        Some((_, e)) => {
            *shareable &= start == *e + 1 && bytes[*e] == b' ';
            *e = end;
        }
        None => span = Some((start, end)),
    };
    while let Some(t) = toks.get(*i) {
        match t {
            Tok::Op(_) => break,
            Tok::Word(w) => {
                // A command name: not a reserved word; before it, no assignment.
                if words.is_empty() && (RESERVED.contains(w) || w.contains('=')) {
                    return None;
                }
                let at = src.offset(w);
                next_item(at, at + w.len(), &mut shareable);
                words.push(Word(src.share(w)));
            }
            Tok::Redirect { kind, fd, op, at } => {
                let Some(Tok::Word(target)) = toks.get(*i + 1) else {
                    return None;
                };
                *i += 1;
                let target_at = src.offset(target);
                let op_end = at + fd.len() + op.len();
                shareable &= target_at == op_end + 1 && bytes[op_end] == b' ';
                next_item(*at, target_at + target.len(), &mut shareable);
                let fd = fd.parse().ok();
                let file = |open| Redirect::File(fd, open, Word(src.share(target)));
                redirects.push(match kind {
                    Redir::Read => file(Open::Read),
                    Redir::Write if *op == ">>" => file(Open::Append),
                    Redir::Write => file(Open::Write),
                    // As the adapter reads `>&word`: a number or `-` duplicates a descriptor.
                    Redir::Dup => super::parse::dup(fd, true, Word(src.share(target))),
                });
            }
            Tok::HereDoc { quoted, body, .. } => {
                shareable = false;
                redirects.push(Redirect::HereDoc {
                    fd: None,
                    body: src.share(body),
                    expand: !quoted,
                });
            }
        }
        *i += 1;
    }
    if words.is_empty() && redirects.is_empty() {
        return None;
    }
    let text = match span {
        Some((start, end)) if shareable => Text::slice(&src.src, start..end),
        _ => Text::from(printed(&toks[first..*i], scratch)),
    };
    Some(Simple {
        assigns: Vec::new(),
        words,
        redirects,
        text,
    })
}

/// The text brush-parser's `Display` prints for a simple command of `toks`: the items in
/// order, one space apart, a here-document with its body and closing line.
fn printed(toks: &[Tok<'_>], text: &mut String) -> String {
    text.clear();
    let mut k = 0;
    while let Some(t) = toks.get(k) {
        let sep = if text.is_empty() { "" } else { " " };
        match t {
            Tok::Op(_) => break,
            Tok::Word(w) => {
                text.push_str(sep);
                text.push_str(w);
            }
            Tok::Redirect { fd, op, .. } => {
                let Some(Tok::Word(target)) = toks.get(k + 1) else {
                    break;
                };
                k += 1;
                for part in [sep, fd, op, " ", target] {
                    text.push_str(part);
                }
            }
            Tok::HereDoc { tag, body, .. } => {
                for part in [sep, "<<", tag, "\n", body, tag, "\n"] {
                    text.push_str(part);
                }
            }
        }
        k += 1;
    }
    text.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brush(text: &str) -> Result<Script, String> {
        super::super::parse::parse_with_brush(text)
    }

    fn same(text: &str) -> bool {
        let Some(quick) = parse(text) else {
            return false;
        };
        let slow = brush(text).unwrap_or_else(|e| {
            panic!("{text:?}: the fast path took text brush-parser refuses: {e}")
        });
        assert_eq!(format!("{quick:?}"), format!("{slow:?}"), "{text:?}");
        true
    }

    #[test]
    fn everyday_commands_take_the_fast_path_with_the_same_tree() {
        for text in [
            "",
            "cargo build",
            "cat > src/t.rs <<'EOF'\npub const A: u8 = 1; // $x `y`\n\tb\nEOF\necho done",
            "sed -i 's/a/b/g' src/m.rs && echo 'mod m;' >> src/lib.rs\n",
            "cat <<EOF > f\nbody $HOME\nEOF",
            "cat << \"END\" | sh\nrm -rf x\nEND\n",
            "git add -A && git commit -m \"feat: x y\" || echo failed; ls src/*.rs",
            "a &&\n\n b |\n c ; d\n\n e ;",
            "< in sort > out",
            "echo a=b --x=y,z:1@2%3+4",
            "cat <<EOF\nEOF",
            "cat <<EOF > f\nxEOF\nEOFx EOF\n EOF\nEOF\nEOF\necho EOF",
            "cat <<'E'\nE E\nEE\nE",
            "cat <<A - <<'B' > f\na\nA\n\nb\nB\necho",
            "<<'EOF' <<'EOF'\nx $y\nEOF\n<<'EOF'\nx $y\nEOF\n",
            "cargo test --lib 2>&1 | tail -n 40 > tmp/test.log && grep -c FAILED tmp/test.log || true",
            "a >&2; a 2>/dev/null 1>>f; a >&f; a 2>&1- x; a >& -",
        ] {
            assert!(same(text), "{text:?} should take the fast path");
        }
    }

    #[test]
    fn anything_else_is_left_to_brush_parser() {
        for text in [
            "echo $x",
            "echo \"$x\"",
            "echo a\\ b",
            "A=1 cmd",
            "if true; then x; fi",
            "cmd &",
            "cmd 12>f",
            "cat <<EOF 2 > f\nx\nEOF",
            "x>f",
            "cmd 2<f",
            "cat <<-EOF\n\tx\n\tEOF",
            "cat <<< x",
            "cat <<EOF\nno end",
            "echo # comment",
            "(cd x)",
            "{ a; }",
            "echo é",
            "a && ",
            "; a",
            "a ;; b",
            "done",
            "cmd >| f",
            "cmd <> f",
        ] {
            assert!(parse(text).is_none(), "{text:?}");
        }
    }

    /// Pieces of the subset, then (from [`IN_SUBSET`] on) pieces outside it.
    const PIECES: &[&str] = &[
        "echo",
        "cat",
        "sed",
        "-i",
        "'s/a/b/g'",
        "src/lib.rs",
        "\"x y\"",
        "a=b",
        "x'y'z",
        "f*",
        "'two\nlines'",
        "&&",
        "||",
        "|",
        ";",
        "\n",
        ">",
        ">>",
        "<",
        "<<'EOF'",
        "<<EOF",
        "<< \"E\"",
        "EOF",
        "E",
        "body $x",
        "\t",
        "2",
        "=",
        "?",
        "<<'EOF'\nx $y\nEOF\n",
        "<<EOF\n\tb 'c\nEOF",
        "2>&1",
        ">&",
        "2>",
        ">&2",
        "1-",
        "-",
        "0",
        "<<\"EOF\"",
        "'EOF'",
        "x\"y\"",
        "\"\"",
        "''",
        "3",
        "<<E",
        "\"E\"",
        // outside the subset
        "A=1",
        "if",
        "done",
        "in",
        "~/x",
        "#c",
        "$x",
        "'",
        "\"",
        "\"$a\"",
        "é",
        ";;",
        "&",
        ">|",
        "12>&1",
        "<<-EOF",
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        "\\",
    ];
    const IN_SUBSET: usize = 46;

    /// Commands made of the pieces, mostly from the subset.
    fn commands() -> impl Strategy<Value = String> {
        let piece = prop_oneof![6 => 0..IN_SUBSET, 1 => 0..PIECES.len()];
        proptest::collection::vec((piece, 0..4usize), 0..16).prop_map(|picks| {
            let mut text = String::new();
            for (p, sep) in picks {
                text.push_str(PIECES[p]);
                text.push_str(["", " ", "\n", " "][sep]);
            }
            text
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 3000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn the_fast_path_agrees_with_brush_parser(text in commands()) {
            same(&text);
        }
    }
}

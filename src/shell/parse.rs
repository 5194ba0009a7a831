//! The adapter: brush-parser's AST into ours ([`super::ast`]). The only module that names
//! brush-parser types, so the parser can be swapped (rable is the reference's runner-up).
//!
//! brush-parser 0.4.0 allocates without bound on a few malformed here-doc tags; never call
//! [`parse`] on text that [`super::prescreen`] refused.

use super::ast::*;
use brush_parser::ast as b;
use std::rc::Rc;

/// How deep the adapter recurses before it gives up (the pre-screen caps nesting at 32).
const MAX_DEPTH: usize = 200;

fn options() -> brush_parser::ParserOptions {
    brush_parser::ParserOptions {
        enable_extended_globbing: true,
        posix_mode: false,
        sh_mode: false,
        tilde_expansion_at_word_start: true,
        tilde_expansion_after_colon: false,
        ..Default::default()
    }
}

/// The parser options used for words too (see [`super::expand`]).
pub(crate) fn word_options() -> brush_parser::ParserOptions {
    options()
}

/// Parses a whole script: the plain subset most commands use directly (see
/// `shell::quick`), anything else with brush-parser. Errors: the parser's message (a
/// syntax error, an unterminated quote or here-document, or nesting deeper than the adapter
/// follows).
pub fn parse(text: &str) -> Result<Script, String> {
    match super::quick::parse(text) {
        Some(script) => Ok(script),
        None => parse_with_brush(text),
    }
}

/// [`parse`] with brush-parser alone, whatever the text.
pub(super) fn parse_with_brush(text: &str) -> Result<Script, String> {
    let mut parser = brush_parser::Parser::new(text.as_bytes(), &options());
    let program = parser.parse_program().map_err(|e| e.to_string())?;
    let mut items = Vec::new();
    for list in program.complete_commands {
        items.extend(list_items(list, 0)?);
    }
    Ok(Script { items })
}

type R<T> = Result<T, String>;

fn deeper(depth: usize) -> R<usize> {
    if depth >= MAX_DEPTH {
        Err(format!("nesting deeper than {MAX_DEPTH} levels"))
    } else {
        Ok(depth + 1)
    }
}

fn list_items(list: b::CompoundList, depth: usize) -> R<Vec<Item>> {
    let d = deeper(depth)?;
    list.0
        .into_iter()
        .map(|b::CompoundListItem(ao, sep)| {
            Ok(Item {
                and_or: and_or(ao, d)?,
                background: matches!(sep, b::SeparatorOperator::Async),
            })
        })
        .collect()
}

fn script(list: b::CompoundList, depth: usize) -> R<Script> {
    Ok(Script {
        items: list_items(list, depth)?,
    })
}

fn and_or(ao: b::AndOrList, depth: usize) -> R<AndOr> {
    let rest = ao
        .additional
        .into_iter()
        .map(|x| match x {
            b::AndOr::And(p) => Ok((Connector::And, pipeline(p, depth)?)),
            b::AndOr::Or(p) => Ok((Connector::Or, pipeline(p, depth)?)),
        })
        .collect::<R<Vec<_>>>()?;
    Ok(AndOr {
        first: pipeline(ao.first, depth)?,
        rest,
    })
}

fn pipeline(p: b::Pipeline, depth: usize) -> R<Pipeline> {
    Ok(Pipeline {
        cmds: p
            .seq
            .into_iter()
            .map(|c| command(c, depth))
            .collect::<R<_>>()?,
    })
}

fn command(c: b::Command, depth: usize) -> R<Command> {
    let d = deeper(depth)?;
    Ok(match c {
        b::Command::Simple(s) => Command::Simple(simple(s, d)?),
        b::Command::Compound(cc, redirs) => {
            Command::Compound(compound(cc, d)?, redirect_list(redirs, d)?)
        }
        b::Command::Function(f) => {
            let b::FunctionBody(body, redirs) = f.body;
            let body = Command::Compound(compound(body, d)?, redirect_list(redirs, d)?);
            Command::Function {
                name: f.fname.value,
                body: Rc::new(body),
            }
        }
        b::Command::ExtendedTest(t, redirs) => {
            let mut words = Vec::new();
            test_words(t.expr, &mut words, d)?;
            Command::Compound(Compound::Test(words), redirect_list(redirs, d)?)
        }
    })
}

fn test_words(e: b::ExtendedTestExpr, out: &mut Vec<Word>, depth: usize) -> R<()> {
    let d = deeper(depth)?;
    match e {
        b::ExtendedTestExpr::And(x, y) | b::ExtendedTestExpr::Or(x, y) => {
            test_words(*x, out, d)?;
            test_words(*y, out, d)?;
        }
        b::ExtendedTestExpr::Not(x) | b::ExtendedTestExpr::Parenthesized(x) => {
            test_words(*x, out, d)?
        }
        b::ExtendedTestExpr::UnaryTest(_, w) => out.push(Word(w.value.into())),
        b::ExtendedTestExpr::BinaryTest(_, w1, w2) => {
            out.push(Word(w1.value.into()));
            out.push(Word(w2.value.into()));
        }
    }
    Ok(())
}

fn arith_script(exprs: [Option<b::UnexpandedArithmeticExpr>; 3]) -> Script {
    let items = exprs
        .into_iter()
        .flatten()
        .map(|e| Item {
            and_or: AndOr {
                first: Pipeline {
                    cmds: vec![Command::Compound(
                        Compound::Arith(Word(e.value.into())),
                        Vec::new(),
                    )],
                },
                rest: Vec::new(),
            },
            background: false,
        })
        .collect();
    Script { items }
}

fn compound(c: b::CompoundCommand, depth: usize) -> R<Compound> {
    let d = deeper(depth)?;
    Ok(match c {
        b::CompoundCommand::Arithmetic(a) => Compound::Arith(Word(a.expr.value.into())),
        b::CompoundCommand::ArithmeticForClause(f) => {
            let head = arith_script([f.initializer, f.condition, f.updater]);
            Compound::Loop(Some(head), script(f.body.list, d)?)
        }
        b::CompoundCommand::BraceGroup(g) => Compound::Group(script(g.list, d)?),
        b::CompoundCommand::Subshell(s) => Compound::Subshell(script(s.list, d)?),
        b::CompoundCommand::ForClause(f) => Compound::For(
            f.variable_name,
            f.values
                .map(|v| v.into_iter().map(|w| Word(w.value.into())).collect()),
            script(f.body.list, d)?,
        ),
        b::CompoundCommand::CaseClause(c) => Compound::Case(
            Word(c.value.value.into()),
            c.cases
                .into_iter()
                .filter_map(|i| i.cmd)
                .map(|l| script(l, d))
                .collect::<R<_>>()?,
        ),
        b::CompoundCommand::IfClause(i) => {
            let mut branches = vec![(Some(script(i.condition, d)?), script(i.then, d)?)];
            for e in i.elses.into_iter().flatten() {
                let cond = e.condition.map(|c| script(c, d)).transpose()?;
                branches.push((cond, script(e.body, d)?));
            }
            Compound::If(branches)
        }
        b::CompoundCommand::WhileClause(w) | b::CompoundCommand::UntilClause(w) => {
            Compound::Loop(Some(script(w.0, d)?), script(w.1.list, d)?)
        }
        b::CompoundCommand::Coprocess(c) => Compound::Coproc(Box::new(command(*c.body, d)?)),
    })
}

fn redirect_list(list: Option<b::RedirectList>, depth: usize) -> R<Vec<Redirect>> {
    list.map(|l| l.0.into_iter().map(|r| redirect(r, depth)).collect())
        .unwrap_or_else(|| Ok(Vec::new()))
}

fn redirect(r: b::IoRedirect, depth: usize) -> R<Redirect> {
    let d = deeper(depth)?;
    // A descriptor number as written (`3>`); brush-parser gives an `i32`, never negative.
    let num = |fd: Option<b::IoFd>| fd.and_then(|n| u32::try_from(n).ok());
    Ok(match r {
        b::IoRedirect::File(fd, kind, target) => match target {
            b::IoFileRedirectTarget::Filename(w) => Redirect::File(
                num(fd),
                match kind {
                    b::IoFileRedirectKind::Read | b::IoFileRedirectKind::DuplicateInput => {
                        Open::Read
                    }
                    b::IoFileRedirectKind::ReadAndWrite => Open::ReadWrite,
                    b::IoFileRedirectKind::DuplicateOutput if fd.is_none() => Open::WriteBoth,
                    b::IoFileRedirectKind::Append => Open::Append,
                    _ => Open::Write,
                },
                Word(w.value.into()),
            ),
            b::IoFileRedirectTarget::Fd(from) => Redirect::Dup {
                fd: num(fd),
                output: !matches!(kind, b::IoFileRedirectKind::DuplicateInput),
                from: num(Some(from)),
            },
            b::IoFileRedirectTarget::ProcessSubstitution(_, s) => {
                // `< <(cmd)` reads it on 0, `> >(cmd)` writes it on 1.
                let read = matches!(
                    kind,
                    b::IoFileRedirectKind::Read | b::IoFileRedirectKind::DuplicateInput
                );
                let fd = num(fd).unwrap_or(if read { 0 } else { 1 });
                Redirect::ProcSub(Some(fd), script(s.list, d)?)
            }
            b::IoFileRedirectTarget::Duplicate(w) => dup(
                num(fd),
                !matches!(kind, b::IoFileRedirectKind::DuplicateInput),
                Word(w.value.into()),
            ),
        },
        b::IoRedirect::HereDocument(fd, h) => Redirect::HereDoc {
            fd: num(fd),
            body: h.doc.value.into(),
            expand: h.requires_expansion,
        },
        b::IoRedirect::HereString(fd, w) => Redirect::HereString(num(fd), Word(w.value.into())),
        b::IoRedirect::OutputAndError(w, append) => Redirect::File(
            None,
            if append {
                Open::AppendBoth
            } else {
                Open::WriteBoth
            },
            Word(w.value.into()),
        ),
    })
}

/// `N>&word`, `N<&word` (`output` for `>&`): a descriptor when the word is a number or
/// `-` (`2>&1`, `>&-`, `3>&2-`), otherwise bash opens the file (`>&file` like `&>file`).
/// Shared with the fast parser, so both build the same tree.
pub(super) fn dup(fd: Option<u32>, output: bool, word: Word) -> Redirect {
    let v = word.0.trim_end_matches('-');
    if v.is_empty() {
        return Redirect::Dup {
            fd,
            output,
            from: None,
        };
    }
    if v.bytes().all(|c| c.is_ascii_digit()) {
        return Redirect::Dup {
            fd,
            output,
            // A number too large for a descriptor names none that is open: closed.
            from: v.parse().ok(),
        };
    }
    let open = match (output, fd) {
        (false, _) => Open::Read,
        (true, None) => Open::WriteBoth,
        (true, Some(_)) => Open::Write,
    };
    Redirect::File(fd, open, word)
}

/// `s` as brush-parser's `Display` prints it (the fragment quoted in messages and the audit
/// log). Words, file redirects and here-documents, nearly every item, are copied directly;
/// the rest go through `Display`, whose formatting machinery costs several times more.
fn simple_text(s: &b::SimpleCommand) -> String {
    // Room for a typical command, so the text seldom grows.
    let mut out = String::with_capacity(96);
    let mut wrote = false;
    if let Some(prefix) = &s.prefix {
        items_text(&mut out, &prefix.0);
        wrote = true;
    }
    if let Some(w) = &s.word_or_name {
        if wrote {
            out.push(' ');
        }
        out.push_str(&w.value);
        wrote = true;
    }
    if let Some(suffix) = &s.suffix {
        if wrote {
            out.push(' ');
        }
        items_text(&mut out, &suffix.0);
    }
    out
}

/// A prefix or suffix as brush-parser prints it: items separated by one space.
fn items_text(out: &mut String, list: &[b::CommandPrefixOrSuffixItem]) {
    use std::fmt::Write;
    for (i, item) in list.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match item {
            b::CommandPrefixOrSuffixItem::Word(w)
            | b::CommandPrefixOrSuffixItem::AssignmentWord(_, w) => out.push_str(&w.value),
            b::CommandPrefixOrSuffixItem::IoRedirect(b::IoRedirect::File(
                None,
                kind,
                b::IoFileRedirectTarget::Filename(w),
            )) => {
                out.push_str(match kind {
                    b::IoFileRedirectKind::Read => "< ",
                    b::IoFileRedirectKind::Write => "> ",
                    b::IoFileRedirectKind::Append => ">> ",
                    b::IoFileRedirectKind::ReadAndWrite => "<> ",
                    b::IoFileRedirectKind::Clobber => ">| ",
                    b::IoFileRedirectKind::DuplicateInput => "<& ",
                    b::IoFileRedirectKind::DuplicateOutput => ">& ",
                });
                out.push_str(&w.value);
            }
            b::CommandPrefixOrSuffixItem::IoRedirect(b::IoRedirect::HereDocument(None, h)) => {
                out.push_str(if h.remove_tabs { "<<-" } else { "<<" });
                for part in [
                    &h.here_end.value,
                    "\n",
                    &h.doc.value,
                    &h.here_end.value,
                    "\n",
                ] {
                    out.push_str(part);
                }
            }
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }
}

/// Takes the words of `s` (the parser's tree is consumed, so nothing is copied).
fn simple(s: b::SimpleCommand, depth: usize) -> R<Simple> {
    let mut out = Simple {
        assigns: Vec::new(),
        words: Vec::new(),
        redirects: Vec::new(),
        text: simple_text(&s).into(),
    };
    let mut items: Vec<(b::CommandPrefixOrSuffixItem, bool)> = Vec::new();
    if let Some(p) = s.prefix {
        items.extend(p.0.into_iter().map(|i| (i, true)));
    }
    let name_at = items.len();
    if let Some(p) = s.suffix {
        items.extend(p.0.into_iter().map(|i| (i, false)));
    }
    let mut name = s.word_or_name;
    for (n, (item, in_prefix)) in items.into_iter().enumerate() {
        if n == name_at {
            if let Some(w) = name.take() {
                out.words.push(Word(w.value.into()));
            }
        }
        match item {
            b::CommandPrefixOrSuffixItem::IoRedirect(r) => out.redirects.push(redirect(r, depth)?),
            b::CommandPrefixOrSuffixItem::Word(w) => out.words.push(Word(w.value.into())),
            b::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                if in_prefix {
                    let append = a.append;
                    let value = match a.value {
                        b::AssignmentValue::Scalar(v) => {
                            Some(AssignValue::Scalar(Word(v.value.into())))
                        }
                        b::AssignmentValue::Array(items)
                            if items.iter().all(|(k, _)| k.is_none()) =>
                        {
                            Some(AssignValue::Array(
                                items
                                    .into_iter()
                                    .map(|(_, w)| Word(w.value.into()))
                                    .collect(),
                            ))
                        }
                        b::AssignmentValue::Array(_) => None,
                    };
                    let name = match a.name {
                        b::AssignmentName::VariableName(n) => n,
                        b::AssignmentName::ArrayElementName(n, i) => format!("{n}[{i}]"),
                    };
                    out.assigns.push(Assign {
                        name,
                        value,
                        append,
                    });
                } else {
                    out.words.push(Word(w.value.into()));
                }
            }
            b::CommandPrefixOrSuffixItem::ProcessSubstitution(_, sub) => {
                // The argument is a `/dev/fd/N` path; the body runs in a subshell.
                out.redirects
                    .push(Redirect::ProcSub(None, script(sub.list, deeper(depth)?)?));
                out.words.push(Word("/dev/fd/63".into()));
            }
        }
    }
    if let Some(w) = name {
        out.words.push(Word(w.value.into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every simple command of `list` (top level and inside and-or lists and pipelines).
    fn simples(list: &b::CompoundList) -> Vec<&b::SimpleCommand> {
        let mut out = Vec::new();
        for b::CompoundListItem(ao, _) in &list.0 {
            let pipes = std::iter::once(&ao.first).chain(ao.additional.iter().map(|x| match x {
                b::AndOr::And(p) | b::AndOr::Or(p) => p,
            }));
            for p in pipes {
                for c in &p.seq {
                    if let b::Command::Simple(s) = c {
                        out.push(s);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn fragments_read_as_brush_parser_prints_them() {
        let text =
            "A=1 B=\"x y\" cmd -v 'q' > out 2>>err <in <>rw >| cl <&3 >&2 2>&- &> all &>> app\n\
            echo 'mod m;' >> src/lib.rs && sed -i 's/a/b/g' src/x.rs | tee -a log 3> f\n\
            cat <<'EOF' > f\nbody $x\nEOF\n\
            cat <<-EOF\n\tbody\n\tEOF\n\
            diff <(sort a) >(wc -l) <<< \"$h\" 1<&0\n\
            X=1\n\
            > only";
        let program = brush_parser::Parser::new(text.as_bytes(), &options())
            .parse_program()
            .unwrap();
        let mut seen = 0;
        for list in &program.complete_commands {
            for s in simples(list) {
                assert_eq!(simple_text(s), s.to_string());
                seen += 1;
            }
        }
        assert_eq!(seen, 9);
    }
}

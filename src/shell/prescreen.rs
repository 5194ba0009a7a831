//! The pre-screen: cheap, linear checks that keep hostile text away from the parser.
//!
//! brush-parser 0.4.0 allocates without bound on a few malformed here-document tags (`<<`
//! CR TAB, `<<$( >${`; the reference, §1.5), and every recursive parser overflows its stack
//! on deep enough nesting. A Rust allocation failure or stack overflow aborts the process,
//! which Claude Code treats as "let the call through", so such text must never reach the
//! parser. Refused text goes to [`super::lexical`] instead.

/// Longest command analysed, in bytes (Claude Code itself stops analysing at 10,000 chars).
pub const MAX_LEN: usize = 64 * 1024;

/// Deepest nesting of brackets, substitutions and compound keywords the parser may see.
pub const MAX_NESTING: usize = 32;

/// Why text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Longer than [`MAX_LEN`] bytes.
    TooLong(usize),
    /// A NUL, CR or other control character (TAB and LF are fine).
    Control(u32),
    /// Nested deeper than [`MAX_NESTING`].
    TooDeep,
    /// A here-document tag that is not a plain (optionally quoted) word.
    HereTag,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::TooLong(n) => write!(
                f,
                "the command is {n} bytes long, over the {MAX_LEN}-byte limit"
            ),
            Refusal::Control(c) => write!(f, "the command holds the control character U+{c:04X}"),
            Refusal::TooDeep => write!(f, "the command nests deeper than {MAX_NESTING} levels"),
            Refusal::HereTag => {
                f.write_str("the command has a here-document tag that is not a plain word")
            }
        }
    }
}

/// Checks `text` in one pass. `Ok` means the parser may see it.
pub fn check(text: &str) -> Result<(), Refusal> {
    if text.len() > MAX_LEN {
        return Err(Refusal::TooLong(text.len()));
    }
    if !plain_ascii(text.as_bytes()) {
        if let Some(c) = text
            .chars()
            .find(|&c| (c.is_control() && c != '\t' && c != '\n') || c == '\u{2028}')
        {
            return Err(Refusal::Control(c as u32));
        }
    }
    scan(text.as_bytes(), MAX_NESTING).map(|_| ())
}

/// The nesting and here-tag scan of [`check`], nesting allowed up to `max_nesting`; `Ok`
/// gives the depth at the end (for the tests).
fn scan(b: &[u8], max_nesting: usize) -> Result<usize, Refusal> {
    let mut depth = 0usize;
    let mut i = 0;
    let mut in_double = false;
    let mut in_backtick = false;
    let open = |depth: &mut usize| -> Result<(), Refusal> {
        *depth += 1;
        if *depth > max_nesting {
            Err(Refusal::TooDeep)
        } else {
            Ok(())
        }
    };
    while i < b.len() {
        let c = b[i];
        match CLASS[c as usize] {
            // Nothing, and the bytes after it up to the next break or special byte are
            // nothing either: a letter there does not start a word.
            Class::Quiet => {
                i += 1;
                while i < b.len() && CLASS[b[i] as usize] <= Class::Letter {
                    i += 1;
                }
                continue;
            }
            Class::Break => {
                i += 1;
                continue;
            }
            Class::Letter => {
                // A run of letters: a keyword only when it is a whole word outside double
                // quotes; the letters after the first never start a word.
                let end = b[i..]
                    .iter()
                    .position(|x| !x.is_ascii_lowercase())
                    .map_or(b.len(), |n| i + n);
                if !in_double
                    && (i == 0 || is_break(b[i - 1]))
                    && (end == b.len() || is_break(b[end]))
                {
                    match &b[i..end] {
                        b"if" | b"case" | b"for" | b"while" | b"until" | b"select" => {
                            open(&mut depth)?
                        }
                        b"fi" | b"esac" | b"done" => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                }
                i = end;
                continue;
            }
            Class::Special => {}
        }
        match c {
            b'\\' => {
                i += 2;
                continue;
            }
            b'\'' if !in_double => {
                // A single-quoted string: nothing inside is special.
                match memchr::memchr(b'\'', &b[i + 1..]) {
                    Some(n) => i += n + 2,
                    None => i = b.len(),
                }
                continue;
            }
            b'"' => in_double = !in_double,
            b'$' if matches!(b.get(i + 1), Some(b'(' | b'{')) => {
                open(&mut depth)?;
                i += 2;
                continue;
            }
            b'`' => {
                in_backtick = !in_backtick;
                if in_backtick {
                    open(&mut depth)?
                } else {
                    depth = depth.saturating_sub(1)
                }
            }
            b'(' | b'{' if !in_double => open(&mut depth)?,
            b')' | b'}' => depth = depth.saturating_sub(1),
            b'<' if !in_double && b.get(i + 1) == Some(&b'<') => {
                if b.get(i + 2) == Some(&b'<') {
                    i += 3;
                    continue;
                }
                i = here_tag(b, i + 2)?;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(depth)
}

/// True when `b` is ASCII without control bytes but TAB and LF (nearly every command), so
/// no character needs decoding. Blocks are folded without an early exit, which the compiler
/// turns into vector compares: a tenth of the cost of decoding every character.
fn plain_ascii(b: &[u8]) -> bool {
    !b.chunks(64).any(|block| {
        block.iter().fold(false, |bad, &x| {
            bad | ((x < 0x20) & (x != b'\t') & (x != b'\n')) | (x >= 0x7f)
        })
    })
}

/// What a byte is to the scan in [`check`] (ordered: the scan skips runs of bytes up to
/// [`Class::Letter`] once it knows no word starts there).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// Never acted on, and not a word break.
    Quiet,
    /// A lowercase letter (keywords).
    Letter,
    /// A word break the scan does not otherwise act on (blank, newline, `;`, `&`, `|`).
    Break,
    /// Acted on: backslash, quotes, backquote, `$`, `(`, `)`, `{`, `}`, `<`.
    Special,
}

const CLASS: [Class; 256] = {
    let mut t = [Class::Quiet; 256];
    let mut c = b'a';
    while c <= b'z' {
        t[c as usize] = Class::Letter;
        c += 1;
    }
    let breaks = b" \t\n;&|";
    let mut k = 0;
    while k < breaks.len() {
        t[breaks[k] as usize] = Class::Break;
        k += 1;
    }
    let special = b"\\'\"$`(){}<";
    let mut k = 0;
    while k < special.len() {
        t[special[k] as usize] = Class::Special;
        k += 1;
    }
    t
};

fn is_break(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'{' | b'}'
    )
}

/// Checks the tag after `<<` (at `i`) and returns where scanning goes on.
fn here_tag(b: &[u8], mut i: usize) -> Result<usize, Refusal> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    let start = i;
    while let Some(&c) = b.get(i) {
        match c {
            b'\'' | b'"' => {
                let close = b[i + 1..]
                    .iter()
                    .position(|&x| x == c)
                    .ok_or(Refusal::HereTag)?;
                if b[i + 1..i + 1 + close].iter().any(|&x| !plain(x)) {
                    return Err(Refusal::HereTag);
                }
                i += close + 2;
            }
            b'\\' => i += 2,
            c if plain(c) => i += 1,
            b' ' | b'\t' | b'\n' | b';' | b'|' | b'&' | b')' | b'<' | b'>' => break,
            _ => return Err(Refusal::HereTag),
        }
    }
    if i == start {
        return Err(Refusal::HereTag);
    }
    Ok(i.min(b.len()))
}

fn plain(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'_' | b'.' | b'-' | b'+' | b'/' | b':' | b'@' | b'%' | b'!' | b',' | b'='
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyday_commands_pass() {
        for ok in [
            "cargo build 2>&1 | tail -5",
            "git commit -m \"$(cat <<'EOF'\nfeat: x > y\nEOF\n)\"",
            "cat <<-EOF > f\n\tbody\n\tEOF",
            "cat << \"END\"\nx\nEND",
            "tr a b <<< 'x'",
            "echo '((((((((((((((((((((((((((((((((((('",
            "if true; then echo; fi; for a in b; do :; done",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn hostile_text_is_refused() {
        assert_eq!(check("cat <<\r\t"), Err(Refusal::Control(13)));
        assert_eq!(check("<<$( >${"), Err(Refusal::HereTag));
        assert_eq!(check("cat <<"), Err(Refusal::HereTag));
        assert_eq!(check("cat << 'EOF\nx"), Err(Refusal::HereTag));
        assert_eq!(check("a\0b"), Err(Refusal::Control(0)));
        assert_eq!(
            check(&format!("{}\x7f", "x".repeat(100))),
            Err(Refusal::Control(0x7f))
        );
        assert_eq!(check("é\u{85}"), Err(Refusal::Control(0x85)));
        assert_eq!(check("a\u{2028}b"), Err(Refusal::Control(0x2028)));
        assert_eq!(check("\u{a0}\u{2029}\u{20ac}\tx\n"), Ok(()));
        assert_eq!(check(&"$(".repeat(33)), Err(Refusal::TooDeep));
        assert_eq!(check(&"if x; then ".repeat(33)), Err(Refusal::TooDeep));
        assert_eq!(check(&"(".repeat(40)), Err(Refusal::TooDeep));
        assert!(check(&"$(".repeat(32)).is_ok());
        assert_eq!(
            check(&"x".repeat(MAX_LEN + 1)),
            Err(Refusal::TooLong(MAX_LEN + 1))
        );
    }

    // The scan as it was before byte classes (one step per byte but inert ones): the
    // classes must not change a single answer.
    #[allow(clippy::all)]
    fn reference(text: &str) -> Result<(), Refusal> {
        if text.len() > MAX_LEN {
            return Err(Refusal::TooLong(text.len()));
        }
        if !plain_ascii(text.as_bytes()) {
            if let Some(c) = text
                .chars()
                .find(|&c| (c.is_control() && c != '\t' && c != '\n') || c == '\u{2028}')
            {
                return Err(Refusal::Control(c as u32));
            }
        }
        reference_scan(text.as_bytes(), MAX_NESTING).map(|_| ())
    }

    #[allow(clippy::all)]
    fn reference_scan(b: &[u8], max_nesting: usize) -> Result<usize, Refusal> {
        let mut depth = 0usize;
        let mut i = 0;
        let mut in_double = false;
        let mut in_backtick = false;
        let open = |depth: &mut usize| -> Result<(), Refusal> {
            *depth += 1;
            if *depth > max_nesting {
                Err(Refusal::TooDeep)
            } else {
                Ok(())
            }
        };
        while i < b.len() {
            let c = b[i];
            if REFERENCE_INERT[c as usize] {
                i += 1;
                continue;
            }
            match c {
                b'\\' => {
                    i += 2;
                    continue;
                }
                b'\'' if !in_double => {
                    // A single-quoted string: nothing inside is special.
                    match b[i + 1..].iter().position(|&x| x == b'\'') {
                        Some(n) => i += n + 2,
                        None => i = b.len(),
                    }
                    continue;
                }
                b'"' => in_double = !in_double,
                b'$' if matches!(b.get(i + 1), Some(b'(' | b'{')) => {
                    open(&mut depth)?;
                    i += 2;
                    continue;
                }
                b'`' => {
                    in_backtick = !in_backtick;
                    if in_backtick {
                        open(&mut depth)?
                    } else {
                        depth = depth.saturating_sub(1)
                    }
                }
                b'(' | b'{' if !in_double => open(&mut depth)?,
                b')' | b'}' => depth = depth.saturating_sub(1),
                b'<' if !in_double && b.get(i + 1) == Some(&b'<') => {
                    if b.get(i + 2) == Some(&b'<') {
                        i += 3;
                        continue;
                    }
                    i = here_tag(b, i + 2)?;
                    continue;
                }
                b'a'..=b'z' if !in_double && (i == 0 || is_break(b[i - 1])) => {
                    let end = b[i..]
                        .iter()
                        .position(|x| !x.is_ascii_lowercase())
                        .map_or(b.len(), |n| i + n);
                    if end == b.len() || is_break(b[end]) {
                        match &b[i..end] {
                            b"if" | b"case" | b"for" | b"while" | b"until" | b"select" => {
                                open(&mut depth)?
                            }
                            b"fi" | b"esac" | b"done" => depth = depth.saturating_sub(1),
                            _ => {}
                        }
                    }
                    i = end;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        Ok(depth)
    }

    const REFERENCE_INERT: [bool; 256] = {
        let mut t = [true; 256];
        let mut c = b'a';
        while c <= b'z' {
            t[c as usize] = false;
            c += 1;
        }
        let special = b"\\'\"$`(){}<";
        let mut k = 0;
        while k < special.len() {
            t[special[k] as usize] = false;
            k += 1;
        }
        t
    };

    /// Pieces that move the scan: quotes, escapes, substitutions, keywords, here-tags.
    const PIECES: &[&str] = &[
        " ", "\n", "\t", ";", "&", "|", "(", ")", "{", "}", "$(", "${", "$", "`", "\\", "'", "\"",
        "<", "<<", "<<<", "<<-", "EOF", "'E'", "if", "fi", "case", "esac", "for", "done", "while",
        "until", "select", "then", "iffy", "x", "ab", "A", "_", "/", "-", "=", "é", "\r", "2>",
        "\u{2028}",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 4000,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn byte_classes_give_the_answers_of_the_plain_scan(
            picks in proptest::collection::vec(0..PIECES.len(), 0..40),
        ) {
            let text: String = picks.iter().map(|&p| PIECES[p]).collect();
            proptest::prop_assert_eq!(check(&text), reference(&text), "{:?}", text);
            // Nesting is rarely deep in short text: compare the depths themselves, and the
            // answers under small limits.
            for limit in [0, 1, 2, 3, MAX_NESTING] {
                proptest::prop_assert_eq!(
                    scan(text.as_bytes(), limit),
                    reference_scan(text.as_bytes(), limit),
                    "{:?} {}", text, limit
                );
            }
        }
    }

    #[test]
    fn deep_text_is_refused_by_both_scans() {
        for text in [
            "if x; then if y; then (((((((((((((((((((((((((((((((x".to_string(),
            "a\\(if b".repeat(40),
            "<<\\;if x".repeat(40),
            "\"(if\" $(".repeat(20),
        ] {
            assert_eq!(check(&text), reference(&text), "{text:?}");
        }
        assert_eq!(check(&"a\\(if b".repeat(40)), Err(Refusal::TooDeep));
    }
}

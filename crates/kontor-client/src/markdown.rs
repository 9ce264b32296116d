//! The markdown subset of text messages, parsed into blocks and inline spans that every client
//! renders the same way (and never as raw HTML).
//!
//! Blocks: paragraphs, `> ` quotes, `- `/`* ` list items, fenced code (```` ``` ````).
//! Inline: `**bold**`, `*italic*` or `_italic_`, `~~strike~~`, `` `code` ``, links
//! `[text](https://…)` (only `https:`, `http:` and `mailto:`), and `@[Name](user-id)` mentions.
//! Anything else is plain text.

use kontor_proto::PersonId;

/// An inline piece of text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "t", content = "c", rename_all = "snake_case")]
pub enum Span {
    Text(String),
    Bold(Vec<Span>),
    Italic(Vec<Span>),
    Strike(Vec<Span>),
    Code(String),
    Link { text: String, url: String },
    Mention { name: String, user: PersonId },
}

/// A block of a message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "t", content = "c", rename_all = "snake_case")]
pub enum Block {
    Paragraph(Vec<Span>),
    Quote(Vec<Span>),
    ListItem(Vec<Span>),
    CodeBlock(String),
}

/// Parses a message text.
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("```") {
            let mut code = Vec::new();
            for l in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    break;
                }
                code.push(l);
            }
            blocks.push(Block::CodeBlock(code.join("\n")));
        } else if let Some(rest) = line.strip_prefix("> ") {
            blocks.push(Block::Quote(inline(rest)));
        } else if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
            blocks.push(Block::ListItem(inline(rest)));
        } else if !line.trim().is_empty() {
            blocks.push(Block::Paragraph(inline(line)));
        }
    }
    blocks
}

/// The people a text mentions, in order, without repeats.
pub fn mentions(text: &str) -> Vec<PersonId> {
    let mut out = Vec::new();
    fn walk(spans: &[Span], out: &mut Vec<PersonId>) {
        for s in spans {
            match s {
                Span::Mention { user, .. } if !out.contains(user) => out.push(*user),
                Span::Bold(i) | Span::Italic(i) | Span::Strike(i) => walk(i, out),
                _ => {}
            }
        }
    }
    for b in parse(text) {
        match b {
            Block::Paragraph(s) | Block::Quote(s) | Block::ListItem(s) => walk(&s, &mut out),
            Block::CodeBlock(_) => {}
        }
    }
    out
}

fn push_text(out: &mut Vec<Span>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(Span::Text(t)) = out.last_mut() {
        t.push_str(s);
    } else {
        out.push(Span::Text(s.to_owned()));
    }
}

/// Parses inline spans of one line, with plain addresses and numbers as links.
pub fn inline(s: &str) -> Vec<Span> {
    crate::autolink::in_spans(spans(s))
}

fn spans(s: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut closes = Next::new(s, "](");
    let mut parens = Next::new(s, ")");
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('`')
            && let Some(end) = r.find('`')
        {
            out.push(Span::Code(r[..end].to_owned()));
            rest = &r[end + 1..];
            continue;
        }
        // Before the markers: `_` and `*` inside a web address are part of it.
        if let Some((span, len)) = crate::autolink::url_at(s, s.len() - rest.len()) {
            out.push(span);
            rest = &rest[len..];
            continue;
        }
        let mut matched = false;
        for (marker, make) in [
            ("**", Span::Bold as fn(Vec<Span>) -> Span),
            ("~~", Span::Strike),
            ("*", Span::Italic),
            ("_", Span::Italic),
        ] {
            if let Some(r) = rest.strip_prefix(marker)
                && let Some(end) = r.find(marker)
                && end > 0
            {
                out.push(make(spans(&r[..end])));
                rest = &r[end + marker.len()..];
                matched = true;
                break;
            }
        }
        if matched {
            continue;
        }
        if let Some((span, len)) = link(s, s.len() - rest.len(), &mut closes, &mut parens) {
            out.push(span);
            rest = &rest[len..];
            continue;
        }
        let next = rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| matches!(c, '`' | '*' | '_' | '~' | '[' | '@' | 'h' | 'H' | 'w' | 'W'))
            .map_or(rest.len(), |(i, _)| i);
        push_text(&mut out, &rest[..next]);
        rest = &rest[next..];
    }
    out
}

/// Where a pattern next occurs in a line, asked for positions that only move forward: each
/// byte is searched once, however many brackets open no link (a text of megabytes of `[`
/// would otherwise be searched to its end once per bracket).
struct Next<'a> {
    line: &'a str,
    pattern: &'static str,
    /// The last search began here and found this.
    from: usize,
    found: Option<usize>,
}

impl<'a> Next<'a> {
    fn new(line: &'a str, pattern: &'static str) -> Self {
        Next {
            line,
            pattern,
            from: usize::MAX,
            found: None,
        }
    }

    /// The first occurrence at or after `pos`.
    fn at_or_after(&mut self, pos: usize) -> Option<usize> {
        let known = pos >= self.from && self.found.is_none_or(|f| f >= pos);
        if !known {
            self.from = pos;
            self.found = self.line.get(pos..)?.find(self.pattern).map(|i| pos + i);
        }
        self.found
    }
}

/// `[text](url)` or `@[Name](user-id)` at byte `at` of `line`: the span and how many bytes it
/// took.
fn link(
    line: &str,
    at: usize,
    closes: &mut Next<'_>,
    parens: &mut Next<'_>,
) -> Option<(Span, usize)> {
    let rest = line.get(at..)?;
    let (mention, open) = if rest.starts_with("@[") {
        (true, 2)
    } else if rest.starts_with('[') {
        (false, 1)
    } else {
        return None;
    };
    let close = closes.at_or_after(at + open)?;
    let end = parens.at_or_after(close + 2)?;
    let text = &line[at + open..close];
    let target = &line[close + 2..end];
    let len = end + 1 - at;
    if mention {
        let user = target.parse().ok()?;
        return Some((
            Span::Mention {
                name: text.to_owned(),
                user,
            },
            len,
        ));
    }
    let lower = target.to_ascii_lowercase();
    if !(lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:"))
    {
        return None;
    }
    Some((
        Span::Link {
            text: text.to_owned(),
            // The scheme in lower case, as the apps recognise it (`HTTPS:` is `https:`).
            url: match target.split_once(':') {
                Some((scheme, rest)) => format!("{}:{rest}", scheme.to_ascii_lowercase()),
                None => target.to_owned(),
            },
        },
        len,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_subset() {
        let blocks =
            parse("**Wichtig:** bitte _heute_ `x` lesen\n> zitiert\n- eins\n```\nlet a;\n```");
        assert_eq!(
            blocks[0],
            Block::Paragraph(vec![
                Span::Bold(vec![Span::Text("Wichtig:".into())]),
                Span::Text(" bitte ".into()),
                Span::Italic(vec![Span::Text("heute".into())]),
                Span::Text(" ".into()),
                Span::Code("x".into()),
                Span::Text(" lesen".into()),
            ])
        );
        assert_eq!(blocks[1], Block::Quote(vec![Span::Text("zitiert".into())]));
        assert_eq!(blocks[2], Block::ListItem(vec![Span::Text("eins".into())]));
        assert_eq!(blocks[3], Block::CodeBlock("let a;".into()));
    }

    #[test]
    fn links_only_with_safe_schemes_and_mentions_by_id() {
        let id = PersonId(uuid::Uuid::from_u128(7));
        let spans = inline(&format!(
            "[a](https://x.example) [b](javascript:alert(1)) @[Ben]({id})"
        ));
        assert!(spans.contains(&Span::Link {
            text: "a".into(),
            url: "https://x.example".into()
        }));
        assert!(
            !spans
                .iter()
                .any(|s| matches!(s, Span::Link { text, .. } if text == "b"))
        );
        assert!(spans.contains(&Span::Mention {
            name: "Ben".into(),
            user: id
        }));
        assert_eq!(
            mentions(&format!("hi @[Ben]({id}) and @[Ben]({id})")),
            vec![id]
        );
    }

    /// A member can send a text of megabytes; every recipient parses it to show it. Brackets
    /// that never close a link must not make each one search the rest of the text again.
    #[test]
    fn a_text_full_of_brackets_that_close_no_link_parses_in_linear_time() {
        let opened = "[".repeat(256 * 1024) + "](no-scheme)";
        for text in ["[]", "@[](", "[a](b"]
            .map(|unit| unit.repeat(256 * 1024 / unit.len()))
            .into_iter()
            .chain([opened])
        {
            let started = std::time::Instant::now();
            let blocks = parse(&text);
            let took = started.elapsed();
            assert_eq!(
                blocks,
                vec![Block::Paragraph(vec![Span::Text(text.clone())])]
            );
            assert!(
                took < std::time::Duration::from_secs(5),
                "{:?}… took {took:?}",
                &text[..8]
            );
        }
    }

    #[test]
    fn unbalanced_markers_stay_text() {
        assert_eq!(inline("2 * 3 = 6"), vec![Span::Text("2 * 3 = 6".into())]);
        assert_eq!(inline("a_b"), vec![Span::Text("a_b".into())]);
    }
}

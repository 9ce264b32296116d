//! Plain web addresses, e-mail addresses and phone numbers in a message's text become links
//! when it is shown: `https://…` and `www.…` open in the browser, `name@host.tld` as
//! `mailto:`, `+49 30 1234567` or `030 1234-567` as `tel:` (a tap calls). Only the text is
//! read: nothing is fetched, and no server makes previews (ARCHITECTURE.md says why).

use crate::markdown::Span;

/// The longest host name (RFC 1035) and the longest address made a link.
const MAX_HOST: usize = 253;
const MAX_URL: usize = 2048;

/// A web address starting at byte `at` of `line` (`http://`, `https://` or `www.`, not inside
/// a word): the link and how many bytes it took. Punctuation that ends a sentence is not part
/// of it, nor is a closing bracket that opened before it.
pub(crate) fn url_at(line: &str, at: usize) -> Option<(Span, usize)> {
    let rest = line.get(at..)?;
    if line[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '@' | ':'))
    {
        return None;
    }
    let lower: String = rest
        .chars()
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else if lower.starts_with("www.") {
        0
    } else {
        return None;
    };
    // The host first, and bounded: text that only looks like the start of an address costs
    // no more than its host, however long the line (a hostile message must not make every
    // recipient's device scan the rest of the line again at each "http://").
    let after = &rest[scheme..];
    let host_len = after
        .char_indices()
        .take(MAX_HOST + 1)
        .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '.' | '-' | ':')))
        .map_or(after.len().min(MAX_HOST + 1), |(i, _)| i);
    let host = after[..host_len].trim_end_matches('.');
    // `user@host` would lead somewhere else than the text seems to say: no link.
    if host_len > MAX_HOST
        || after[host_len..].starts_with('@')
        || !host.contains('.')
        || host.starts_with('.')
        || host.starts_with('-')
    {
        return None;
    }
    let mut end = rest
        .char_indices()
        .take_while(|(i, _)| *i < MAX_URL)
        .find(|(_, c)| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`'))
        .map_or(rest.len().min(MAX_URL), |(i, _)| i);
    while !rest.is_char_boundary(end) {
        end -= 1;
    }
    let (mut opens, mut closes) = rest[..end].chars().fold((0, 0), |(o, c), ch| match ch {
        '(' => (o + 1, c),
        ')' => (o, c + 1),
        _ => (o, c),
    });
    while let Some(last) = rest[..end].chars().next_back() {
        let unbalanced = last == ')' && opens < closes;
        if matches!(
            last,
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '_' | '~'
        ) || unbalanced
        {
            end -= last.len_utf8();
            if last == ')' {
                closes -= 1;
            }
        } else if last == '(' && opens > closes {
            end -= 1;
            opens -= 1;
        } else {
            break;
        }
    }
    if end < scheme + host.len() {
        return None;
    }
    let text = &rest[..end];
    // The scheme in lower case, as the apps recognise it.
    let url = if scheme == 0 {
        format!("https://{text}")
    } else {
        format!("{}{}", text[..scheme].to_ascii_lowercase(), &text[scheme..])
    };
    Some((
        Span::Link {
            text: text.to_owned(),
            url,
        },
        end,
    ))
}

/// The spans with e-mail addresses and phone numbers in their text made links (inside bold,
/// italic and struck-through text too; never in code).
pub(crate) fn in_spans(spans: Vec<Span>) -> Vec<Span> {
    let mut out = Vec::with_capacity(spans.len());
    for s in spans {
        match s {
            Span::Text(t) => out.extend(in_text(&t)),
            Span::Bold(i) => out.push(Span::Bold(in_spans(i))),
            Span::Italic(i) => out.push(Span::Italic(in_spans(i))),
            Span::Strike(i) => out.push(Span::Strike(in_spans(i))),
            other => out.push(other),
        }
    }
    out
}

fn in_text(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut plain = 0;
    let mut i = 0;
    while i < text.len() {
        let found = email_at(text, i, plain).or_else(|| phone_at(text, i));
        if let Some((start, end, url)) = found {
            if start > plain {
                out.push(Span::Text(text[plain..start].to_owned()));
            }
            out.push(Span::Link {
                text: text[start..end].to_owned(),
                url,
            });
            plain = end;
            i = end;
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    if plain < text.len() {
        out.push(Span::Text(text[plain..].to_owned()));
    }
    out
}

fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// An e-mail address whose `@` is at byte `at`, starting at `from` or later (not inside the
/// link before it): where it starts and ends, and its `mailto:`.
fn email_at(text: &str, at: usize, from: usize) -> Option<(usize, usize, String)> {
    if text.as_bytes().get(at) != Some(&b'@') {
        return None;
    }
    let start = text[from..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| local_char(*c))
        .last()
        .map(|(i, _)| from + i)?;
    let after = &text[at + 1..];
    let mut len = after.find(|c: char| !host_char(c)).unwrap_or(after.len());
    while after[..len].ends_with(['.', '-']) {
        len -= 1;
    }
    let host = &after[..len];
    let tld = host.rsplit('.').next().unwrap_or_default();
    if !host.contains('.') || tld.len() < 2 || !tld.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let local = &text[start..at];
    if local.starts_with('.') || local.ends_with('.') {
        return None;
    }
    let end = at + 1 + len;
    Some((start, end, format!("mailto:{}", &text[start..end])))
}

/// A phone number starting at byte `at` (`+` or a digit, not inside a word or number): 7 to
/// 15 digits with spaces, `-`, `/` or `(0)` between them. Its `tel:` keeps `+` and digits.
fn phone_at(text: &str, at: usize) -> Option<(usize, usize, String)> {
    let first = text[at..].chars().next()?;
    if !(first == '+' || first.is_ascii_digit()) {
        return None;
    }
    if text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '+' | '-' | '/' | '.' | ',' | ':'))
    {
        return None;
    }
    let mut digits = String::new();
    if first == '+' {
        digits.push('+');
    }
    let mut last_digit_end = at;
    let mut gap = 0;
    let mut count = 0;
    for (i, c) in text[at..].char_indices() {
        if c.is_ascii_digit() {
            count += 1;
            // Longer than any phone number: stop reading (and no number of this run is one).
            if count > 15 {
                return None;
            }
            digits.push(c);
            last_digit_end = at + i + 1;
            gap = 0;
        } else if (c == '+' && i == 0) || (matches!(c, ' ' | '-' | '/' | '(' | ')') && gap == 0) {
            gap += 1;
        } else {
            break;
        }
    }
    // A year, a time or an amount is no phone number; nor is a number glued to a letter.
    if !(7..=15).contains(&count)
        || text[last_digit_end..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric)
    {
        return None;
    }
    Some((at, last_digit_end, format!("tel:{digits}")))
}

#[cfg(test)]
mod tests {
    use crate::markdown::{Span, inline};

    fn link(text: &str, url: &str) -> Span {
        Span::Link {
            text: text.into(),
            url: url.into(),
        }
    }

    #[test]
    fn plain_web_addresses_become_links_without_the_full_stop_after_them() {
        assert_eq!(
            inline("Siehe https://intranet.example/a_b_c. Oder www.sonnenschein.example!"),
            vec![
                Span::Text("Siehe ".into()),
                link(
                    "https://intranet.example/a_b_c",
                    "https://intranet.example/a_b_c"
                ),
                Span::Text(". Oder ".into()),
                link(
                    "www.sonnenschein.example",
                    "https://www.sonnenschein.example"
                ),
                Span::Text("!".into()),
            ]
        );
        assert_eq!(
            inline("(https://x.example/wiki/Rust_(language))"),
            vec![
                Span::Text("(".into()),
                link(
                    "https://x.example/wiki/Rust_(language)",
                    "https://x.example/wiki/Rust_(language)"
                ),
                Span::Text(")".into()),
            ]
        );
        // Not a host, and not in the middle of a word.
        assert_eq!(
            inline("http://localhost"),
            vec![Span::Text("http://localhost".into())]
        );
        assert_eq!(
            inline("xhttps://a.example"),
            vec![Span::Text("xhttps://a.example".into())]
        );
    }

    /// A member can send a line of megabytes; every recipient parses it to show it.
    #[test]
    fn text_that_only_looks_like_addresses_parses_in_linear_time() {
        for unit in [
            "(http://a",
            "-https://.x",
            "(www.a",
            "http://a.b",
            "https://x.example/(",
        ] {
            let text = unit.repeat(256 * 1024 / unit.len());
            let started = std::time::Instant::now();
            let _ = crate::markdown::parse(&text);
            let took = started.elapsed();
            assert!(
                took < std::time::Duration::from_secs(5),
                "{unit}… took {took:?}"
            );
        }
    }

    #[test]
    fn an_address_with_a_user_before_its_host_is_no_link_and_schemes_reach_the_apps_in_lower_case()
    {
        // No web link to evil.example in the name of the bank (what is left reads as the
        // e-mail address it is).
        assert!(
            !inline("https://www.sparkasse.de@evil.example/login")
                .iter()
                .any(|s| matches!(s, Span::Link { url, .. } if url.starts_with("http")))
        );
        assert_eq!(
            inline("HTTPS://Example.org/a"),
            vec![link("HTTPS://Example.org/a", "https://Example.org/a")]
        );
        assert!(
            inline("[https://bank.example](HTTPS://evil.example/login)")
                .contains(&link("https://bank.example", "https://evil.example/login"))
        );
    }

    /// Found by fuzzing: two addresses sharing letters must not both take them.
    #[test]
    fn an_address_never_takes_text_of_the_link_before_it() {
        let spans = inline("w@8.plw@8.plej");
        let shown: usize = spans
            .iter()
            .map(|s| match s {
                Span::Text(t) => t.len(),
                Span::Link { text, .. } => text.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(shown, "w@8.plw@8.plej".len());
    }

    #[test]
    fn e_mail_addresses_and_phone_numbers_become_mailto_and_tel_links() {
        assert_eq!(
            inline(
                "Mail an anna.schmidt@sonnenschein.example, Tel. +49 30 1234-567 oder 030 98765432."
            ),
            vec![
                Span::Text("Mail an ".into()),
                link(
                    "anna.schmidt@sonnenschein.example",
                    "mailto:anna.schmidt@sonnenschein.example"
                ),
                Span::Text(", Tel. ".into()),
                link("+49 30 1234-567", "tel:+49301234567"),
                Span::Text(" oder ".into()),
                link("030 98765432", "tel:03098765432"),
                Span::Text(".".into()),
            ]
        );
        // Years, times, amounts and short numbers stay text; so does code.
        for plain in [
            "am 12.01.2027 um 14:30",
            "Zimmer 12",
            "1.250,00 €",
            "Version 2024",
        ] {
            assert_eq!(inline(plain), vec![Span::Text(plain.into())], "{plain}");
        }
        assert_eq!(
            inline("`a@b.example`"),
            vec![Span::Code("a@b.example".into())]
        );
        assert_eq!(
            inline("**anna@x.example**"),
            vec![Span::Bold(vec![link(
                "anna@x.example",
                "mailto:anna@x.example"
            )])]
        );
    }
}

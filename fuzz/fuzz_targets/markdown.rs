//! The markdown subset of message texts (`kontor_client::markdown`), which every client parses
//! from what others wrote. Parsing never invents text: the strings it shows are pieces of the
//! input, so together they are never longer than it; a link leads only to a web page, an
//! e-mail address or a phone number (a plain address's target is made from its text).
#![no_main]

use kontor_client::markdown::{Block, Span, mentions, parse};
use libfuzzer_sys::fuzz_target;

fn span_len(spans: &[Span]) -> usize {
    spans
        .iter()
        .map(|s| match s {
            Span::Text(t) | Span::Code(t) => t.len(),
            Span::Bold(inner) | Span::Italic(inner) | Span::Strike(inner) => span_len(inner),
            Span::Link { text, url } => {
                let lower = url.to_ascii_lowercase();
                assert!(
                    ["https://", "http://", "mailto:", "tel:"]
                        .iter()
                        .any(|s| url.starts_with(s)),
                    "a link to {lower}"
                );
                if let Some(number) = url.strip_prefix("tel:") {
                    assert!(number.chars().all(|c| c.is_ascii_digit() || c == '+'));
                }
                text.len()
            }
            Span::Mention { name, .. } => name.len(),
        })
        .sum()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let blocks = parse(text);
    let len: usize = blocks
        .iter()
        .map(|b| match b {
            Block::Paragraph(s) | Block::Quote(s) | Block::ListItem(s) => span_len(s),
            Block::CodeBlock(code) => code.len(),
        })
        .sum();
    assert!(len <= text.len());
    let people = mentions(text);
    let mut unique = people.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), people.len(), "mentions are listed once");
});

//! Search on the device: the history this device decrypted, in every conversation or one.
//!
//! The server never sees a message's text, so this is the only place it can be searched.
//! Texts and queries are folded alike — lower case, diacritics off, `ß` → `ss`, markdown
//! read as it shows, everything but letters and digits one space — so "ubergabe" finds
//! "Übergabe" and "strasse" finds "Straße". Every word of the query must be a word of the
//! message; the last one only the start of one while the person is still typing it (no space
//! after it). What is found is the text as shown now: an edit's new text, never a deleted
//! message, never the edit, reaction or note itself. Results come newest first, at most
//! `limit` of them, with how many matched in all, each with a snippet and its marks.
//!
//! ```text
//!  query ──fold──► " w1 " … " wn"                 (whole words; the last one a prefix)
//!  message ──text now──► plain ──fold──► " a b c " ── contains every one? ──► hit
//!                                        (cached in memory, checked against edits)
//!  hit ──fold with offsets──► marks in the plain text ──► snippet with marks (in chars)
//! ```
//!
//! Nothing is added to the store: the history is in memory already, and a scan of its folded
//! texts takes about a millisecond for 10,000 messages (`bench/web/search.mjs`), where an
//! index on disk would have to be kept in step with every edit and deletion.

use crate::client::Client;
use crate::history::ChatMessage;
use crate::markdown::{self, Block, Span};
use kontor_proto::payload::Payload;
use kontor_proto::{ClientMsgId, ConversationId, PersonId};
use serde::Serialize;
use std::collections::HashMap;

#[cfg(test)]
mod tests;

/// At most this many words of a query count.
const MAX_WORDS: usize = 8;
/// How many characters a snippet shows at most (plus "…" where it is cut).
const SNIPPET_CHARS: usize = 120;
/// How many characters of context a snippet keeps before the first match.
const CONTEXT_CHARS: usize = 30;

/// One message found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SearchHit {
    pub conversation_id: ConversationId,
    pub seq: u64,
    pub sender_person: PersonId,
    /// When it was written (sender's clock, ms since 1970).
    pub sent_ms: i64,
    /// The text around the first match as it reads (markdown off, lines joined), with "…"
    /// where it is cut.
    pub snippet: String,
    /// Where the query matched in the snippet: `[start, end)` in characters (Unicode scalar
    /// values), in order, not overlapping.
    pub marks: Vec<(u32, u32)>,
}

/// What a search found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SearchResults {
    /// Newest first, at most the limit asked for.
    pub hits: Vec<SearchHit>,
    /// How many messages matched in all.
    pub total: u32,
}

/// A query, folded: the patterns a message's folded text must all contain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    words: Vec<String>,
    /// The last word may be the start of a word (the person is typing it).
    prefix: bool,
}

impl Query {
    pub fn parse(q: &str) -> Query {
        let folded = fold(q);
        let words: Vec<String> = folded
            .split(' ')
            .filter(|w| !w.is_empty())
            .take(MAX_WORDS)
            .map(str::to_owned)
            .collect();
        let prefix = q.chars().last().is_some_and(|c| {
            let mut f = String::new();
            fold_char(c, &mut f)
        });
        Query { words, prefix }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The patterns in a padded folded text: " word " for whole words, " wor" for the prefix.
    fn patterns(&self) -> Vec<String> {
        let last = self.words.len().saturating_sub(1);
        self.words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == last && self.prefix {
                    format!(" {w}")
                } else {
                    format!(" {w} ")
                }
            })
            .collect()
    }
}

/// The base letters of a lower-case letter with diacritics (Latin-1 and Latin Extended-A, and
/// the Romanian comma letters), or `None` when it has none.
fn base(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' | 'ſ' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// Combining diacritical marks (as in decomposed text: "u" + U+0308), which fold away.
fn is_combining(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}'
        | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

/// Folds one character onto `out`; whether it belongs to a word (a letter or digit, or a
/// mark that folds away inside one). Separators push nothing.
fn fold_char(c: char, out: &mut String) -> bool {
    let mut word = false;
    for l in c.to_lowercase() {
        if is_combining(l) {
            word = true;
        } else if let Some(b) = base(l) {
            out.push_str(b);
            word = true;
        } else if l.is_alphanumeric() {
            out.push(l);
            word = true;
        }
    }
    word
}

/// Folds a text into its words, one space between them and one at each end (" a b c "), so
/// that " word " finds a whole word and " wor" the start of one. With `starts`, it receives
/// for every byte of the result the byte offset in `text` of the character it came from.
fn fold_padded(text: &str, mut starts: Option<&mut Vec<usize>>) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    let mut space = true;
    for (i, c) in text.char_indices() {
        let before = out.len();
        if fold_char(c, &mut out) {
            space = space && out.len() == before;
        } else if !space {
            out.push(' ');
            space = true;
        }
        if let Some(s) = starts.as_deref_mut() {
            s.resize(out.len(), i);
        }
    }
    if !space {
        out.push(' ');
    }
    if let Some(s) = starts {
        s.resize(out.len(), text.len());
        s[0] = 0;
    }
    out
}

/// Folds a text for comparison: its words, lower case, without diacritics, one space between.
pub fn fold(text: &str) -> String {
    fold_padded(text, None).trim().to_owned()
}

/// A message's text as it reads: markdown markers off, mentions as "@Name", links by their
/// text, lines joined by spaces.
pub fn plain(text: &str) -> String {
    fn spans(s: &[Span], out: &mut String) {
        for span in s {
            match span {
                Span::Text(t) | Span::Code(t) => out.push_str(t),
                Span::Bold(i) | Span::Italic(i) | Span::Strike(i) => spans(i, out),
                Span::Link { text, .. } => out.push_str(text),
                Span::Mention { name, .. } => {
                    out.push('@');
                    out.push_str(name);
                }
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    for b in markdown::parse(text) {
        if !out.is_empty() {
            out.push(' ');
        }
        match b {
            Block::Paragraph(s) | Block::Quote(s) | Block::ListItem(s) => spans(&s, &mut out),
            Block::CodeBlock(code) => out.push_str(&code.replace('\n', " ")),
        }
    }
    out
}

/// A message's folded text, as it was when folded.
#[derive(Debug)]
struct Folded {
    id: ClientMsgId,
    edited: Option<String>,
    /// `None`: nothing to find (not a text: a reaction, an edit, a note).
    text: Option<Box<str>>,
}

/// The folded texts of the messages searched so far, kept in memory (never stored): built on
/// first use, and folded again when a message's text changed (an edit).
#[derive(Debug, Default)]
pub struct SearchCache {
    folded: HashMap<(ConversationId, u64), Folded>,
}

impl SearchCache {
    /// The folded text of a message that can be found, or `None`.
    fn text(&mut self, m: &ChatMessage) -> Option<&str> {
        if m.deleted {
            return None;
        }
        let key = (m.envelope.conversation_id, m.seq);
        let fresh = self
            .folded
            .get(&key)
            .is_some_and(|f| f.id == m.envelope.client_msg_id && f.edited == m.edited);
        if !fresh {
            let text = matches!(m.payload(), Payload::Text { .. } | Payload::Poll { .. })
                .then(|| fold_padded(&plain(&m.text()), None).into_boxed_str());
            let f = Folded {
                id: m.envelope.client_msg_id,
                edited: m.edited.clone(),
                text,
            };
            self.folded.insert(key, f);
        }
        self.folded.get(&key).and_then(|f| f.text.as_deref())
    }

    /// The messages among `messages` that match `query`, newest first, at most `limit`.
    pub fn search<'a>(
        &mut self,
        messages: impl IntoIterator<Item = &'a ChatMessage>,
        query: &str,
        limit: usize,
    ) -> SearchResults {
        let query = Query::parse(query);
        if query.is_empty() {
            return SearchResults::default();
        }
        let patterns = query.patterns();
        let mut found: Vec<&ChatMessage> = messages
            .into_iter()
            .filter(|m| {
                self.text(m)
                    .is_some_and(|t| patterns.iter().all(|p| t.contains(p.as_str())))
            })
            .collect();
        let total = u32::try_from(found.len()).unwrap_or(u32::MAX);
        let newest = |m: &&ChatMessage| {
            (
                std::cmp::Reverse(m.envelope.sent_at),
                std::cmp::Reverse(m.seq),
                m.envelope.conversation_id,
            )
        };
        if found.len() > limit && limit > 0 {
            found.select_nth_unstable_by_key(limit - 1, newest);
        }
        found.truncate(limit);
        found.sort_unstable_by_key(newest);
        let hits = found.into_iter().map(|m| hit(m, &patterns)).collect();
        SearchResults { hits, total }
    }

    /// About how many bytes the folded texts take in memory.
    pub fn bytes(&self) -> usize {
        self.folded
            .values()
            .map(|f| {
                std::mem::size_of::<((ConversationId, u64), Folded)>()
                    + f.text.as_ref().map_or(0, |t| t.len())
                    + f.edited.as_ref().map_or(0, String::capacity)
            })
            .sum()
    }
}

/// Where the patterns match in a plain text: byte ranges, in order, merged.
fn marks(plain: &str, patterns: &[String]) -> Vec<(usize, usize)> {
    let mut starts = Vec::new();
    let folded = fold_padded(plain, Some(&mut starts));
    let end_of = |b: usize| {
        let s = starts[b];
        s + plain[s..].chars().next().map_or(0, char::len_utf8)
    };
    let mut out: Vec<(usize, usize)> = Vec::new();
    for p in patterns {
        let word = p.trim();
        // Overlapping too: " a " twice in " a a ".
        let mut from = 0;
        while let Some(at) = folded[from..].find(p.as_str()).map(|i| i + from) {
            let (a, b) = (at + 1, at + 1 + word.len());
            out.push((starts[a], end_of(b - 1)));
            from = at + 1;
        }
    }
    out.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(out.len());
    for (a, b) in out {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// A found message with its snippet.
fn hit(m: &ChatMessage, patterns: &[String]) -> SearchHit {
    let text = plain(&m.text());
    let (snippet, marks) = snippet(&text, &marks(&text, patterns));
    SearchHit {
        conversation_id: m.envelope.conversation_id,
        seq: m.seq,
        sender_person: m.envelope.sender_person,
        sent_ms: m.envelope.sent_at,
        snippet,
        marks,
    }
}

/// The part of `text` around its first mark, and the marks in it, in characters.
fn snippet(text: &str, marks: &[(usize, usize)]) -> (String, Vec<(u32, u32)>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |byte: usize| chars.partition_point(|(i, _)| *i < byte);
    let marks: Vec<(usize, usize)> = marks.iter().map(|&(a, b)| (at(a), at(b))).collect();
    let total = chars.len();
    let (mut start, mut end) = (0, total);
    if total > SNIPPET_CHARS {
        let first = marks.first().map_or((0, 0), |m| *m);
        start = first.0.saturating_sub(CONTEXT_CHARS);
        if start > 0
            && let Some(space) = (start..first.0).find(|&i| chars[i].1.is_whitespace())
        {
            start = space + 1;
        }
        end = (start + SNIPPET_CHARS).min(total);
        if end < total
            && let Some(space) = (first.1..end).rev().find(|&i| chars[i].1.is_whitespace())
        {
            end = space;
        }
    }
    let lead = usize::from(start > 0);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(chars[start..end].iter().map(|(_, c)| c));
    if end < total {
        out.push('…');
    }
    let shown = marks
        .iter()
        .filter(|(a, b)| *a >= start && *b <= end)
        .map(|&(a, b)| {
            let n = |x: usize| u32::try_from(x - start + lead).unwrap_or(u32::MAX);
            (n(a), n(b))
        })
        .collect();
    (out, shown)
}

impl Client {
    /// Searches the history on this device: in one conversation, or in every one (`None`).
    /// Newest first, at most `limit` hits, with how many matched in all.
    pub fn search(
        &mut self,
        query: &str,
        conv: Option<ConversationId>,
        limit: usize,
    ) -> SearchResults {
        let mut cache = std::mem::take(&mut self.search_cache);
        let convs: Vec<ConversationId> = match conv {
            Some(c) => vec![c],
            None => self.conversations().map(|c| c.id).collect(),
        };
        let results = cache.search(convs.iter().flat_map(|c| self.messages(*c)), query, limit);
        self.search_cache = cache;
        results
    }

    /// About how many bytes search keeps in memory (the folded texts; nothing is stored).
    pub fn search_memory(&self) -> usize {
        self.search_cache.bytes()
    }
}

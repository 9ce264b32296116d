//! Directory search: folding for case- and umlaut-insensitive matching, and ranking.
//!
//! Each person has a search text in the directory index: every searchable field, folded twice
//! ("Müller" becomes both "mueller" and "muller"), so that people who type "Muller",
//! "Mueller" or "müller" all find her. A query term is folded the German way ("ü" → "ue"),
//! which matches the first form, or typed without umlauts, which matches the second.
//! Candidates come from the database (`LIKE` on the folded text, every term must match);
//! ranking happens here, by the field a term matched: name before competence before job title
//! before team, language and place.

use unicode_normalization::UnicodeNormalization;

/// Lower-cases and replaces German umlauts and ß the German way (ä → ae), strips other
/// diacritics (é → e) and collapses everything that is not a letter or digit into one space.
pub fn fold(s: &str) -> String {
    fold_with(s, true)
}

/// Like [`fold`], but umlauts lose their dots (ä → a), as people type them on a foreign
/// keyboard.
pub fn fold_plain(s: &str) -> String {
    fold_with(s, false)
}

fn fold_with(s: &str, german: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.chars().flat_map(char::to_lowercase) {
        let replaced: Option<&str> = match c {
            'ä' => Some(if german { "ae" } else { "a" }),
            'ö' => Some(if german { "oe" } else { "o" }),
            'ü' => Some(if german { "ue" } else { "u" }),
            'ß' => Some("ss"),
            _ => None,
        };
        if let Some(r) = replaced {
            out.push_str(r);
            space = false;
            continue;
        }
        for d in c.nfd() {
            if unicode_normalization::char::is_combining_mark(d) {
                continue;
            }
            if d.is_alphanumeric() {
                out.push(d);
                space = false;
            } else if !space {
                out.push(' ');
                space = true;
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// A name's skeleton: what it looks like, for telling whether two names could be taken for
/// each other (after UTS #39's idea, with a small table): compatibility forms and diacritics
/// go, case goes, letters of other scripts that look like Latin ones become those, and so do
/// `0`, `1`, `I`/`l` and `rn`/`vv`; everything but letters and digits goes.
pub fn skeleton(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd().flat_map(char::to_lowercase) {
        if unicode_normalization::char::is_combining_mark(c) || !c.is_alphanumeric() {
            continue;
        }
        let mapped: &str = match c {
            'а' | 'α' => "a",
            'в' | 'β' | 'ь' => "b",
            'с' | 'ϲ' => "c",
            'ԁ' | 'đ' => "d",
            'е' | 'ё' | 'ε' | 'є' => "e",
            'һ' | 'н' | 'ħ' => "h",
            'і' | 'ї' | 'ι' | 'ı' | 'i' | 'l' | 'ł' | 'ӏ' | '1' => "l",
            'ј' => "j",
            'к' | 'κ' => "k",
            'м' => "m",
            'η' | 'п' => "n",
            'о' | 'ο' | 'σ' | 'ø' | '0' => "o",
            'р' | 'ρ' => "p",
            'ԛ' => "q",
            'ѕ' | 'ſ' => "s",
            'т' | 'τ' => "t",
            'υ' | 'μ' => "u",
            'ν' => "v",
            'ԝ' | 'ω' => "w",
            'х' | 'χ' => "x",
            'у' | 'γ' => "y",
            'ζ' => "z",
            'ß' => "ss",
            'æ' => "ae",
            'œ' => "oe",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(mapped);
    }
    out.replace("rn", "m").replace("vv", "w")
}

/// The searchable fields of a person.
#[derive(Clone, Debug, Default)]
pub struct Searchable<'a> {
    pub display_name: &'a str,
    pub email: &'a str,
    pub job_title: &'a str,
    pub competences: &'a [String],
    pub languages: &'a [String],
    pub location: &'a str,
    pub phone_extension: &'a str,
    pub team_names: &'a [String],
}

impl Searchable<'_> {
    /// The text the directory index searches: every field in both foldings.
    pub fn search_text(&self) -> String {
        let mut parts: Vec<&str> = vec![
            self.display_name,
            self.email,
            self.job_title,
            self.location,
            self.phone_extension,
        ];
        parts.extend(self.competences.iter().map(String::as_str));
        parts.extend(self.languages.iter().map(String::as_str));
        parts.extend(self.team_names.iter().map(String::as_str));
        let joined = parts.join(" | ");
        let german = fold(&joined);
        let plain = fold_plain(&joined);
        if german == plain {
            format!(" {german} ")
        } else {
            format!(" {german} | {plain} ")
        }
    }

    /// What the competence, language and place filters look at, folded.
    pub fn facets(&self) -> Facets {
        let both = |v: &str| [fold(v), fold_plain(v)];
        Facets {
            competences: self.competences.iter().map(|c| both(c)).collect(),
            languages: self.languages.iter().map(|l| both(l)).collect(),
            places: Some(self.location)
                .filter(|l| !l.trim().is_empty())
                .map(both)
                .into_iter()
                .collect(),
        }
    }
}

/// A person's competences, languages and place, each folded both ways (German, then plain),
/// in the order of the profile.
#[derive(Clone, Debug, Default)]
pub struct Facets {
    pub competences: Vec<[String; 2]>,
    pub languages: Vec<[String; 2]>,
    pub places: Vec<[String; 2]>,
}

/// What a facet filter looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FacetKind {
    Competence,
    Language,
    Place,
}

/// One filter on a facet: a competence by prefix (of the competence or of one of its words,
/// as people type a competence they look for), a language and a place exactly (a prefix of
/// "Köln" is not a place). Both ignore case and umlauts: the value is folded the German way,
/// which matches the German folding ("über" and "ueber"), or is typed without umlauts, which
/// matches the plain one ("uber").
#[derive(Clone, Debug)]
pub struct FacetFilter {
    kind: FacetKind,
    value: String,
}

impl FacetFilter {
    pub fn new(kind: FacetKind, value: &str) -> FacetFilter {
        FacetFilter {
            kind,
            value: fold(value),
        }
    }

    /// Does a person with these facets pass? A value with nothing to fold (only
    /// punctuation) finds nobody.
    pub fn matches(&self, f: &Facets) -> bool {
        if self.value.is_empty() {
            return false;
        }
        let values = match self.kind {
            FacetKind::Competence => &f.competences,
            FacetKind::Language => &f.languages,
            FacetKind::Place => &f.places,
        };
        values.iter().flatten().any(|v| match self.kind {
            FacetKind::Competence => starts_a_word(v, &self.value),
            FacetKind::Language | FacetKind::Place => *v == self.value,
        })
    }
}

/// Whether the folded `field`, or one of its words, starts with the folded `prefix`.
pub fn starts_a_word(field: &str, prefix: &str) -> bool {
    field.starts_with(prefix)
        || field
            .match_indices(prefix)
            .any(|(i, _)| field[..i].ends_with(' '))
}

/// Splits a query into folded terms (at most 8, each at least one character).
pub fn query_terms(q: &str) -> Vec<String> {
    fold(q)
        .split(' ')
        .filter(|t| !t.is_empty())
        .take(8)
        .map(str::to_owned)
        .collect()
}

/// The fields that ranking looks at, folded once.
#[derive(Clone, Debug, Default)]
pub struct Ranked {
    names: [String; 2],
    title: String,
    competences: Vec<String>,
    others: Vec<String>,
}

impl Ranked {
    pub fn new(p: &Searchable<'_>) -> Ranked {
        Ranked {
            names: [fold(p.display_name), fold_plain(p.display_name)],
            title: fold(p.job_title),
            competences: p.competences.iter().map(|c| fold(c)).collect(),
            others: p
                .languages
                .iter()
                .map(|l| fold(l))
                .chain(std::iter::once(fold(p.location)))
                .collect(),
        }
    }

    /// How well the person matches the query terms; higher is better.
    pub fn score(&self, terms: &[String]) -> u32 {
        let mut total = 0;
        for term in terms {
            let mut best = 1; // matched somewhere (team, e-mail, extension)
            for n in &self.names {
                best = best.max(word_score(term, n, 100, 70, 30));
            }
            for c in &self.competences {
                best = best.max(word_score(term, c, 90, 60, 40));
            }
            best = best.max(word_score(term, &self.title, 50, 40, 25));
            for o in &self.others {
                best = best.max(word_score(term, o, 20, 15, 10));
            }
            total += best;
        }
        total
    }
}

/// How well a person matches the query terms; higher is better.
pub fn score(terms: &[String], p: &Searchable<'_>) -> u32 {
    Ranked::new(p).score(terms)
}

/// `exact` if a word of `field` equals `term` (or the whole field does), `prefix` if a word
/// starts with it, `inner` if it occurs anywhere.
fn word_score(term: &str, field: &str, exact: u32, prefix: u32, inner: u32) -> u32 {
    if field == term || field.split(' ').any(|w| w == term) {
        exact
    } else if field.starts_with(term) || field.split(' ').any(|w| w.starts_with(term)) {
        prefix
    } else if field.contains(term) {
        inner
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alike_names_share_a_skeleton() {
        let anna = skeleton("Anna Schmidt");
        for alike in [
            "\u{0410}nna Schmidt",
            "anna  schmidt",
            "Anna-Schmidt",
            "Ánna Schmídt",
            "Αnnа Sсhmidt",
            "Anna Schrnidt",
        ] {
            assert_eq!(skeleton(alike), anna, "{alike}");
        }
        assert_eq!(skeleton("Ian"), skeleton("lan"));
        assert_ne!(skeleton("Anna Schmidt"), skeleton("Anne Schmidt"));
    }

    #[test]
    fn folding_handles_umlauts_case_and_accents() {
        assert_eq!(
            fold("Jürgen MÜLLER-Lüdenscheidt"),
            "juergen mueller luedenscheidt"
        );
        assert_eq!(fold_plain("Jürgen Müller"), "jurgen muller");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("  Renée  Señor "), "renee senor");
        assert_eq!(fold("ÄÖÜ äöü"), "aeoeue aeoeue");
    }

    #[test]
    fn search_text_carries_both_foldings() {
        let comps = vec!["Wundversorgung".to_owned()];
        let s = Searchable {
            display_name: "Jürgen Müller",
            competences: &comps,
            ..Default::default()
        };
        let text = s.search_text();
        assert!(text.contains("mueller"));
        assert!(text.contains("muller"));
        assert!(text.contains("wundversorgung"));
    }

    #[test]
    fn competence_outranks_team_and_title() {
        let terms = query_terms("Wundversorgung");
        let comps = vec!["Wundversorgung".to_owned()];
        let nurse = Searchable {
            display_name: "Clara Krause",
            competences: &comps,
            ..Default::default()
        };
        let teams = vec!["Wundversorgung".to_owned()];
        let in_team = Searchable {
            display_name: "Bernd Berg",
            team_names: &teams,
            ..Default::default()
        };
        assert!(score(&terms, &nurse) > score(&terms, &in_team));
    }
}

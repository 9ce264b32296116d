//! Parse, don't validate: untrusted input becomes trusted values only through these functions.
//! Each returns the cleaned value or an [`ApiError`] naming the field.

use crate::error::ApiError;
use kontor_proto::ErrorCode;

/// Control characters, and the invisible format characters that let a name pretend to be
/// another (bidirectional overrides, zero-width characters, byte-order marks).
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{2800}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0D}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E007F}')
}

fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() || is_hidden(c))
}

/// A single-line text, trimmed, `min..=max` characters, without control characters.
pub fn line(field: &str, value: &str, min: usize, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min || n > max || has_control(v) {
        return Err(ApiError::invalid(field));
    }
    Ok(v.to_owned())
}

/// A multi-line text of at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.chars().count() > max
        || v.chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_hidden(c))
    {
        return Err(ApiError::invalid(field));
    }
    Ok(v.to_owned())
}

/// An e-mail address, lower-cased. Deliberately simple: one `@`, a dot in the domain, no
/// spaces.
pub fn email(field: &str, value: &str) -> Result<String, ApiError> {
    let v = value.trim().to_lowercase();
    let ok = (3..=254).contains(&v.len())
        && !has_control(&v)
        && !v.chars().any(char::is_whitespace)
        && match v.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            }
            None => false,
        };
    if ok {
        Ok(v)
    } else {
        Err(ApiError::invalid(field))
    }
}

/// A person's display name: a line with at least one visible letter (a name of dots, emoji
/// or blank fillers tells nobody who it is).
pub fn display_name(value: &str) -> Result<String, ApiError> {
    let v = line("display_name", value, 1, 100)?;
    if !v.chars().any(char::is_alphabetic) {
        return Err(ApiError::invalid("display_name"));
    }
    Ok(v)
}

/// The most characters under an installed app's icon before the phone cuts it.
pub const APP_NAME_MAX: usize = 12;

/// The organisation's name under the installed app's icon: composed (NFC, so that an umlaut
/// typed as two code points counts once), at most [`APP_NAME_MAX`] characters with a visible
/// letter; `None` for empty (the default).
pub fn app_name(value: &str) -> Result<Option<String>, ApiError> {
    use unicode_normalization::UnicodeNormalization;
    let v: String = value.trim().nfc().collect();
    if v.is_empty() {
        return Ok(None);
    }
    let v = line("app_name", &v, 1, APP_NAME_MAX)?;
    if !v.chars().any(char::is_alphabetic) {
        return Err(ApiError::invalid("app_name"));
    }
    Ok(Some(v))
}

/// A list of short labels (competences, languages): trimmed, without duplicates (ignoring
/// case), at most 30 of at most 60 characters.
pub fn labels(field: &str, values: &[String]) -> Result<Vec<String>, ApiError> {
    if values.len() > 30 {
        return Err(ApiError::invalid(field));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        let v = line(field, v, 1, 60)?;
        if !out.iter().any(|o| o.to_lowercase() == v.to_lowercase()) {
            out.push(v);
        }
    }
    Ok(out)
}

/// A phone extension: digits, spaces, `+`, `-`, `/`, `(`, `)`; at most 32 characters.
pub fn phone_extension(value: &str) -> Result<String, ApiError> {
    let v = line("phone_extension", value, 0, 32)?;
    if v.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '/' | '(' | ')'))
    {
        Ok(v)
    } else {
        Err(ApiError::invalid("phone_extension"))
    }
}

/// A device platform label: `[a-z0-9._-]`, 1..=32.
pub fn platform(value: &str) -> Result<String, ApiError> {
    let v = value.trim().to_lowercase();
    if (1..=32).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        Ok(v)
    } else {
        Err(ApiError::invalid("device.platform"))
    }
}

/// An organisation's slug from its name: folded, dashes between words, at most 48 characters.
/// A colour `#rrggbb` (lower-cased); an empty string means "the default" (`None`).
pub fn color(field: &str, value: &str) -> Result<Option<String>, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let hex = v.strip_prefix('#').unwrap_or("");
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(Some(format!("#{}", hex.to_ascii_lowercase())))
    } else {
        Err(ApiError::invalid(field))
    }
}

pub fn slug_of(name: &str) -> String {
    let folded = crate::search::fold(name).replace(' ', "-");
    let cut: String = folded.chars().take(48).collect();
    let cut = cut.trim_end_matches('-').to_owned();
    if cut.is_empty() {
        "org".to_owned()
    } else {
        cut
    }
}

/// A new password (the rules are in [`crate::password`]).
pub fn new_password(field: &str, value: &str, context: &[&str]) -> Result<(), ApiError> {
    crate::password::check_new(value, context).map_err(|code| ApiError::field(code, field))
}

/// A page size: `default` if absent, else 1..=`max`.
pub fn limit(value: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    match value {
        None => Ok(default),
        Some(v) if (1..=max).contains(&v) => Ok(v),
        Some(_) => Err(ApiError::field(ErrorCode::InvalidInput, "limit")),
    }
}

/// A profile change, every present field validated.
pub fn profile(
    p: &kontor_proto::api::ProfilePatch,
) -> Result<kontor_proto::api::ProfilePatch, ApiError> {
    Ok(kontor_proto::api::ProfilePatch {
        display_name: p.display_name.as_deref().map(display_name).transpose()?,
        job_title: p
            .job_title
            .as_deref()
            .map(|v| line("job_title", v, 0, 100))
            .transpose()?,
        competences: p
            .competences
            .as_deref()
            .map(|v| labels("competences", v))
            .transpose()?,
        languages: p
            .languages
            .as_deref()
            .map(|v| labels("languages", v))
            .transpose()?,
        location: p
            .location
            .as_deref()
            .map(|v| line("location", v, 0, 100))
            .transpose()?,
        phone_extension: p
            .phone_extension
            .as_deref()
            .map(phone_extension)
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            email("e", " Anna@Sonnenschein.Example ").unwrap(),
            "anna@sonnenschein.example"
        );
        for bad in [
            "", "anna", "anna@", "@x.de", "a b@x.de", "a@x", "a@@x.de", "a@x..de", "a@.x.de",
        ] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_refuse_invisible_characters() {
        assert!(display_name("Anna\u{202E}tdimhcS").is_err());
        assert!(display_name("An\u{200B}na").is_err());
        assert!(display_name("Zoë Ñúñez 🌻").is_ok());
        for blank in [
            "\u{3164}",
            "\u{2800}",
            "🌻",
            "...",
            "An\u{034F}na",
            "A\u{E0041}",
        ] {
            assert!(display_name(blank).is_err(), "{blank:?}");
        }
        assert!(text("description", "zwei\nZeilen", 100).is_ok());
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug_of("Pflegedienst Sonnenschein"),
            "pflegedienst-sonnenschein"
        );
        assert_eq!(
            slug_of("Bäckerei Müller & Söhne GmbH"),
            "baeckerei-mueller-soehne-gmbh"
        );
        assert_eq!(slug_of("!!!"), "org");
    }

    #[test]
    fn labels_dedupe_and_cap() {
        let v = vec![
            "Wundversorgung".to_owned(),
            "wundversorgung".to_owned(),
            " Palliativ ".to_owned(),
        ];
        assert_eq!(
            labels("c", &v).unwrap(),
            vec!["Wundversorgung", "Palliativ"]
        );
        assert!(labels("c", &vec!["x".to_owned(); 31]).is_err());
        assert!(labels("c", &["".to_owned()]).is_err());
    }
}

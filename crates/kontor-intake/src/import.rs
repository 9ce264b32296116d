//! A CSV file of people to invite (`POST /invitations/import`), read into lines of named
//! fields before anything in it is checked.
//!
//! Files come from spreadsheets, as a German office saves them:
//!
//! ```text
//!  bytes ─► text ─────────────────► header line ─────────────► columns ──────────► rows
//!   UTF-8 if all of it is,           `;` if it has more          English or German   one per
//!   else Windows-1252 (Excel);       semicolons than commas,     name, any case;     line, on
//!   a UTF-8 byte-order mark goes     else `,`                    unknown refuses     its own
//! ```
//!
//! A file is one encoding (a spreadsheet writes it whole), so it is read as Windows-1252 once
//! any byte is not UTF-8: `Müller` saved by Excel as `M 0xFC ller` stays `Müller`. The first
//! line names the columns ([`ImportColumn`]; `email` and `display_name` are required; names
//! are compared trimmed and in lower case, without spaces, dashes, dots and underscores, so
//! `E-Mail`, `Email`, `e_mail` are one). A name Kontor does not know refuses the file, naming
//! it, rather than dropping a column the admin meant. One person per line: a field never
//! spans lines, so every line is read on its own and a broken one (an unterminated quote)
//! cannot swallow the lines after it.

use kontor_proto::api::OrgRole;
pub use kontor_proto::import::ImportColumn;

/// The most lines one import takes.
pub const MAX_LINES: usize = 5000;

/// The most characters of an unknown header that a refusal repeats.
const MAX_NAMED: usize = 60;

/// Why an import file is refused as a whole.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Empty, or its first line is not CSV.
    #[error("no header line")]
    NoHeader,
    /// The header names a column Kontor does not know (as written, at most 60 characters).
    #[error("unknown column")]
    UnknownColumn(String),
    /// The header lacks a required column.
    #[error("a required column is missing")]
    MissingColumn(ImportColumn),
    /// The header names a column twice (`email` and `E-Mail`).
    #[error("a column is named twice")]
    DuplicateColumn(ImportColumn),
    /// More than [`MAX_LINES`] lines that are not blank.
    #[error("more lines than one import takes")]
    TooManyLines,
}

/// An import file: its columns and its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportFile {
    /// The column of each header field, in order; `None` where the header field is empty
    /// (spreadsheets add such at the end). Each column is there at most once.
    pub columns: Vec<Option<ImportColumn>>,
    /// Every line after the header that is not blank, in order.
    pub rows: Vec<Row>,
}

/// One line of an import file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Its line number in the file, from 1 (the header).
    pub line: usize,
    /// Its fields, trimmed; `None` when the line is not CSV (an unterminated quote).
    pub fields: Option<Vec<String>>,
}

impl ImportFile {
    /// Reads an uploaded file.
    pub fn read(bytes: &[u8]) -> Result<ImportFile, ImportError> {
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let text = decode(bytes);
        let mut lines = text.lines().enumerate();
        let (_, header) = lines.next().ok_or(ImportError::NoHeader)?;
        let delimiter = if header.matches(';').count() > header.matches(',').count() {
            b';'
        } else {
            b','
        };
        let mut columns = Vec::new();
        for name in fields(header, delimiter).ok_or(ImportError::NoHeader)? {
            if name.is_empty() {
                columns.push(None);
                continue;
            }
            let column = column_of(&name).ok_or_else(|| {
                ImportError::UnknownColumn(name.chars().take(MAX_NAMED).collect())
            })?;
            if columns.contains(&Some(column)) {
                return Err(ImportError::DuplicateColumn(column));
            }
            columns.push(Some(column));
        }
        if let Some(missing) = ImportColumn::ALL
            .into_iter()
            .find(|c| c.required() && !columns.contains(&Some(*c)))
        {
            return Err(ImportError::MissingColumn(missing));
        }
        // The whole file is read first: an oversized one is refused before anything is done.
        let rows: Vec<Row> = lines
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| Row {
                line: i + 1,
                fields: fields(l, delimiter),
            })
            .take(MAX_LINES + 1)
            .collect();
        if rows.len() > MAX_LINES {
            return Err(ImportError::TooManyLines);
        }
        Ok(ImportFile { columns, rows })
    }

    /// The field of a column in a row's fields, if the file has the column and the field is
    /// not empty.
    pub fn field<'a>(&self, fields: &'a [String], column: ImportColumn) -> Option<&'a str> {
        let at = self.columns.iter().position(|c| *c == Some(column))?;
        fields.get(at).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// The column a header names, in English or German, or one of the usual variants.
fn column_of(header: &str) -> Option<ImportColumn> {
    use ImportColumn::*;
    let key: String = header
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
        .collect();
    Some(match key.as_str() {
        "email" | "mail" | "emailadresse" | "mailadresse" | "emailaddress" => Email,
        "name" | "displayname" | "anzeigename" => DisplayName,
        "role" | "rolle" => Role,
        "teams" | "team" => Teams,
        "jobtitle" | "berufsbezeichnung" => JobTitle,
        "competences" | "kompetenzen" => Competences,
        "languages" | "sprachen" => Languages,
        "location" | "standort" => Location,
        "phoneextension" | "extension" | "durchwahl" => PhoneExtension,
        _ => return None,
    })
}

/// The role a `role` field names, in English or German, in any case.
pub fn role_of(value: &str) -> Option<OrgRole> {
    Some(match value.trim().to_lowercase().as_str() {
        "owner" | "inhaber" | "inhaberin" | "eigentümer" | "eigentümerin" => OrgRole::Owner,
        "admin" | "administrator" | "administratorin" => OrgRole::Admin,
        "member" | "mitglied" => OrgRole::Member,
        "guest" | "gast" => OrgRole::Guest,
        _ => return None,
    })
}

/// The text of a file: UTF-8 if all of it is, else Windows-1252.
fn decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.into(),
        Err(_) => bytes
            .iter()
            .map(|&b| windows_1252(b))
            .collect::<String>()
            .into(),
    }
}

/// A Windows-1252 byte: Latin-1, except for the printable characters at 0x80–0x9F (the five
/// bytes Windows-1252 leaves free stay the control characters they are in Latin-1, as in the
/// WHATWG encoding standard that browsers follow).
fn windows_1252(b: u8) -> char {
    const C1: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => C1[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// The fields of one line, or `None` when it is not CSV.
fn fields(line: &str, delimiter: u8) -> Option<Vec<String>> {
    if line.matches('"').count() % 2 == 1 {
        return None;
    }
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_reader(line.as_bytes())
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ImportColumn::*;

    #[test]
    fn reads_columns_by_name_with_either_delimiter() {
        let file = ImportFile::read(
            "\u{feff}Email;Display Name\n\nanna@example.com; Anna Schmidt \n".as_bytes(),
        )
        .unwrap();
        assert_eq!(file.columns, [Some(Email), Some(DisplayName)]);
        assert_eq!(file.rows.len(), 1);
        assert_eq!(file.rows[0].line, 3);
        let fields = file.rows[0].fields.as_deref().unwrap();
        assert_eq!(file.field(fields, DisplayName), Some("Anna Schmidt"));
        assert_eq!(file.field(fields, Role), None);
        let file =
            ImportFile::read(b"email,name,teams\nben@example.com,Ben,\"Sales;Support\"\n").unwrap();
        let fields = file.rows[0].fields.as_deref().unwrap();
        assert_eq!(file.field(fields, Teams), Some("Sales;Support"));
        assert_eq!(file.field(fields, Email), Some("ben@example.com"));
    }

    #[test]
    fn german_headers_name_the_same_columns_as_english_ones() {
        let file = ImportFile::read(
            "Name,E-Mail,Rolle,Teams,Berufsbezeichnung,Kompetenzen,Sprachen,Standort,Durchwahl\n"
                .as_bytes(),
        )
        .unwrap();
        let all: Vec<_> = [
            DisplayName,
            Email,
            Role,
            Teams,
            JobTitle,
            Competences,
            Languages,
            Location,
            PhoneExtension,
        ]
        .map(Some)
        .into();
        assert_eq!(file.columns, all);
        // Case and surrounding spaces do not matter; the usual ways of writing e-mail do not.
        for header in [
            "email",
            " E-MAIL ",
            "Mail",
            "E-Mail-Adresse",
            "e_mail",
            "Email Address",
        ] {
            let file = ImportFile::read(format!("{header};name\n").as_bytes()).unwrap();
            assert_eq!(file.columns, [Some(Email), Some(DisplayName)], "{header}");
        }
        let file =
            ImportFile::read(b"display_name,email,role,job_title,phone_extension\n").unwrap();
        assert_eq!(
            file.columns,
            [
                Some(DisplayName),
                Some(Email),
                Some(Role),
                Some(JobTitle),
                Some(PhoneExtension)
            ]
        );
    }

    #[test]
    fn roles_are_read_in_english_and_german() {
        for (value, role) in [
            ("member", OrgRole::Member),
            ("Mitglied", OrgRole::Member),
            ("admin", OrgRole::Admin),
            ("Administrator", OrgRole::Admin),
            ("Administratorin", OrgRole::Admin),
            (" ADMIN ", OrgRole::Admin),
            ("owner", OrgRole::Owner),
            ("Inhaber", OrgRole::Owner),
            ("Inhaberin", OrgRole::Owner),
            ("Eigentümer", OrgRole::Owner),
            ("guest", OrgRole::Guest),
            ("Gast", OrgRole::Guest),
        ] {
            assert_eq!(role_of(value), Some(role), "{value}");
        }
        assert_eq!(role_of("Chef"), None);
    }

    #[test]
    fn an_excel_export_with_semicolons_a_bom_and_windows_1252_keeps_its_umlauts() {
        // What Excel on a German Windows saves as "CSV (Trennzeichen-getrennt)": semicolons,
        // CRLF, Windows-1252 (ü = 0xFC, ß = 0xDF, € = 0x80, „ = 0x84).
        let mut bytes = b"Name;E-Mail;Rolle;Standort;Kompetenzen\r\n".to_vec();
        bytes.extend_from_slice(b"J\xfcrgen M\xfcller;jm@example.com;Eigent\xfcmer;Stra\xdfe 1;\"Budget \x80;\x84Pflege\x93\"\r\n");
        let file = ImportFile::read(&bytes).unwrap();
        assert_eq!(
            file.columns,
            [
                Some(DisplayName),
                Some(Email),
                Some(Role),
                Some(Location),
                Some(Competences)
            ]
        );
        let fields = file.rows[0].fields.as_deref().unwrap();
        assert_eq!(file.field(fields, DisplayName), Some("Jürgen Müller"));
        assert_eq!(file.field(fields, Location), Some("Straße 1"));
        assert_eq!(file.field(fields, Competences), Some("Budget €;„Pflege“"));
        assert_eq!(
            role_of(file.field(fields, Role).unwrap()),
            Some(OrgRole::Owner)
        );
        // The same saved as UTF-8 with a byte-order mark reads the same.
        let utf8 = "\u{feff}Name;E-Mail\r\nJürgen Müller;jm@example.com\r\n";
        let file = ImportFile::read(utf8.as_bytes()).unwrap();
        let fields = file.rows[0].fields.as_deref().unwrap();
        assert_eq!(file.field(fields, DisplayName), Some("Jürgen Müller"));
    }

    #[test]
    fn the_delimiter_is_what_the_header_has_more_of() {
        // A German header with a comma in a quoted name still splits on semicolons.
        let file = ImportFile::read(
            "E-Mail;Name;Standort\na@example.com;\"Weber, Anna\";Köln\n".as_bytes(),
        )
        .unwrap();
        let fields = file.rows[0].fields.as_deref().unwrap();
        assert_eq!(file.field(fields, DisplayName), Some("Weber, Anna"));
        let file = ImportFile::read(b"email,name\na@example.com,\"A;B\"\n").unwrap();
        let fields = file.rows[0].fields.as_deref().unwrap();
        assert_eq!(file.field(fields, DisplayName), Some("A;B"));
    }

    #[test]
    fn an_unknown_header_refuses_the_file_and_names_it() {
        assert_eq!(
            ImportFile::read("Name;E-Mail;Abteilung\n".as_bytes()),
            Err(ImportError::UnknownColumn("Abteilung".into()))
        );
        // Named as written, but never longer than a header can sensibly be.
        let long = format!("email,name,{}\n", "x".repeat(500));
        let Err(ImportError::UnknownColumn(named)) = ImportFile::read(long.as_bytes()) else {
            panic!("an unknown column");
        };
        assert_eq!(named.chars().count(), 60);
        // Empty header fields (a spreadsheet's trailing semicolons) are no columns.
        let file = ImportFile::read(b"Name;E-Mail;;\nAnna;a@example.com;x;\n").unwrap();
        assert_eq!(file.columns, [Some(DisplayName), Some(Email), None, None]);
    }

    #[test]
    fn a_missing_or_doubled_column_refuses_the_file_and_names_it() {
        assert_eq!(
            ImportFile::read(b"name\nAnna\n"),
            Err(ImportError::MissingColumn(Email))
        );
        assert_eq!(
            ImportFile::read(b"E-Mail;Rolle\na@example.com;Gast\n"),
            Err(ImportError::MissingColumn(DisplayName))
        );
        assert_eq!(
            ImportFile::read(b"email,name,E-Mail\n"),
            Err(ImportError::DuplicateColumn(Email))
        );
    }

    #[test]
    fn a_broken_line_is_named_and_does_not_swallow_the_next() {
        let file = ImportFile::read(b"email,name\n\"anna@example.com,Anna\nben@example.com,Ben\n")
            .unwrap();
        assert_eq!(file.rows[0].fields, None);
        assert_eq!(file.rows[1].line, 3);
        assert_eq!(
            file.rows[1].fields.as_deref(),
            Some(&["ben@example.com".to_owned(), "Ben".to_owned()][..])
        );
    }

    #[test]
    fn refuses_what_is_no_import_file() {
        assert_eq!(ImportFile::read(b""), Err(ImportError::NoHeader));
        assert_eq!(
            ImportFile::read(b"\xef\xbb\xbf"),
            Err(ImportError::NoHeader)
        );
        assert_eq!(
            ImportFile::read(b"\"email,name\n"),
            Err(ImportError::NoHeader)
        );
        let mut big = b"email,name\n".to_vec();
        for i in 0..=MAX_LINES {
            big.extend_from_slice(format!("p{i}@example.com,P\n").as_bytes());
        }
        assert_eq!(ImportFile::read(&big), Err(ImportError::TooManyLines));
    }
}

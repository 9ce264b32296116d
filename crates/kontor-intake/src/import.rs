//! A CSV file of people to invite (`POST /invitations/import`), read into lines of named
//! fields before anything in it is checked.
//!
//! The first line names the columns (`email` is required; names are compared in lower case,
//! spaces and dashes read as `_`). The delimiter is `;` when the header has semicolons and no
//! commas (as spreadsheets in German write it), `,` otherwise; a UTF-8 byte-order mark is
//! skipped. One person per line: a field never spans lines, so every line is read on its own
//! and a broken one (an unterminated quote) cannot swallow the lines after it.

/// The most lines one import takes.
pub const MAX_LINES: usize = 5000;

/// Why an import file is refused as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Not UTF-8 text, or no header line.
    #[error("not a CSV file with a header line")]
    Malformed,
    /// The header names no `email` column.
    #[error("no email column")]
    NoEmailColumn,
    /// More than [`MAX_LINES`] lines that are not blank.
    #[error("more lines than one import takes")]
    TooManyLines,
}

/// An import file: its column names and its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportFile {
    /// The header's names, in lower case, spaces and dashes as `_`.
    pub columns: Vec<String>,
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
        let text = std::str::from_utf8(bytes).map_err(|_| ImportError::Malformed)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let delimiter = if text
            .lines()
            .next()
            .is_some_and(|h| h.contains(';') && !h.contains(','))
        {
            b';'
        } else {
            b','
        };
        let mut lines = text.lines().enumerate();
        let columns: Vec<String> = lines
            .next()
            .and_then(|(_, h)| fields(h, delimiter))
            .ok_or(ImportError::Malformed)?
            .iter()
            .map(|h| h.trim().to_lowercase().replace([' ', '-'], "_"))
            .collect();
        if !columns.iter().any(|c| c == "email") {
            return Err(ImportError::NoEmailColumn);
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

    /// The field of the named column in a row's fields, if it is there and not empty.
    pub fn field<'a>(&self, fields: &'a [String], column: &str) -> Option<&'a str> {
        let at = self.columns.iter().position(|c| c == column)?;
        fields.get(at).map(String::as_str).filter(|v| !v.is_empty())
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

    #[test]
    fn reads_columns_by_name_with_either_delimiter() {
        let file = ImportFile::read(
            "\u{feff}Email;Display Name\n\nanna@example.com; Anna Schmidt \n".as_bytes(),
        )
        .unwrap();
        assert_eq!(file.columns, ["email", "display_name"]);
        assert_eq!(file.rows.len(), 1);
        assert_eq!(file.rows[0].line, 3);
        let fields = file.rows[0].fields.as_deref().unwrap();
        assert_eq!(file.field(fields, "display_name"), Some("Anna Schmidt"));
        assert_eq!(file.field(fields, "role"), None);
        let file = ImportFile::read(b"email,teams\nben@example.com,\"Sales;Support\"\n").unwrap();
        let fields = file.rows[0].fields.as_deref().unwrap();
        assert_eq!(file.field(fields, "teams"), Some("Sales;Support"));
        assert_eq!(file.field(fields, "email"), Some("ben@example.com"));
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
        assert_eq!(ImportFile::read(b""), Err(ImportError::Malformed));
        assert_eq!(ImportFile::read(b"\xff\xfe"), Err(ImportError::Malformed));
        assert_eq!(
            ImportFile::read(b"name\nAnna\n"),
            Err(ImportError::NoEmailColumn)
        );
        let mut big = b"email\n".to_vec();
        for i in 0..=MAX_LINES {
            big.extend_from_slice(format!("p{i}@example.com\n").as_bytes());
        }
        assert_eq!(ImportFile::read(&big), Err(ImportError::TooManyLines));
    }
}

//! CSV import files (`kontor_intake::import`), uploaded by admins: read into lines before
//! anything is checked. An accepted file has an `email` column, at most `MAX_LINES` lines in
//! file order, and no empty field is handed out.
#![no_main]

use kontor_intake::import::{ImportFile, MAX_LINES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = ImportFile::read(data) else {
        return;
    };
    assert!(file.columns.iter().any(|c| c == "email"));
    assert!(file.rows.len() <= MAX_LINES);
    let mut last = 1;
    for row in &file.rows {
        assert!(row.line > last, "lines in file order, after the header");
        last = row.line;
        if let Some(fields) = &row.fields {
            for column in &file.columns {
                assert!(file.field(fields, column).is_none_or(|f| !f.is_empty()));
            }
        }
    }
});

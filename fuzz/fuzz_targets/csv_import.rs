//! CSV import files (`kontor_intake::import`), uploaded by admins: read into lines before
//! anything is checked (bytes that are not UTF-8 as Windows-1252). An accepted file has the
//! required columns, each column at most once, at most `MAX_LINES` lines in file order, and no
//! empty field is handed out.
#![no_main]

use kontor_intake::import::{ImportColumn, ImportFile, MAX_LINES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = ImportFile::read(data) else {
        return;
    };
    for column in ImportColumn::ALL {
        let times = file.columns.iter().filter(|c| **c == Some(column)).count();
        assert!(
            times <= 1 && (times == 1 || !column.required()),
            "{column:?}"
        );
    }
    assert!(file.rows.len() <= MAX_LINES);
    let mut last = 1;
    for row in &file.rows {
        assert!(row.line > last, "lines in file order, after the header");
        last = row.line;
        if let Some(fields) = &row.fields {
            for column in ImportColumn::ALL {
                assert!(file.field(fields, column).is_none_or(|f| !f.is_empty()));
            }
        }
    }
});

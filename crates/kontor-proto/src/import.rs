//! The words of a CSV import (`POST /invitations/import`): its columns, by their English and
//! German names, and why a line was skipped.
//!
//! A skipped line carries an [`ImportReason`]: a stable `code` and the values it is about (the
//! team as written, the earlier line), never an id. Each app renders the sentence in its own
//! language from these (the web app from its dictionary); [`ImportReason::message`] is the
//! server's rendering, for the CLI and whoever reads the JSON.

use crate::ErrorCode;
use crate::error::Lang;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A column of an import file. On the wire its English name; a header may also use the
/// German one ([`ImportColumn::german`]) or a common variant (`Mail`, `E-Mail-Adresse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ImportColumn {
    Email,
    DisplayName,
    Role,
    Teams,
    JobTitle,
    Competences,
    Languages,
    Location,
    PhoneExtension,
}

impl ImportColumn {
    /// Every column, in the order the documentation lists them.
    pub const ALL: [ImportColumn; 9] = [
        ImportColumn::Email,
        ImportColumn::DisplayName,
        ImportColumn::Role,
        ImportColumn::Teams,
        ImportColumn::JobTitle,
        ImportColumn::Competences,
        ImportColumn::Languages,
        ImportColumn::Location,
        ImportColumn::PhoneExtension,
    ];

    /// The English name, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportColumn::Email => "email",
            ImportColumn::DisplayName => "display_name",
            ImportColumn::Role => "role",
            ImportColumn::Teams => "teams",
            ImportColumn::JobTitle => "job_title",
            ImportColumn::Competences => "competences",
            ImportColumn::Languages => "languages",
            ImportColumn::Location => "location",
            ImportColumn::PhoneExtension => "phone_extension",
        }
    }

    /// The German name, as a German office's spreadsheet heads the column.
    pub fn german(self) -> &'static str {
        match self {
            ImportColumn::Email => "E-Mail",
            ImportColumn::DisplayName => "Name",
            ImportColumn::Role => "Rolle",
            ImportColumn::Teams => "Teams",
            ImportColumn::JobTitle => "Berufsbezeichnung",
            ImportColumn::Competences => "Kompetenzen",
            ImportColumn::Languages => "Sprachen",
            ImportColumn::Location => "Standort",
            ImportColumn::PhoneExtension => "Durchwahl",
        }
    }

    /// Whether every file must have it.
    pub fn required(self) -> bool {
        matches!(self, ImportColumn::Email | ImportColumn::DisplayName)
    }

    /// The name in a language.
    pub fn name(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.as_str(),
            Lang::De => self.german(),
        }
    }
}

/// Why a line of an import was skipped: a stable `code` and what it is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ImportReason {
    /// The line is not CSV: a quotation mark is not closed.
    LineMalformed,
    EmailMissing,
    EmailInvalid {
        email: String,
    },
    /// The address is on an earlier line of the file.
    EmailRepeated {
        line: usize,
    },
    /// Somebody of the organisation has the address already.
    EmailTaken,
    NameMissing,
    /// Longer than 100 characters, without a letter, or with hidden characters.
    NameInvalid,
    /// Neither an English nor a German role.
    RoleUnknown {
        role: String,
    },
    /// Only owners invite owners.
    OwnerNeedsOwner,
    /// Guest access is turned off in the organisation's policies.
    GuestsOff,
    /// No team of the organisation has this name (as written in the file).
    TeamUnknown {
        team: String,
    },
    /// Too long, too many entries, or hidden characters.
    FieldInvalid {
        column: ImportColumn,
    },
    /// Anything else, as the API error it was.
    Refused {
        error: ErrorCode,
    },
}

impl ImportReason {
    /// The code on the wire (`team_unknown`).
    pub fn code(&self) -> &'static str {
        match self {
            ImportReason::LineMalformed => "line_malformed",
            ImportReason::EmailMissing => "email_missing",
            ImportReason::EmailInvalid { .. } => "email_invalid",
            ImportReason::EmailRepeated { .. } => "email_repeated",
            ImportReason::EmailTaken => "email_taken",
            ImportReason::NameMissing => "name_missing",
            ImportReason::NameInvalid => "name_invalid",
            ImportReason::RoleUnknown { .. } => "role_unknown",
            ImportReason::OwnerNeedsOwner => "owner_needs_owner",
            ImportReason::GuestsOff => "guests_off",
            ImportReason::TeamUnknown { .. } => "team_unknown",
            ImportReason::FieldInvalid { .. } => "field_invalid",
            ImportReason::Refused { .. } => "refused",
        }
    }

    /// The sentence for people.
    pub fn message(&self, lang: Lang) -> String {
        use ImportReason::*;
        let de = lang == Lang::De;
        match self {
            LineMalformed if de => {
                "Die Zeile ist kein gültiges CSV: Ein Anführungszeichen wird nicht geschlossen."
                    .into()
            }
            LineMalformed => "The line is not valid CSV: a quotation mark is not closed.".into(),
            EmailMissing if de => "Die E-Mail-Adresse fehlt.".into(),
            EmailMissing => "The e-mail address is missing.".into(),
            EmailInvalid { email } if de => format!("„{email}“ ist keine gültige E-Mail-Adresse."),
            EmailInvalid { email } => format!("'{email}' is not a valid e-mail address."),
            EmailRepeated { line } if de => {
                format!("Diese E-Mail-Adresse steht schon in Zeile {line}.")
            }
            EmailRepeated { line } => {
                format!("This e-mail address is already used on line {line}.")
            }
            EmailTaken if de => "Diese E-Mail-Adresse hat schon jemand in der Organisation.".into(),
            EmailTaken => "Somebody in the organisation already has this e-mail address.".into(),
            NameMissing if de => "Der Name fehlt.".into(),
            NameMissing => "The name is missing.".into(),
            NameInvalid if de => {
                "Der Name ist ungültig: höchstens 100 Zeichen, mindestens ein Buchstabe.".into()
            }
            NameInvalid => {
                "The name is not valid: at most 100 characters, at least one letter.".into()
            }
            RoleUnknown { role } if de => format!(
                "Die Rolle „{role}“ ist unbekannt. Rollen: Mitglied, Admin, Inhaber, Gast (oder member, admin, owner, guest)."
            ),
            RoleUnknown { role } => format!(
                "Role '{role}' is unknown. Roles: member, admin, owner, guest (or Mitglied, Admin, Inhaber, Gast)."
            ),
            OwnerNeedsOwner if de => "Nur Inhaber können Inhaber einladen.".into(),
            OwnerNeedsOwner => "Only an owner can invite an owner.".into(),
            GuestsOff if de => {
                "Gäste sind in den Richtlinien dieser Organisation ausgeschaltet.".into()
            }
            GuestsOff => "Guests are turned off in this organisation's policies.".into(),
            TeamUnknown { team } if de => format!("Team „{team}“ gibt es nicht."),
            TeamUnknown { team } => format!("Team '{team}' does not exist."),
            FieldInvalid { column } if de => format!(
                "Die Spalte {} ist ungültig: zu lang, zu viele Einträge oder versteckte Zeichen.",
                column.german()
            ),
            FieldInvalid { column } => format!(
                "Column {} is not valid: too long, too many entries or hidden characters.",
                column.as_str()
            ),
            Refused { error } => error.message(lang).to_owned(),
        }
    }
}

/// The columns an import file may have, for the sentences that refuse a file: `email
/// (E-Mail), display_name (Name), …` in English, the German names first in German.
pub fn expected_columns(lang: Lang) -> String {
    ImportColumn::ALL
        .iter()
        .map(|c| match lang {
            Lang::En => format!("{} ({})", c.as_str(), c.german()),
            Lang::De => format!("{} ({})", c.german(), c.as_str()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the columns as a TypeScript module beside the generated types, so the web app
/// lists them without mirroring their names by hand.
#[cfg(all(test, feature = "ts"))]
#[test]
fn export_bindings_import_columns() {
    let mut text = String::from(
        "// Generated from kontor-proto's ImportColumn by scripts/gen-types.sh. Do not edit.\n\n\
         import type { ImportColumn } from \"./ImportColumn\";\n\n\
         /** Every column of a CSV import: its English and German name, and whether a file must have it. */\n\
         export const IMPORT_COLUMNS: readonly { name: ImportColumn; german: string; required: boolean }[] = [\n",
    );
    for c in ImportColumn::ALL {
        text.push_str(&format!(
            "  {{ name: \"{}\", german: \"{}\", required: {} }},\n",
            c.as_str(),
            c.german(),
            c.required()
        ));
    }
    text.push_str("];\n");
    let dir = std::env::var("TS_RS_EXPORT_DIR").unwrap_or_else(|_| "bindings".into());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(std::path::Path::new(&dir).join("importColumns.ts"), text).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_snake_case_codes_with_their_values_on_the_wire() {
        let json = serde_json::to_value(ImportReason::TeamUnknown {
            team: "Pflege Nord".into(),
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "team_unknown", "team": "Pflege Nord"})
        );
        assert_eq!(
            serde_json::to_value(ImportReason::FieldInvalid {
                column: ImportColumn::PhoneExtension
            })
            .unwrap(),
            serde_json::json!({"code": "field_invalid", "column": "phone_extension"})
        );
        assert_eq!(
            ImportReason::EmailRepeated { line: 3 }.code(),
            serde_json::to_value(ImportReason::EmailRepeated { line: 3 }).unwrap()["code"]
        );
    }

    #[test]
    fn every_reason_reads_in_both_languages_with_its_values() {
        let team = ImportReason::TeamUnknown {
            team: "Pflege Nord".into(),
        };
        assert_eq!(team.message(Lang::En), "Team 'Pflege Nord' does not exist.");
        assert_eq!(team.message(Lang::De), "Team „Pflege Nord“ gibt es nicht.");
        let line = ImportReason::EmailRepeated { line: 3 };
        assert!(line.message(Lang::En).contains("line 3"));
        assert!(line.message(Lang::De).contains("Zeile 3"));
        let column = ImportReason::FieldInvalid {
            column: ImportColumn::JobTitle,
        };
        assert!(column.message(Lang::De).contains("Berufsbezeichnung"));
        assert!(column.message(Lang::En).contains("job_title"));
    }

    #[test]
    fn the_expected_columns_name_each_column_in_both_languages() {
        for lang in [Lang::En, Lang::De] {
            let list = expected_columns(lang);
            for c in ImportColumn::ALL {
                assert!(
                    list.contains(c.as_str()) && list.contains(c.german()),
                    "{c:?}"
                );
            }
        }
    }
}

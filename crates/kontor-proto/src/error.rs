//! The one error shape of the API: a stable machine-readable code and a human message in
//! German or English.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for machines (`code`, `field`) and for people (`message`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// A sentence for people, in the language the request asked for.
    pub message: String,
    /// The input field the error is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait before trying again (only with `rate_limited`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

/// The languages Kontor speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    De,
    #[default]
    En,
}

impl Lang {
    /// Picks the language from an `Accept-Language` header: the first of German or English in
    /// the order of the client's preference (q-values respected), English when neither appears.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "de" || tag.starts_with("de-") {
                Lang::De
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $status:literal, $en:literal, $de:literal; )*) => {
        /// Stable, machine-readable error codes. New codes may be added; existing ones never
        /// change meaning.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The HTTP status that goes with the code.
            pub fn http_status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// A sentence for people.
            pub fn message(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((ErrorCode::$variant, Lang::En) => $en,
                      (ErrorCode::$variant, Lang::De) => $de,)*
                }
            }
        }
    };
}

error_codes! {
    /// The input is malformed or fails validation; `field` names the culprit.
    InvalidInput = 400, "The input is not valid.", "Die Eingabe ist ungültig.";
    /// The request body is not valid JSON of the expected shape.
    MalformedBody = 400, "The request body could not be read.", "Der Inhalt der Anfrage konnte nicht gelesen werden.";
    /// The password is shorter than the minimum.
    PasswordTooShort = 400, "The password must have at least 10 characters.", "Das Passwort muss mindestens 10 Zeichen lang sein.";
    /// The password is too long.
    PasswordTooLong = 400, "The password must have at most 256 characters.", "Das Passwort darf höchstens 256 Zeichen lang sein.";
    /// The password is on the list of commonly used passwords.
    PasswordTooCommon = 400, "This password is too common. Please choose another one.", "Dieses Passwort ist zu verbreitet. Bitte wählen Sie ein anderes.";
    /// No valid session token was presented.
    Unauthenticated = 401, "Please log in.", "Bitte melden Sie sich an.";
    /// E-mail address or password is wrong (deliberately not saying which).
    InvalidCredentials = 401, "E-mail address or password is wrong.", "E-Mail-Adresse oder Passwort ist falsch.";
    /// The account is suspended.
    AccountDisabled = 403, "Your account is suspended by your organisation. Please contact your administrator.", "Ihr Konto ist von Ihrer Organisation gesperrt. Bitte wenden Sie sich an Ihre Administration.";
    /// The person was deprovisioned: the organisation ended their access for good.
    AccessEnded = 403, "Your organisation has ended your access.", "Ihre Organisation hat Ihren Zugang beendet.";
    /// A guest while the organisation does not admit guests.
    GuestAccessOff = 403, "This organisation does not admit guests at the moment. Please contact the person who invited you.", "Diese Organisation lässt zurzeit keine Gäste zu. Bitte wenden Sie sich an die Person, die Sie eingeladen hat.";
    /// The organisation lets only its admins create announcement channels.
    ChannelsByAdmins = 403, "In this organisation only admins create announcement channels.", "In dieser Organisation legen nur Admins Ankündigungskanäle an.";
    /// The caller may not do this.
    Forbidden = 403, "You are not allowed to do this.", "Dazu sind Sie nicht berechtigt.";
    /// Only a device in the person's signed device list may do this (revoke other devices,
    /// end their sessions, change the password): link this device first.
    DeviceNotLinked = 403, "Only a linked device can do this. Link this device first: approve it on another of your devices or use your recovery key.", "Das geht nur auf einem verknüpften Gerät. Verknüpfen Sie dieses Gerät zuerst: Bestätigen Sie es auf einem anderen Ihrer Geräte oder nutzen Sie Ihren Wiederherstellungsschlüssel.";
    /// The object does not exist or is not visible to the caller.
    NotFound = 404, "Not found.", "Nicht gefunden.";
    /// The method is not allowed on this path.
    MethodNotAllowed = 405, "This method is not allowed here.", "Diese Methode ist hier nicht erlaubt.";
    /// The object already exists (e.g. an e-mail address or team name).
    AlreadyExists = 409, "This already exists.", "Das existiert bereits.";
    /// The change conflicts with the current state.
    Conflict = 409, "This conflicts with the current state.", "Das steht im Widerspruch zum aktuellen Stand.";
    /// The last owner of an organisation cannot be removed or demoted.
    LastOwner = 409, "An organisation needs at least one owner.", "Eine Organisation braucht mindestens eine Inhaberin oder einen Inhaber.";
    /// A team still has sub-teams.
    TeamHasChildren = 409, "This team still has sub-teams.", "Dieses Team hat noch Unterteams.";
    /// The invitation code is unknown, used or revoked.
    InvitationInvalid = 410, "This invitation is not valid (any more).", "Diese Einladung ist nicht (mehr) gültig.";
    /// The first-start setup code is wrong.
    SetupCodeInvalid = 403, "The setup code is not correct. It is in the file setup-code in the server's data directory.", "Der Einrichtungscode stimmt nicht. Er steht in der Datei setup-code im Datenverzeichnis des Servers.";
    /// The server is set up already: an organisation exists.
    AlreadySetUp = 409, "This server is set up already. Please log in.", "Dieser Server ist bereits eingerichtet. Bitte melden Sie sich an.";
    /// The invitation has expired.
    InvitationExpired = 410, "This invitation has expired.", "Diese Einladung ist abgelaufen.";
    /// The commit was made for an epoch that is not the conversation's current one: fetch what
    /// you missed, then make the change again.
    StaleEpoch = 409, "The conversation changed meanwhile. Please try again.", "Die Unterhaltung hat sich inzwischen geändert. Bitte versuchen Sie es erneut.";
    /// The device is not (or no longer) a member of the conversation.
    NotAMember = 403, "You are not a member of this conversation.", "Sie sind nicht Mitglied dieser Unterhaltung.";
    /// Only the conversation's admins may do this (or only posters may write in a channel).
    NotConversationAdmin = 403, "Only the conversation's admins may do this.", "Das dürfen nur die Admins der Unterhaltung.";
    /// The delivery service refused a commit or proposal that does not fit the group's state
    /// or the sender's rights: no member could have processed it.
    GroupChangeRefused = 400, "This change to the conversation was refused: it does not fit the conversation.", "Diese Änderung der Unterhaltung wurde abgelehnt: Sie passt nicht zur Unterhaltung.";
    /// A commit can no longer be undone: somebody other than its committer wrote since (so
    /// somebody could process it), or it is not the conversation's to undo.
    NotVoidable = 409, "This change can no longer be undone: others have written since.", "Diese Änderung lässt sich nicht mehr rückgängig machen: Andere haben inzwischen geschrieben.";
    /// The device waits to be added to the conversation again (it could not process a
    /// change, or its own change was voided): it writes nothing until a member has renewed it.
    RejoinPending = 409, "This device is being added to the conversation again. It can write once that is done.", "Dieses Gerät wird der Unterhaltung gerade neu hinzugefügt. Danach kann es wieder schreiben.";
    /// The conversation was made by an older version of Kontor: its members can no longer be
    /// changed. Messages still go through.
    ConversationOutdated = 409, "This conversation was created with an older version of Kontor; its members can no longer be changed. Please start a new conversation.", "Diese Unterhaltung wurde mit einer älteren Version von Kontor angelegt; ihre Mitglieder lassen sich nicht mehr ändern. Bitte beginnen Sie eine neue Unterhaltung.";
    /// A person has no device with a key package left; they must log in once first.
    NoKeyPackage = 409, "This person cannot be added yet: they have not logged in on any device.", "Diese Person kann noch nicht hinzugefügt werden: Sie hat sich noch auf keinem Gerät angemeldet.";
    /// The signed device list is older than the stored one or its signature does not verify.
    DeviceListRejected = 409, "The device list was refused.", "Die Geräteliste wurde abgelehnt.";
    /// A device link request is unknown, already answered or expired.
    LinkRequestInvalid = 410, "This device link request is not valid (any more).", "Diese Anfrage zum Verknüpfen eines Geräts ist nicht (mehr) gültig.";
    /// The request body is too large.
    PayloadTooLarge = 413, "The request is too large.", "Die Anfrage ist zu groß.";
    /// The content type is not accepted here.
    UnsupportedMediaType = 415, "This type of content is not accepted.", "Diese Art von Inhalt wird nicht angenommen.";
    /// Too many attempts; see `retry_after_secs` and the `Retry-After` header.
    RateLimited = 429, "Too many attempts. Please wait a moment.", "Zu viele Versuche. Bitte warten Sie einen Moment.";
    /// The organisation's conversations hold as much as its storage quota allows.
    QuotaExceeded = 507, "Your organisation's storage on the server is full. Please ask an administrator.", "Der Speicher Ihrer Organisation auf dem Server ist voll. Bitte wenden Sie sich an die Administration.";
    /// An import file is empty: it has no line that names the columns.
    ImportNoHeader = 400, "The file is empty: its first line must name the columns: {columns}.", "Die Datei ist leer: Ihre erste Zeile muss die Spalten nennen: {columns}.";
    /// An import file's header names a column Kontor does not know; `field` is the header as
    /// written.
    ImportUnknownColumn = 400, "The column '{field}' is unknown. The columns are: {columns}.", "Die Spalte „{field}“ ist unbekannt. Die Spalten sind: {columns}.";
    /// An import file lacks a required column (`email`, `display_name`); `field` names it.
    ImportMissingColumn = 400, "The column {column} is missing; every file needs email and display_name. The columns are: {columns}.", "Die Spalte {column} fehlt; jede Datei braucht E-Mail und Name. Die Spalten sind: {columns}.";
    /// An import file names a column twice (say `email` and `E-Mail`); `field` names it.
    ImportDuplicateColumn = 400, "The column {column} is there twice.", "Die Spalte {column} steht zweimal in der Datei.";
    /// An import file has more lines than one import takes.
    ImportTooManyLines = 413, "The file has more than 5000 people. Please split it.", "Die Datei hat mehr als 5000 Personen. Bitte teilen Sie sie auf.";
    /// Something broke on the server. Nothing about it is revealed.
    Internal = 500, "Something went wrong on the server.", "Auf dem Server ist ein Fehler aufgetreten.";
    /// The server is not ready (e.g. the database is unreachable).
    Unavailable = 503, "The service is not available right now.", "Der Dienst ist gerade nicht verfügbar.";
}

impl ErrorCode {
    /// The sentence for people with its placeholders filled: `{field}` the field, `{column}`
    /// the import column the field names (in the language, the other name after it),
    /// `{columns}` every import column in both languages.
    pub fn render(self, lang: Lang, field: Option<&str>) -> String {
        let mut text = self.message(lang).to_owned();
        if text.contains("{columns}") {
            text = text.replace("{columns}", &crate::import::expected_columns(lang));
        }
        if text.contains("{column}") {
            let column = field
                .and_then(|f| serde_json::from_value(serde_json::Value::String(f.to_owned())).ok())
                .map(|c: crate::import::ImportColumn| match lang {
                    Lang::En => format!("{} ({})", c.as_str(), c.german()),
                    Lang::De => format!("{} ({})", c.german(), c.as_str()),
                });
            text = text.replace("{column}", column.as_deref().or(field).unwrap_or(""));
        }
        text.replace("{field}", field.unwrap_or(""))
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => f.write_str(&s),
            _ => f.write_str("internal"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_preferred_supported_language() {
        assert_eq!(
            Lang::from_accept_language("de-DE,de;q=0.9,en;q=0.8"),
            Lang::De
        );
        assert_eq!(Lang::from_accept_language("en-GB,de;q=0.5"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr-FR,de;q=0.7,en;q=0.3"),
            Lang::De
        );
        assert_eq!(Lang::from_accept_language("fr"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(Lang::from_accept_language("en;q=0.2, de;q=0.9"), Lang::De);
    }

    #[test]
    fn every_code_has_both_languages_and_a_client_or_server_status() {
        for code in ErrorCode::ALL {
            assert!(!code.message(Lang::De).is_empty());
            assert!(!code.message(Lang::En).is_empty());
            assert_ne!(code.message(Lang::De), code.message(Lang::En), "{code}");
            assert!((400..600).contains(&code.http_status()));
        }
    }

    #[test]
    fn an_import_refusal_names_the_column_and_every_expected_one_in_both_languages() {
        let en = ErrorCode::ImportUnknownColumn.render(Lang::En, Some("Abteilung"));
        let de = ErrorCode::ImportUnknownColumn.render(Lang::De, Some("Abteilung"));
        assert!(en.starts_with("The column 'Abteilung' is unknown."), "{en}");
        assert!(
            de.starts_with("Die Spalte „Abteilung“ ist unbekannt."),
            "{de}"
        );
        for text in [&en, &de] {
            assert!(text.contains("email (E-Mail)") || text.contains("E-Mail (email)"));
            assert!(text.contains("Durchwahl"), "{text}");
        }
        let de = ErrorCode::ImportMissingColumn.render(Lang::De, Some("email"));
        assert!(de.starts_with("Die Spalte E-Mail (email) fehlt"), "{de}");
        let en = ErrorCode::ImportMissingColumn.render(Lang::En, Some("display_name"));
        assert!(
            en.starts_with("The column display_name (Name) is missing"),
            "{en}"
        );
        assert_eq!(
            ErrorCode::NotFound.render(Lang::De, Some("x")),
            ErrorCode::NotFound.message(Lang::De)
        );
        for code in ErrorCode::ALL {
            for lang in [Lang::En, Lang::De] {
                assert!(!code.render(lang, Some("email")).contains('{'), "{code}");
            }
        }
    }

    #[test]
    fn codes_are_snake_case_on_the_wire() {
        assert_eq!(
            ErrorCode::PasswordTooCommon.to_string(),
            "password_too_common"
        );
        assert_eq!(
            serde_json::to_string(&ErrorCode::RateLimited).unwrap(),
            "\"rate_limited\""
        );
    }
}

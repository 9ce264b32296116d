//! Anna imports her staff list as a German office keeps it: exported from Excel with German
//! column names, semicolons and Windows-1252 umlauts. Good lines become invitations with their
//! umlauts intact; each bad line says why, in the admin's language, from a code and its values;
//! a file Kontor cannot read as a whole is refused naming the column.

use crate::common::*;
use kontor_proto::api::*;
use kontor_proto::import::{ImportColumn, ImportReason};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// What Excel on a German Windows writes for "CSV (Trennzeichen-getrennt)": Windows-1252
/// (ü = 0xFC, ö = 0xF6, ä = 0xE4, ß = 0xDF), semicolons, CRLF.
fn excel(lines: &[&str]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for line in lines {
        for c in line.chars() {
            bytes.push(match c {
                'ü' => 0xFC,
                'ö' => 0xF6,
                'ä' => 0xE4,
                'ß' => 0xDF,
                c if c.is_ascii() => c as u8,
                c => panic!("{c} is not in this test's Windows-1252"),
            });
        }
        bytes.extend_from_slice(b"\r\n");
    }
    bytes
}

async fn import(anna: &Actor, lang: &str, file: Vec<u8>) -> (StatusCode, Value) {
    let res = anna
        .raw(Method::POST, "/invitations/import")
        .await
        .header("content-type", "text/csv")
        .header("accept-language", lang)
        .body(file)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

#[tokio::test]
async fn an_excel_export_invites_people_with_umlauts_intact_and_names_why_a_line_is_skipped() {
    let w = World::new().await;
    let kitchen: Team = w
        .anna
        .ok(
            Method::POST,
            "/teams",
            &CreateTeamRequest {
                name: "Küche".into(),
                kind: TeamKind::Department,
                parent_id: None,
                description: String::new(),
            },
        )
        .await;
    let file = excel(&[
        "Name;E-Mail;Rolle;Teams;Berufsbezeichnung;Kompetenzen;Sprachen;Standort;Durchwahl",
        "Jürgen Müller;Juergen.Mueller@sonnenschein.example;Mitglied;küche;Koch;\"Diätküche;Großküche\";Deutsch;\"Straße 5, Köln\";12",
        "Petra Weiß;petra.weiss@sonnenschein.example;Gast;Pflege Nord;;;;;",
        "Hans Groß;juergen.mueller@sonnenschein.example;;;;;;;",
        "Eva Kühn;eva.kuehn@sonnenschein.example;Chefin;;;;;;",
        "Ben Becker;ben@sonnenschein.example;Admin;;;;;;",
        ";ohne-name@sonnenschein.example;;;;;;;",
    ]);
    let (status, body) = import(&w.anna, "de-DE,de;q=0.9", file).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report: ImportReport = serde_json::from_value(body).unwrap();
    assert_eq!((report.imported, report.skipped), (1, 5), "{report:#?}");

    let reasons: Vec<(usize, Option<ImportReason>)> = report
        .lines
        .iter()
        .map(|l| (l.line, l.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        [
            (2, None),
            (
                3,
                Some(ImportReason::TeamUnknown {
                    team: "Pflege Nord".into()
                })
            ),
            (4, Some(ImportReason::EmailRepeated { line: 2 })),
            (
                5,
                Some(ImportReason::RoleUnknown {
                    role: "Chefin".into()
                })
            ),
            (6, Some(ImportReason::EmailTaken)),
            (7, Some(ImportReason::NameMissing)),
        ]
    );
    // The same reason as an API error: its sentence in the admin's language, its column.
    let team = report.lines[1].error.as_ref().unwrap();
    assert_eq!(team.message, "Team „Pflege Nord“ gibt es nicht.");
    assert_eq!(team.field.as_deref(), Some("teams"));
    assert_eq!(
        report.lines[2].error.as_ref().unwrap().message,
        "Diese E-Mail-Adresse steht schon in Zeile 2."
    );

    // Jürgen's invitation carries his name as written, and so does he once he has joined.
    let created = report.lines[0].invitation.as_ref().unwrap();
    assert_eq!(
        created.invitation.email,
        "juergen.mueller@sonnenschein.example"
    );
    assert_eq!(
        created.invitation.display_name.as_deref(),
        Some("Jürgen Müller")
    );
    assert_eq!(created.invitation.role, OrgRole::Member);
    let juergen = w.server.join(&created.code, "Jürgen Müller").await;
    let me: Me = juergen.get("/me").await;
    assert_eq!(me.person.display_name, "Jürgen Müller");
    assert_eq!(me.person.job_title, "Koch");
    assert_eq!(me.person.competences, ["Diätküche", "Großküche"]);
    assert_eq!(me.person.location, "Straße 5, Köln");
    assert_eq!(me.person.phone_extension, "12");
    let teams: Vec<_> = me.person.teams.iter().map(|t| t.team_id).collect();
    assert_eq!(teams, [kitchen.id]);
    w.server.stop().await;
}

#[tokio::test]
async fn a_file_with_an_unknown_or_missing_column_is_refused_naming_it_and_the_columns_expected() {
    let w = World::new().await;
    let before: Vec<Invitation> = w.anna.get("/invitations").await;

    let file = "\u{feff}Name;E-Mail;Abteilung\r\nJürgen Müller;jm@sonnenschein.example;Küche\r\n";
    let (status, body) = import(&w.anna, "de", file.into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "import_unknown_column");
    assert_eq!(body["error"]["field"], "Abteilung");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Die Spalte „Abteilung“ ist unbekannt."),
        "{message}"
    );
    for c in ImportColumn::ALL {
        assert!(
            message.contains(c.german()) && message.contains(c.as_str()),
            "{message}"
        );
    }
    let (_, body) = import(&w.anna, "en", file.into()).await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("The column 'Abteilung' is unknown."),
        "{message}"
    );
    assert!(message.contains("phone_extension (Durchwahl)"), "{message}");

    // A required column that is not there is named too.
    let (status, body) = import(
        &w.anna,
        "de",
        b"E-Mail;Rolle\r\njm@x.example;Gast\r\n".into(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "import_missing_column");
    assert_eq!(body["error"]["field"], "display_name");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Die Spalte Name (display_name) fehlt"),
        "{message}"
    );

    // Nothing of a refused file was done.
    let after: Vec<Invitation> = w.anna.get("/invitations").await;
    assert_eq!(after.len(), before.len());
    w.server.stop().await;
}

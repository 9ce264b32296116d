//! Teams, profiles and the directory, as Anna (owner), Ben (member) and Chris (guest) use them.

use crate::common::*;
use kontor_proto::api::*;
use kontor_proto::{PersonId, TeamId};
use reqwest::Method;

async fn team(anna: &Actor, name: &str, kind: TeamKind, parent: Option<TeamId>) -> Team {
    anna.ok(
        Method::POST,
        "/teams",
        &CreateTeamRequest {
            name: name.into(),
            kind,
            parent_id: parent,
            description: String::new(),
        },
    )
    .await
}

async fn add(anna: &Actor, team: TeamId, user: PersonId, role: TeamRole) {
    let (status, body) = anna
        .call(
            Method::PUT,
            &format!("/teams/{team}/members/{user}"),
            Some(&SetTeamMemberRequest { role }),
        )
        .await;
    assert_eq!(status.as_u16(), 204, "{body}");
}

async fn profile(actor: &Actor, user: PersonId, patch: ProfilePatch) -> Person {
    actor
        .ok(Method::PATCH, &format!("/people/{user}"), &patch)
        .await
}

async fn search(actor: &Actor, query: &str) -> DirectoryPage {
    actor.get(&format!("/directory?{query}")).await
}

fn names(page: &DirectoryPage) -> Vec<String> {
    page.people.iter().map(|p| p.display_name.clone()).collect()
}

#[tokio::test]
async fn teams_profiles_and_a_directory_that_finds_the_right_colleague() {
    let w = World::new().await;
    let (anna, ben, chris) = (&w.anna, &w.ben, &w.chris);
    let server = &w.server;

    // Structure: a department with a nested project, a site, a patient team.
    let pflege = team(anna, "Pflege", TeamKind::Department, None).await;
    let wund = team(anna, "Wundversorgung", TeamKind::Project, Some(pflege.id)).await;
    let koeln = team(anna, "Standort Köln", TeamKind::Site, None).await;
    let patient = team(anna, "Familie Özdemir", TeamKind::Patient, None).await;
    anna.fails(
        Method::POST,
        "/teams",
        Some(&CreateTeamRequest {
            name: "Pflege".into(),
            kind: TeamKind::Group,
            parent_id: None,
            description: String::new(),
        }),
        "already_exists",
    )
    .await;
    // No cycles.
    anna.fails(
        Method::PATCH,
        &format!("/teams/{}", pflege.id),
        Some(&TeamPatch {
            parent_id: Some(wund.id),
            ..Default::default()
        }),
        "conflict",
    )
    .await;
    anna.fails::<()>(
        Method::DELETE,
        &format!("/teams/{}", pflege.id),
        None,
        "team_has_children",
    )
    .await;

    // Nurses with competences; Ben edits his own profile.
    let mut nurses = Vec::new();
    for (i, name) in ["Jürgen Müller", "Clara Krause", "Renée Ölmez"]
        .iter()
        .enumerate()
    {
        let inv = anna
            .invite(&format!("nurse{i}@sonnenschein.example"), OrgRole::Member)
            .await;
        let nurse = server.join(&inv.code, name).await;
        add(anna, pflege.id, nurse.id(), TeamRole::Member).await;
        nurses.push(nurse);
    }
    profile(
        anna,
        nurses[0].id(),
        ProfilePatch {
            job_title: Some("Pflegefachkraft".into()),
            competences: Some(vec!["Wundversorgung".into(), "Palliativpflege".into()]),
            languages: Some(vec!["Deutsch".into(), "Türkisch".into()]),
            location: Some("Köln".into()),
            ..Default::default()
        },
    )
    .await;
    profile(
        anna,
        nurses[1].id(),
        ProfilePatch {
            job_title: Some("Pflegehelferin".into()),
            competences: Some(vec!["Wundversorgung".into()]),
            location: Some("Bonn".into()),
            ..Default::default()
        },
    )
    .await;
    profile(
        anna,
        nurses[2].id(),
        ProfilePatch {
            job_title: Some("Stationsleitung".into()),
            competences: Some(vec!["Diabetes".into()]),
            languages: Some(vec!["Französisch".into()]),
            ..Default::default()
        },
    )
    .await;
    let ben_p = profile(
        ben,
        ben.id(),
        ProfilePatch {
            display_name: Some("Ben Becker".into()),
            job_title: Some("Disponent".into()),
            phone_extension: Some("+49 221 555-12".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ben_p.phone_extension, "+49 221 555-12");
    // Ben is in the Wundversorgung team, but has no such competence.
    add(anna, wund.id, ben.id(), TeamRole::Lead).await;
    add(anna, koeln.id, ben.id(), TeamRole::Member).await;
    add(anna, patient.id, chris.id(), TeamRole::Member).await;
    add(anna, patient.id, nurses[0].id(), TeamRole::Lead).await;
    // Members cannot edit others or create teams.
    ben.fails(
        Method::PATCH,
        &format!("/people/{}", nurses[0].id()),
        Some(&ProfilePatch {
            job_title: Some("x".into()),
            ..Default::default()
        }),
        "forbidden",
    )
    .await;
    ben.fails(
        Method::POST,
        "/teams",
        Some(&CreateTeamRequest {
            name: "X".into(),
            kind: TeamKind::Group,
            parent_id: None,
            description: String::new(),
        }),
        "forbidden",
    )
    .await;
    // Ben leads Wundversorgung: he may add members there, but not appoint leads.
    add(ben, wund.id, nurses[1].id(), TeamRole::Member).await;
    ben.fails(
        Method::PUT,
        &format!("/teams/{}/members/{}", wund.id, nurses[2].id()),
        Some(&SetTeamMemberRequest {
            role: TeamRole::Lead,
        }),
        "forbidden",
    )
    .await;
    ben.fails(
        Method::PUT,
        &format!("/teams/{}/members/{}", koeln.id, nurses[2].id()),
        Some(&SetTeamMemberRequest {
            role: TeamRole::Member,
        }),
        "forbidden",
    )
    .await;
    // A lead cannot demote or remove another lead.
    add(anna, wund.id, nurses[2].id(), TeamRole::Lead).await;
    ben.fails(
        Method::PUT,
        &format!("/teams/{}/members/{}", wund.id, nurses[2].id()),
        Some(&SetTeamMemberRequest {
            role: TeamRole::Member,
        }),
        "forbidden",
    )
    .await;
    ben.fails::<()>(
        Method::DELETE,
        &format!("/teams/{}/members/{}", wund.id, nurses[2].id()),
        None,
        "forbidden",
    )
    .await;
    let (status, _) = anna
        .call::<()>(
            Method::DELETE,
            &format!("/teams/{}/members/{}", wund.id, nurses[2].id()),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 204);
    // Team names are unique regardless of case.
    anna.fails(
        Method::POST,
        "/teams",
        Some(&CreateTeamRequest {
            name: "PFLEGE".into(),
            kind: TeamKind::Group,
            parent_id: None,
            description: String::new(),
        }),
        "already_exists",
    )
    .await;

    // "Wundversorgung": the nurses with that competence first, then Ben (team only).
    let page = search(ben, "q=Wundversorgung").await;
    let found = names(&page);
    assert_eq!(&found[..2], &["Clara Krause", "Jürgen Müller"], "{found:?}");
    assert_eq!(found[2], "Ben Becker");
    assert!(
        page.people[0]
            .competences
            .contains(&"Wundversorgung".to_owned())
    );

    // Umlauts and case: all spellings find Jürgen Müller.
    for q in ["müller", "MUELLER", "Muller", "jürgen", "Juergen"] {
        let page = search(ben, &format!("q={}", urlencode(q))).await;
        assert_eq!(
            names(&page).first().map(String::as_str),
            Some("Jürgen Müller"),
            "query {q}"
        );
    }
    assert_eq!(names(&search(ben, "q=renee").await), vec!["Renée Ölmez"]);
    assert_eq!(names(&search(ben, "q=oelmez").await), vec!["Renée Ölmez"]);
    // Several words must all match.
    assert_eq!(
        names(&search(ben, &format!("q={}", urlencode("pflege köln"))).await),
        vec!["Jürgen Müller"]
    );

    // Filters: team (with sub-teams), competence, language, location, role.
    let in_pflege = search(ben, &format!("team={}", pflege.id)).await;
    assert_eq!(in_pflege.total, 4, "{:?}", names(&in_pflege));
    assert!(
        names(&in_pflege).contains(&"Ben Becker".to_owned()),
        "members of sub-teams count"
    );
    assert_eq!(
        names(&search(ben, "competence=wundversorgung").await),
        vec!["Clara Krause", "Jürgen Müller"]
    );
    assert_eq!(
        names(&search(ben, &format!("language={}", urlencode("türkisch"))).await),
        vec!["Jürgen Müller"]
    );
    assert_eq!(
        names(&search(ben, &format!("location={}", urlencode("KÖLN"))).await),
        vec!["Jürgen Müller"]
    );
    assert_eq!(names(&search(ben, "role=guest").await), vec!["Chris Gast"]);

    // Paging: everyone (Anna, Ben, Chris, three nurses), two at a time, stable and complete.
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = search(ben, &format!("limit=2&offset={offset}")).await;
        assert_eq!(page.total, 6);
        seen.extend(names(&page));
        match page.next_offset {
            Some(n) => offset = n,
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    let mut sorted = seen.clone();
    sorted.sort_by_key(|n| kontor_server::search::fold(n));
    assert_eq!(seen, sorted, "without a query, by name");
    ben.fails::<()>(Method::GET, "/directory?limit=0", None, "invalid_input")
        .await;
    ben.fails::<()>(Method::GET, "/directory?limit=abc", None, "invalid_input")
        .await;
    ben.fails::<()>(
        Method::GET,
        "/directory?include_inactive=true",
        None,
        "forbidden",
    )
    .await;

    // Chris (guest) sees only people he shares a team with: Jürgen, and himself.
    let guest_view = search(chris, "").await;
    assert_eq!(names(&guest_view), vec!["Chris Gast", "Jürgen Müller"]);
    assert!(names(&search(chris, "q=Clara").await).is_empty());
    chris
        .fails::<()>(
            Method::GET,
            &format!("/people/{}", nurses[1].id()),
            None,
            "not_found",
        )
        .await;
    let juergen: Person = chris.get(&format!("/people/{}", nurses[0].id())).await;
    // Only the shared team shows; Jürgen's department is not for a guest, nor findable.
    assert_eq!(
        juergen
            .teams
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Familie Özdemir"]
    );
    let night = team(anna, "Nachtdienst", TeamKind::Group, None).await;
    add(anna, night.id, nurses[0].id(), TeamRole::Member).await;
    assert_eq!(
        names(&search(ben, "q=nachtdienst").await),
        vec!["Jürgen Müller"]
    );
    assert!(names(&search(chris, "q=nachtdienst").await).is_empty());
    assert_eq!(
        names(&search(chris, &format!("q={}", urlencode("özdemir"))).await),
        vec!["Chris Gast", "Jürgen Müller"]
    );
    let teams: Vec<Team> = chris.get("/teams").await;
    assert_eq!(
        teams.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        vec!["Familie Özdemir"]
    );
    chris
        .fails::<()>(
            Method::GET,
            &format!("/teams/{}", pflege.id),
            None,
            "not_found",
        )
        .await;
    chris
        .fails::<()>(
            Method::GET,
            &format!("/directory?team={}", pflege.id),
            None,
            "not_found",
        )
        .await;

    // Team detail: leads first, sub-teams listed.
    let detail: TeamDetail = ben.get(&format!("/teams/{}", pflege.id)).await;
    assert_eq!(
        detail.children.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![wund.id]
    );
    let wund_detail: TeamDetail = ben.get(&format!("/teams/{}", wund.id)).await;
    assert_eq!(wund_detail.members[0].role, TeamRole::Lead);

    // Renaming a team changes what the directory finds.
    let _: Team = anna
        .ok(
            Method::PATCH,
            &format!("/teams/{}", koeln.id),
            &TeamPatch {
                name: Some("Standort Düsseldorf".into()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(
        names(&search(anna, "q=duesseldorf").await),
        vec!["Ben Becker"]
    );
    let (status, _) = anna
        .call::<()>(
            Method::DELETE,
            &format!("/teams/{}/members/{}", koeln.id, ben.id()),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 204);
    assert!(names(&search(anna, "q=duesseldorf").await).is_empty());
    let (status, _) = anna
        .call::<()>(Method::DELETE, &format!("/teams/{}", koeln.id), None)
        .await;
    assert_eq!(status.as_u16(), 204);

    // Bad profile input is refused with the field named.
    let (status, body) = anna
        .call(
            Method::PATCH,
            &format!("/people/{}", ben.id()),
            Some(&ProfilePatch {
                phone_extension: Some("call me".into()),
                ..Default::default()
            }),
        )
        .await;
    assert_eq!(status.as_u16(), 400);
    assert_eq!(body["error"]["field"], "phone_extension");
    let (_, body) = anna
        .call(
            Method::PATCH,
            &format!("/people/{}", ben.id()),
            Some(&ProfilePatch {
                competences: Some(vec!["x".repeat(61)]),
                ..Default::default()
            }),
        )
        .await;
    assert_eq!(body["error"]["field"], "competences");
    w.server.stop().await;
}

#[tokio::test]
async fn avatars_are_checked_by_their_bytes() {
    let w = World::new().await;
    let ben = &w.ben;
    let png = png(64, 64);
    let put = |bytes: Vec<u8>| {
        let ben = ben.clone();
        async move {
            ben.raw(Method::PUT, &format!("/people/{}/avatar", ben.id()))
                .await
                .body(bytes)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(put(png.clone()).await.status().as_u16(), 200);
    let res = w
        .anna
        .raw(Method::GET, &format!("/people/{}/avatar", ben.id()))
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);
    // SVG (script inside) and anything unknown are refused; so is a big image.
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    let res = put(svg).await;
    assert_eq!(res.status().as_u16(), 415);
    let big: Vec<u8> = [b"\xFF\xD8\xFF".as_slice(), &vec![0u8; 600 * 1024]].concat();
    assert_eq!(put(big).await.status().as_u16(), 413);
    let huge = vec![0u8; 2 * 1024 * 1024];
    let res = put(huge).await;
    assert_eq!(res.status().as_u16(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    // Dora next door cannot see it.
    w.dora
        .fails::<()>(
            Method::GET,
            &format!("/people/{}/avatar", ben.id()),
            None,
            "not_found",
        )
        .await;
    w.server.stop().await;
}

/// The start of a PNG that says it is `w` × `h` pixels.
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut p = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    p.extend_from_slice(&w.to_be_bytes());
    p.extend_from_slice(&h.to_be_bytes());
    p.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    p
}

#[tokio::test]
async fn avatars_and_logos_declaring_twenty_thousand_pixels_a_side_are_refused() {
    let w = World::new().await;
    let ben = &w.ben;
    let put = |path: String, actor: &Actor, bytes: Vec<u8>| {
        let actor = actor.clone();
        async move {
            let res = actor
                .raw(Method::PUT, &path)
                .await
                .body(bytes)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (
                status,
                res.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    let avatar = format!("/people/{}/avatar", ben.id());
    // A few hundred bytes that would decode to 1.6 GB of pixels.
    let jpeg = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x4E, 0x20,
        0x4E, 0x20, 0x03,
    ];
    let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    webp.extend_from_slice(&[0x1F, 0x4E, 0x00, 0x1F, 0x4E, 0x00]);
    for bomb in [png(20000, 20000), png(64, 20000), jpeg, webp] {
        let (status, body) = put(avatar.clone(), ben, bomb).await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(body["error"]["field"], "image");
    }
    let (status, _) = put("/org/logo".into(), &w.anna, png(20000, 20000)).await;
    assert_eq!(status, 413);
    // A header that says no size at all is not an image.
    let (status, _) = put(
        avatar.clone(),
        ben,
        [b"\x89PNG\r\n\x1a\n".as_slice(), &[0u8; 64]].concat(),
    )
    .await;
    assert_eq!(status, 415);
    let (status, _) = put(avatar, ben, png(4096, 4096)).await;
    assert_eq!(status, 200);
    w.server.stop().await;
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.as_bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(*b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[tokio::test]
async fn colleagues_with_the_same_or_a_lookalike_name_can_be_told_apart() {
    let w = World::new().await;
    let (anna, ben, chris) = (&w.anna, &w.ben, &w.chris);
    let rename = |actor: &Actor, name: &str| {
        let actor = actor.clone();
        let name = name.to_owned();
        async move {
            actor
                .call(
                    Method::PATCH,
                    &format!("/people/{}", actor.id()),
                    Some(&serde_json::json!({ "display_name": name })),
                )
                .await
        }
    };
    // Names that show nothing, or nothing but marks, are refused.
    for invisible in [
        "\u{3164}",
        "\u{2800}\u{2800}",
        "\u{115F}\u{1160}",
        "!!! ...",
        "🌻🌻",
        "Anna\u{E0041}",
        "An\u{034F}na",
        "Anna\u{2028}Schmidt",
    ] {
        let (status, body) = rename(ben, invisible).await;
        assert_eq!(status.as_u16(), 400, "{invisible:?}: {body}");
        assert_eq!(body["error"]["field"], "display_name", "{invisible:?}");
    }
    // Alone with her name, Anna needs nothing else; Dora's "Anna Schmidt" next door is not a
    // colleague.
    rename(&w.dora, "Anna Schmidt").await;
    let (_, me) = anna
        .call::<()>(Method::GET, &format!("/people/{}", anna.id()), None)
        .await;
    assert!(me["disambiguator"].is_null(), "{me}");
    // Ben takes her exact name, Chris a look-alike with a Cyrillic А: everyone of them now
    // carries what tells them apart, in the directory and in the identity answers.
    let (status, body) = rename(ben, "Anna Schmidt").await;
    assert!(status.is_success(), "{body}");
    assert_eq!(body["disambiguator"], ben.email());
    let (status, body) = rename(chris, "\u{0410}nna  Schmidt").await;
    assert!(status.is_success(), "{body}");
    assert_eq!(body["disambiguator"], chris.email());
    let (_, page) = anna
        .call::<()>(Method::GET, "/directory?q=Schmidt&limit=10", None)
        .await;
    let people = page["people"].as_array().unwrap();
    assert_eq!(people.len(), 3, "{page}");
    for p in people {
        assert_eq!(p["disambiguator"], p["email"], "{p}");
    }
    let (_, me) = anna
        .call::<()>(Method::GET, &format!("/people/{}", anna.id()), None)
        .await;
    assert_eq!(me["disambiguator"], anna.email());
    let mut anna_device = ChatDevice::of(&w.server.url, anna).await;
    let _ben_device = ChatDevice::of(&w.server.url, ben).await;
    let (_, bundles) = anna
        .call::<()>(
            Method::GET,
            &format!("/identity/people?ids={}", ben.id()),
            None,
        )
        .await;
    assert_eq!(
        bundles["bundles"][0]["disambiguator"],
        ben.email(),
        "{bundles}"
    );
    // The change reached Anna's devices too: her own person changed.
    anna_device.s.sync().await.unwrap();
    // Ben takes another name: Anna and Chris remain look-alikes of each other.
    rename(ben, "Ben Becker").await;
    let (_, b) = anna
        .call::<()>(Method::GET, &format!("/people/{}", ben.id()), None)
        .await;
    assert!(b["disambiguator"].is_null());
    let (_, me) = anna
        .call::<()>(Method::GET, &format!("/people/{}", anna.id()), None)
        .await;
    assert_eq!(me["disambiguator"], anna.email());
    w.server.stop().await;
}

async fn competences(actor: &Actor, query: &str) -> Vec<(String, u32)> {
    let list: Competences = actor.get(&format!("/directory/competences?{query}")).await;
    list.competences
        .into_iter()
        .map(|c| (c.name, c.people))
        .collect()
}

#[tokio::test]
async fn the_competence_filter_finds_by_prefix_and_suggests_only_the_organisations_own() {
    let w = World::new().await;
    let (anna, ben, chris, dora) = (&w.anna, &w.ben, &w.chris, &w.dora);
    let with = |list: &[&str]| ProfilePatch {
        competences: Some(list.iter().map(|c| (*c).to_owned()).collect()),
        ..Default::default()
    };
    profile(
        anna,
        anna.id(),
        with(&["Wundmanagement", "Qualitätssicherung"]),
    )
    .await;
    profile(ben, ben.id(), with(&["Wundversorgung", "Palliativpflege"])).await;
    // Next door, in another organisation: the same beginnings must never show here.
    profile(dora, dora.id(), with(&["Wundheilung", "Backen"])).await;
    // Chris (guest) shares a team with Ben only.
    let station = team(anna, "Station 3", TeamKind::Group, None).await;
    add(anna, station.id, ben.id(), TeamRole::Member).await;
    add(anna, station.id, chris.id(), TeamRole::Member).await;

    // The filter: "Wund" and "wund" find both wound competences, not the neighbour's.
    for typed in ["Wund", "wund", "WUND"] {
        assert_eq!(
            names(&search(ben, &format!("competence={typed}")).await),
            vec!["Anna Schmidt", "Ben Becker"],
            "{typed}"
        );
    }
    assert_eq!(
        names(&search(ben, &format!("competence={}", urlencode("qualitäts"))).await),
        vec!["Anna Schmidt"]
    );
    assert_eq!(
        names(&search(ben, "competence=Qualitats").await),
        vec!["Anna Schmidt"],
        "typed without the umlaut"
    );
    assert!(names(&search(ben, "competence=versorgung").await).is_empty());

    // Suggestions: the organisation's competences, sorted, each once, by prefix.
    assert_eq!(
        competences(ben, "").await,
        vec![
            ("Palliativpflege".to_owned(), 1),
            ("Qualitätssicherung".to_owned(), 1),
            ("Wundmanagement".to_owned(), 1),
            ("Wundversorgung".to_owned(), 1),
        ]
    );
    assert_eq!(
        competences(ben, "prefix=wUnD").await,
        vec![
            ("Wundmanagement".to_owned(), 1),
            ("Wundversorgung".to_owned(), 1),
        ]
    );
    assert_eq!(competences(ben, "prefix=Wund&limit=1").await.len(), 1);
    assert_eq!(
        competences(dora, "").await,
        vec![("Backen".to_owned(), 1), ("Wundheilung".to_owned(), 1)],
        "the other organisation sees only its own"
    );
    // A guest is offered only what the people they may see have (Ben's), and themselves.
    assert_eq!(
        competences(chris, "prefix=wund").await,
        vec![("Wundversorgung".to_owned(), 1)]
    );
    ben.fails::<()>(
        Method::GET,
        "/directory/competences?limit=0",
        None,
        "invalid_input",
    )
    .await;
    ben.fails::<()>(
        Method::GET,
        "/directory/competences?limit=101",
        None,
        "invalid_input",
    )
    .await;
    w.server
        .anonymous()
        .fails::<()>(
            Method::GET,
            "/directory/competences",
            None,
            "unauthenticated",
        )
        .await;
}

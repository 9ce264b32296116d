//! Output for people (aligned tables, short sentences) or scripts (`--json`).

use kontor_proto::api::*;
use serde::Serialize;

/// Prints a value as pretty JSON.
pub fn json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Prints rows as an aligned table with a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            out.push_str(c);
            if i + 1 < cells.len() {
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

pub fn org_created(c: &CreateOrgResponse, as_json: bool) {
    if as_json {
        return json(c);
    }
    println!(
        "Organisation angelegt / created: {} ({})",
        c.org.name, c.org.slug
    );
    println!(
        "Einladung für / invitation for: {} (owner)",
        c.invitation.invitation.email
    );
    println!("Link: {}", c.invitation.link);
    println!("Code: {}", c.invitation.code);
    println!(
        "Gültig bis / valid until: {}",
        c.invitation.invitation.expires_at
    );
}

pub fn invitation_created(c: &InvitationCreated, as_json: bool) {
    if as_json {
        return json(c);
    }
    println!(
        "Eingeladen / invited: {} ({})",
        c.invitation.email,
        c.invitation.role.as_str()
    );
    println!("Link: {}", c.link);
    println!("Code: {}", c.code);
    println!("Gültig bis / valid until: {}", c.invitation.expires_at);
}

pub fn session(s: &SessionCreated, device: &serde_json::Value, as_json: bool) {
    let recovery = device.get("recovery_key").and_then(|k| k.as_str());
    let linked = device
        .get("linked")
        .and_then(|l| l.as_bool())
        .unwrap_or(false);
    if as_json {
        let mut v = serde_json::to_value(s).unwrap_or_default();
        // The token is saved in the session file; keep it out of terminals and logs.
        if let Some(o) = v.as_object_mut() {
            o.remove("token");
            o.insert("e2ee".into(), device.clone());
        }
        return json(&v);
    }
    println!(
        "Angemeldet als / logged in as {} <{}> in {} ({}), Gerät / device {}",
        s.person.display_name, s.person.email, s.org.name, s.org.slug, s.device.name
    );
    if let Some(key) = recovery {
        println!();
        println!(
            "Wiederherstellungsschlüssel / recovery key (nur jetzt sichtbar / shown only now):"
        );
        println!("  {key}");
        println!("Bewahren Sie ihn sicher auf: damit verknüpfen Sie neue Geräte ohne ein altes.");
        println!("Keep it safe: it links new devices when no old one is at hand.");
    } else if !linked {
        println!();
        println!(
            "Neues Gerät / new device: `kontor device link` (Bestätigung auf einem anderen Gerät / approve on another device) oder / or `kontor device link --recovery-key …`"
        );
    }
}

fn teams_of(p: &Person) -> String {
    p.teams
        .iter()
        .map(|t| t.name.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn people(list: &[Person], total: Option<u64>, as_json: bool) {
    if as_json {
        return json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| {
            vec![
                p.display_name.clone(),
                p.email.clone(),
                p.role.as_str().to_owned(),
                p.status.as_str().to_owned(),
                p.job_title.clone(),
                teams_of(p),
                p.competences.join(", "),
                p.id.to_string(),
            ]
        })
        .collect();
    table(
        &[
            "NAME",
            "E-MAIL",
            "ROLE",
            "STATUS",
            "JOB",
            "TEAMS",
            "COMPETENCES",
            "ID",
        ],
        &rows,
    );
    if let Some(t) = total {
        println!("({} / {t})", list.len());
    }
}

pub fn person(p: &Person, as_json: bool) {
    if as_json {
        return json(p);
    }
    let fields = [
        ("Name", p.display_name.clone()),
        ("E-Mail", p.email.clone()),
        ("Role / Rolle", p.role.as_str().to_owned()),
        ("Status", p.status.as_str().to_owned()),
        ("Job / Funktion", p.job_title.clone()),
        ("Teams", teams_of(p)),
        ("Competences / Kompetenzen", p.competences.join(", ")),
        ("Languages / Sprachen", p.languages.join(", ")),
        ("Location / Standort", p.location.clone()),
        ("Extension / Durchwahl", p.phone_extension.clone()),
        (
            "Avatar",
            if p.has_avatar {
                "yes".into()
            } else {
                "no".into()
            },
        ),
        ("Id", p.id.to_string()),
    ];
    for (k, v) in fields {
        println!("{k:<28}{v}");
    }
}

pub fn teams(list: &[Team], as_json: bool) {
    if as_json {
        return json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|t| {
            vec![
                t.name.clone(),
                t.kind.as_str().to_owned(),
                t.member_count.to_string(),
                t.parent_id.map(|p| p.to_string()).unwrap_or_default(),
                t.id.to_string(),
            ]
        })
        .collect();
    table(&["NAME", "KIND", "MEMBERS", "PARENT", "ID"], &rows);
}

pub fn team_detail(d: &TeamDetail, as_json: bool) {
    if as_json {
        return json(d);
    }
    println!("{} ({}), {}", d.team.name, d.team.kind.as_str(), d.team.id);
    if !d.team.description.is_empty() {
        println!("{}", d.team.description);
    }
    let rows: Vec<Vec<String>> = d
        .members
        .iter()
        .map(|m| {
            vec![
                m.display_name.clone(),
                m.role.as_str().to_owned(),
                m.person_id.to_string(),
            ]
        })
        .collect();
    table(&["MEMBER", "ROLE", "ID"], &rows);
    for c in &d.children {
        println!("  └ {} ({})", c.name, c.kind.as_str());
    }
}

pub fn invitations(list: &[Invitation], as_json: bool) {
    if as_json {
        return json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|i| {
            let state = if i.revoked {
                "revoked"
            } else if i.accepted_at.is_some() {
                "accepted"
            } else {
                "open"
            };
            vec![
                i.email.clone(),
                i.role.as_str().to_owned(),
                state.to_owned(),
                i.expires_at.clone(),
                i.id.to_string(),
            ]
        })
        .collect();
    table(&["E-MAIL", "ROLE", "STATE", "EXPIRES", "ID"], &rows);
}

pub fn import_report(r: &ImportReport, as_json: bool) {
    if as_json {
        return json(r);
    }
    for l in &r.lines {
        let email = l.email.clone().unwrap_or_default();
        match (&l.invitation, &l.error) {
            (Some(inv), _) => println!("line {:>4}  ok       {email}  {}", l.line, inv.link),
            (None, Some(e)) => println!(
                "line {:>4}  skipped  {email}  {} [{}]{}",
                l.line,
                e.message,
                e.code,
                e.field
                    .as_ref()
                    .map(|f| format!(" ({f})"))
                    .unwrap_or_default()
            ),
            (None, None) => println!("line {:>4}  skipped  {email}", l.line),
        }
    }
    println!(
        "imported / importiert: {}, skipped / übersprungen: {}",
        r.imported, r.skipped
    );
}

pub fn devices(list: &[Device], as_json: bool) {
    if as_json {
        return json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|d| {
            vec![
                format!("{}{}", d.name, if d.current { " *" } else { "" }),
                d.platform.clone(),
                if d.revoked {
                    "revoked".into()
                } else {
                    "active".into()
                },
                d.last_seen_at.clone(),
                d.id.to_string(),
            ]
        })
        .collect();
    table(&["DEVICE", "PLATFORM", "STATE", "LAST SEEN", "ID"], &rows);
}

pub fn sessions(list: &[SessionInfo], as_json: bool) {
    if as_json {
        return json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            vec![
                format!("{}{}", s.id, if s.current { " *" } else { "" }),
                s.device_id.to_string(),
                s.created_at.clone(),
                s.last_used_at.clone(),
                s.expires_at.clone(),
            ]
        })
        .collect();
    table(
        &["SESSION", "DEVICE", "CREATED", "LAST USED", "EXPIRES"],
        &rows,
    );
}

pub fn policies(p: &Policies, as_json: bool) {
    if as_json {
        return json(p);
    }
    let onoff = |b: bool| if b { "on" } else { "off" }.to_owned();
    let rows = [
        ("presence", format!("{:?}", p.presence).to_lowercase()),
        ("read_receipts", onoff(p.read_receipts)),
        (
            "retention_days",
            p.retention_days
                .map(|d| d.to_string())
                .unwrap_or_else(|| "keep".into()),
        ),
        ("max_upload_bytes", p.max_upload_bytes.to_string()),
        ("guest_access", onoff(p.guest_access)),
        ("storage_quota_mib", p.storage_quota_mib.to_string()),
        (
            "channel_creators",
            format!("{:?}", p.channel_creators).to_lowercase(),
        ),
        ("org_admins_manage", onoff(p.org_admins_manage)),
        (
            "self_registration_domains",
            if p.self_registration_domains.is_empty() {
                "off".into()
            } else {
                p.self_registration_domains.join(", ")
            },
        ),
    ];
    for (k, v) in rows {
        println!("{k:<28}{v}");
    }
}

pub fn audit(page: &AuditPage, as_json: bool) {
    if as_json {
        return json(page);
    }
    let rows: Vec<Vec<String>> = page
        .entries
        .iter()
        .map(|e| {
            vec![
                e.at.clone(),
                e.actor_name.clone().unwrap_or_else(|| "operator".into()),
                e.action.clone(),
                e.target_id.clone().unwrap_or_default(),
                e.address.clone().unwrap_or_default(),
                e.details.to_string(),
            ]
        })
        .collect();
    table(
        &["WHEN", "WHO", "ACTION", "TARGET", "ADDRESS", "DETAILS"],
        &rows,
    );
}

//! The event WebSocket: pushes to the devices concerned, resumes without loss, and a slow
//! client holds up nobody.

use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use kontor_proto::EventKind;
use kontor_proto::api::*;
use kontor_proto::event::{ClientFrame, ServerFrame, close_code};
use reqwest::Method;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn profile_changes_reach_colleagues_and_device_events_only_their_owner() {
    let w = World::new().await;
    let (anna, ben, chris) = (&w.anna, &w.ben, &w.chris);
    let mut ben_ws = connect_events(&w.server.url, ben.token.as_deref().unwrap(), u64::MAX).await;
    let Next::Frame(ServerFrame::Ready { last_seq, .. }) = next_frame(&mut ben_ws, WAIT).await
    else {
        panic!("ready expected")
    };
    let mut chris_ws =
        connect_events(&w.server.url, chris.token.as_deref().unwrap(), last_seq).await;
    assert!(matches!(
        next_frame(&mut chris_ws, WAIT).await,
        Next::Frame(ServerFrame::Ready { .. })
    ));

    let _: Person = anna
        .ok(
            Method::PATCH,
            &format!("/people/{}", anna.id()),
            &ProfilePatch {
                job_title: Some("Geschäftsführerin".into()),
                ..Default::default()
            },
        )
        .await;
    let event = wait_for_event(&mut ben_ws, WAIT, |e| {
        matches!(&e.kind, EventKind::PersonChanged { .. })
    })
    .await;
    let EventKind::PersonChanged { person } = event.kind else {
        unreachable!()
    };
    assert_eq!(person.job_title, "Geschäftsführerin");
    // State plus the event equals a fresh fetch.
    let fresh: Person = ben.get(&format!("/people/{}", anna.id())).await;
    assert_eq!(person, fresh);
    // Chris (guest, no shared team) does not learn about Anna.
    assert!(matches!(
        next_frame(&mut chris_ws, Duration::from_millis(300)).await,
        Next::Timeout
    ));

    // Anna revokes her second device: only Anna's devices hear of it.
    let anna_phone = w.server.login(&anna.slug(), &anna.email()).await;
    let mut anna_ws = connect_events(&w.server.url, anna.token.as_deref().unwrap(), u64::MAX).await;
    assert!(matches!(
        next_frame(&mut anna_ws, WAIT).await,
        Next::Frame(ServerFrame::Ready { .. })
    ));
    let phone_device = anna_phone.session.as_ref().unwrap().device.id;
    let (status, _) = anna
        .call::<()>(Method::DELETE, &format!("/me/devices/{phone_device}"), None)
        .await;
    assert_eq!(status.as_u16(), 204);
    let e = wait_for_event(&mut anna_ws, WAIT, |e| {
        matches!(e.kind, EventKind::DeviceRevoked { .. })
    })
    .await;
    assert!(matches!(e.kind, EventKind::DeviceRevoked { device_id } if device_id == phone_device));
    let seen_by_ben = ben.events_after(0).await;
    assert!(!seen_by_ben.events.iter().any(|e| matches!(
        e.kind,
        EventKind::DeviceRevoked { .. } | EventKind::SessionEnded { .. }
    )));
    w.server.stop().await;
}

#[tokio::test]
async fn a_client_that_reconnects_catches_up_without_loss_or_duplicates() {
    let w = World::new().await;
    let (anna, ben) = (&w.anna, &w.ben);
    let mut ws = connect_events(&w.server.url, ben.token.as_deref().unwrap(), 0).await;
    assert!(matches!(
        next_frame(&mut ws, WAIT).await,
        Next::Frame(ServerFrame::Ready { .. })
    ));
    // Read everything there is for Ben (some events were for others only), then go away.
    let mut seen = Vec::new();
    while let Next::Frame(ServerFrame::Event { event }) =
        next_frame(&mut ws, Duration::from_millis(300)).await
    {
        seen.push(event.seq);
    }
    assert!(!seen.is_empty());
    let cursor = *seen.last().unwrap();
    drop(ws);
    // While Ben is away, 25 changes happen.
    for i in 0..25 {
        let _: Person = anna
            .ok(
                Method::PATCH,
                &format!("/people/{}", anna.id()),
                &ProfilePatch {
                    phone_extension: Some(format!("{i}")),
                    ..Default::default()
                },
            )
            .await;
    }
    // A browser-style connection: no header, an auth frame with the resume point.
    let url = format!("{}/api/v1/events", w.server.url.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let auth = ClientFrame::Auth {
        token: ben.token.clone().unwrap(),
        after: Some(cursor),
    };
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        serde_json::to_string(&auth).unwrap().into(),
    ))
    .await
    .unwrap();
    let mut extensions = Vec::new();
    let mut seqs = Vec::new();
    while extensions.len() < 25 {
        match next_frame(&mut ws, WAIT).await {
            Next::Frame(ServerFrame::Event { event }) => {
                seqs.push(event.seq);
                if let EventKind::PersonChanged { person } = event.kind {
                    extensions.push(person.phone_extension);
                }
            }
            Next::Frame(_) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        extensions,
        (0..25).map(|i| i.to_string()).collect::<Vec<_>>()
    );
    assert!(
        seqs.windows(2).all(|p| p[1] == p[0] + 1),
        "gap-free: {seqs:?}"
    );
    assert!(seqs[0] > cursor, "nothing repeated");
    // The poll endpoint agrees.
    let page = ben.events_after(cursor).await;
    assert_eq!(page.events.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs);
    w.server.stop().await;
}

#[tokio::test]
async fn a_slow_client_does_not_stall_others() {
    let w = World::new().await;
    let (anna, ben) = (&w.anna, &w.ben);
    // Chris's connection never reads (a stalled phone); Ben's reads.
    let stalled = connect_events(&w.server.url, anna.token.as_deref().unwrap(), 0).await;
    let mut ws = connect_events(&w.server.url, ben.token.as_deref().unwrap(), u64::MAX).await;
    assert!(matches!(
        next_frame(&mut ws, WAIT).await,
        Next::Frame(ServerFrame::Ready { .. })
    ));
    // About 2.5 KB per event, 400 events: more than the socket buffers hold for the stalled one.
    let competences: Vec<String> = (0..30)
        .map(|i| format!("{i:02}{}", "k".repeat(56)))
        .collect();
    for i in 0..400 {
        let patch = ProfilePatch {
            job_title: Some(format!("{i}")),
            competences: Some(competences.clone()),
            ..Default::default()
        };
        let _: Person = anna
            .ok(Method::PATCH, &format!("/people/{}", anna.id()), &patch)
            .await;
    }
    let mut n = 0;
    while n < 400 {
        wait_for_event(&mut ws, WAIT, |e| {
            matches!(e.kind, EventKind::PersonChanged { .. })
        })
        .await;
        n += 1;
    }
    drop(stalled);
    w.server.stop().await;
}

#[tokio::test]
async fn bad_tokens_are_refused_before_and_after_the_upgrade() {
    let w = World::new().await;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}/api/v1/events", w.server.url.replacen("http", "ws", 1));
    let mut req = url.clone().into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", "Bearer kst_nope".parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url.clone()).await.unwrap();
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        r#"{"type":"auth","token":"kst_nope"}"#.into(),
    ))
    .await
    .unwrap();
    assert!(matches!(
        next_frame(&mut ws, WAIT).await,
        Next::Closed(Some(close_code::UNAUTHENTICATED))
    ));
    // Garbage instead of an auth frame.
    let (mut ws, _) = tokio_tungstenite::connect_async(url.clone()).await.unwrap();
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        "hello".into(),
    ))
    .await
    .unwrap();
    assert!(matches!(
        next_frame(&mut ws, WAIT).await,
        Next::Closed(Some(close_code::UNAUTHENTICATED))
    ));
    // An oversized client message closes with 1009.
    let mut ws = connect_events(&w.server.url, w.ben.token.as_deref().unwrap(), u64::MAX).await;
    assert!(matches!(
        next_frame(&mut ws, WAIT).await,
        Next::Frame(ServerFrame::Ready { .. })
    ));
    let _ = ws
        .send(tokio_tungstenite::tungstenite::Message::Text(
            "x".repeat(64 * 1024).into(),
        ))
        .await;
    let mut closed = None;
    for _ in 0..10 {
        match ws.next().await {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(c))) => {
                closed = c.map(|c| u16::from(c.code));
                break;
            }
            Some(Ok(_)) => continue,
            _ => break,
        }
    }
    assert_eq!(closed, Some(1009));
    w.server.stop().await;
}

#[tokio::test]
async fn a_device_cannot_pile_up_event_sockets_and_the_oldest_makes_room() {
    let server = TestServer::start_custom(
        std::sync::Arc::new(kontor_server::clock::SystemClock),
        |c| {
            c.limits.sockets.per_device = 3;
            c.limits.sockets.per_person = 4;
        },
    )
    .await;
    let org = server.create_org("Werk", "anna@werk.example").await;
    let anna = server.join(&org.invitation.code, "Anna").await;
    let token = anna.token.clone().unwrap();
    let mut sockets = Vec::new();
    for _ in 0..4 {
        let mut ws = connect_events(&server.url, &token, u64::MAX).await;
        assert!(matches!(
            next_frame(&mut ws, WAIT).await,
            Next::Frame(ServerFrame::Ready { .. })
        ));
        sockets.push(ws);
    }
    // The fourth of one device closed the first (it is most likely one left behind).
    assert!(matches!(
        next_frame(&mut sockets[0], WAIT).await,
        Next::Closed(Some(close_code::TOO_MANY_CONNECTIONS))
    ));
    // Two from Anna's phone: her fifth open one in all closes her oldest.
    let phone = server.login(&anna.slug(), &anna.email()).await;
    let phone_token = phone.token.clone().unwrap();
    for _ in 0..2 {
        let mut ws = connect_events(&server.url, &phone_token, u64::MAX).await;
        assert!(matches!(
            next_frame(&mut ws, WAIT).await,
            Next::Frame(ServerFrame::Ready { .. })
        ));
        sockets.push(ws);
    }
    assert!(matches!(
        next_frame(&mut sockets[1], WAIT).await,
        Next::Closed(Some(close_code::TOO_MANY_CONNECTIONS))
    ));
    // The ones left all hear what happens.
    let _: Person = anna
        .ok(
            Method::PATCH,
            &format!("/people/{}", anna.id()),
            &ProfilePatch {
                job_title: Some("Meisterin".into()),
                ..Default::default()
            },
        )
        .await;
    for ws in &mut sockets[2..] {
        wait_for_event(ws, WAIT, |e| {
            matches!(&e.kind, EventKind::PersonChanged { .. })
        })
        .await;
    }
    server.stop().await;
}

//! Device lists and membership certificates (`kontor_client::trust::Trust::learn`): identity
//! bundles as `GET /identity/people` serves them, in any order, replayed or forged. Whatever is
//! learnt verifies; an identity key once pinned never changes; a device list never goes back
//! to an older version; its devices are trusted, and its retired ones pass where a change made
//! while they were listed is judged; a refused bundle changes nothing; learning the same bundle
//! twice changes nothing the second time.
#![no_main]

use kontor_client::identity::verify_device_list;
use kontor_client::trust::Trust;
use kontor_fuzz::org_public;
use kontor_proto::identity::IdentityBundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(bundles) = serde_json::from_slice::<Vec<IdentityBundle>>(data) else {
        return;
    };
    let mut trust = Trust::default();
    let org = org_public();
    trust
        .pin_org_key(
            org.signing_key.as_slice(),
            org.external_sender_key.as_slice(),
        )
        .expect("first pin");
    for bundle in &bundles {
        let json = serde_json::to_vec(bundle).expect("a bundle encodes");
        let again: IdentityBundle = serde_json::from_slice(&json).expect("and decodes");
        assert_eq!(&again, bundle);
        let user = bundle.certificate.membership.person_id;
        let before = trust.people.get(&user).cloned();
        let snapshot = |t: &Trust| {
            t.people
                .get(&user)
                .map(|p| serde_json::to_vec(p).expect("encodes"))
        };
        let was = snapshot(&trust);
        match trust.learn(bundle) {
            Ok(_) => {
                let known = &trust.people[&user];
                verify_device_list(&known.device_list).expect("a kept list verifies");
                assert_eq!(known.identity_key, known.device_list.list.identity_key.0);
                if let Some(before) = &before {
                    assert_eq!(known.identity_key, before.identity_key, "pinned");
                    assert!(known.device_list.list.version >= before.device_list.list.version);
                }
                let mut seen = Vec::new();
                for d in &known.device_list.list.devices {
                    if seen.contains(&d.device_id) {
                        continue;
                    }
                    seen.push(d.device_id);
                    trust
                        .check_device(user, d.device_id, d.mls_signature_key.as_slice())
                        .expect("a listed device is trusted with its key");
                }
                for r in &known.device_list.list.retired {
                    trust
                        .check_device_once_listed(user, r.device_id, r.mls_signature_key.as_slice())
                        .expect("a device listed before passes with its key");
                }
                assert_eq!(
                    trust.learn(bundle).ok(),
                    Some(false),
                    "nothing new the second time"
                );
            }
            Err(_) => assert_eq!(snapshot(&trust), was, "a refused bundle changes nothing"),
        }
    }
});

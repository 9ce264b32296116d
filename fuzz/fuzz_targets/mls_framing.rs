//! The delivery service's framing check (`kontor_intake::mls_framing::check`): the wire
//! format, content type, group and epoch of a posted MLS message against what its sender
//! declares. Input: kind (1 byte), epoch (8), conversation id (16), the Welcome's length (2),
//! then the body and the Welcome.
#![no_main]

use kontor_intake::mls_framing::check;
use kontor_proto::ConversationId;
use kontor_proto::conversation::MessageKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<27>() else {
        return;
    };
    let kind = [
        MessageKind::Application,
        MessageKind::Commit,
        MessageKind::Proposal,
    ][usize::from(head[0] % 3)];
    let epoch = u64::from_be_bytes(head[1..9].try_into().expect("8 bytes"));
    let conv = ConversationId(uuid::Uuid::from_bytes(
        head[9..25].try_into().expect("16 bytes"),
    ));
    let welcome_len = usize::from(u16::from_be_bytes([head[25], head[26]]));
    let (body, welcome) = if welcome_len > 0 && welcome_len <= rest.len() {
        let (b, w) = rest.split_at(rest.len() - welcome_len);
        (b, Some(w))
    } else {
        (rest, None)
    };
    let _ = check(conv, kind, epoch, body, welcome);
});

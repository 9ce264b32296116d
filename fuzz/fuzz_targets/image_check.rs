//! Avatars and logos (`kontor_intake::images`): the type from the magic bytes, the size from
//! the header. What is accepted is of the type its bytes say, with 1 to `MAX_SIDE` pixels a
//! side.
#![no_main]

use kontor_intake::images::{MAX_SIDE, check, dimensions, image_type, png};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = png(data);
    let size = dimensions(data);
    if let Ok(content_type) = check(data, usize::MAX) {
        assert_eq!(image_type(data), Some(content_type));
        let (w, h) = size.expect("an accepted image has a size");
        assert!((1..=MAX_SIDE).contains(&w) && (1..=MAX_SIDE).contains(&h));
    }
});

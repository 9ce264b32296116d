//! Images the server does see (avatars, logos): checked by their bytes, never by what the
//! client claims. The type comes from the magic bytes; the size in pixels from the header
//! (PNG `IHDR`, JPEG start-of-frame, WebP `VP8 `/`VP8L`/`VP8X`), so that a small file that
//! declares 20000 × 20000 pixels, which would take a browser gigabytes to decode, is refused.
//! SVG is never accepted (it can carry scripts).

/// Why an image is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// More bytes than the upload allows.
    #[error("the file is larger than allowed")]
    TooLarge,
    /// Not a PNG, JPEG or WebP, or no header that says its size.
    #[error("not a PNG, JPEG or WebP image")]
    Unsupported,
    /// No pixels, or more than [`MAX_SIDE`] a side.
    #[error("the image has no pixels or too many")]
    BadSize,
}

/// The most pixels per side.
pub const MAX_SIDE: u32 = 4096;

/// The image type, from the bytes themselves.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Width and height in pixels, from the header of a PNG, JPEG or WebP.
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    match image_type(bytes)? {
        "image/png" => png(bytes),
        "image/jpeg" => jpeg(bytes),
        _ => webp(bytes),
    }
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

/// Width and height of a PNG, from its `IHDR` chunk.
pub fn png(b: &[u8]) -> Option<(u32, u32)> {
    if !b.starts_with(b"\x89PNG\r\n\x1a\n") || b.get(12..16)? != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(b.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(b.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

/// Width and height of a JPEG, from its first start-of-frame segment.
fn jpeg(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    loop {
        while *b.get(i)? != 0xFF {
            i += 1;
        }
        while *b.get(i)? == 0xFF {
            i += 1;
        }
        let marker = *b.get(i)?;
        i += 1;
        match marker {
            0x01 | 0xD0..=0xD8 => continue,
            0xD9 | 0xDA => return None,
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Some((be16(b, i + 5)?, be16(b, i + 3)?));
            }
            _ => i += usize::try_from(be16(b, i)?).ok()?,
        }
    }
}

/// Width and height of a WebP, from its first chunk.
fn webp(b: &[u8]) -> Option<(u32, u32)> {
    let data = b.get(20..)?;
    match b.get(12..16)? {
        b"VP8 " => {
            if data.get(3..6)? != [0x9d, 0x01, 0x2a] {
                return None;
            }
            Some((le16(data, 6)? & 0x3fff, le16(data, 8)? & 0x3fff))
        }
        b"VP8L" => {
            if *data.first()? != 0x2f {
                return None;
            }
            let bits = u32::from_le_bytes(data.get(1..5)?.try_into().ok()?);
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8X" => Some((le24(data, 4)? + 1, le24(data, 7)? + 1)),
        _ => None,
    }
}

/// Checks an uploaded image: at most `max_bytes`, PNG, JPEG or WebP by its bytes, a header
/// that says its size, at most [`MAX_SIDE`] pixels a side. Returns its content type.
pub fn check(bytes: &[u8], max_bytes: usize) -> Result<&'static str, ImageError> {
    if bytes.len() > max_bytes {
        return Err(ImageError::TooLarge);
    }
    let content_type = image_type(bytes).ok_or(ImageError::Unsupported)?;
    let (w, h) = dimensions(bytes).ok_or(ImageError::Unsupported)?;
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(ImageError::BadSize);
    }
    Ok(content_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sizes_from_each_format() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&512u32.to_be_bytes());
        png.extend_from_slice(&256u32.to_be_bytes());
        assert_eq!(dimensions(&png), Some((512, 256)));
        // JPEG: APP0, then SOF0 with height 300 and width 400.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01,
            0x2C, 0x01, 0x90, 0x03,
        ];
        assert_eq!(dimensions(&jpeg), Some((400, 300)));
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend_from_slice(&[0x1F, 0x4E, 0x00, 0x1F, 0x4E, 0x00]);
        assert_eq!(dimensions(&vp8x), Some((20000, 20000)));
        let mut vp8l = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        vp8l.extend_from_slice(&((99u32) | (49u32 << 14)).to_le_bytes());
        assert_eq!(dimensions(&vp8l), Some((100, 50)));
        assert_eq!(dimensions(b"GIF89a"), None);
        assert_eq!(dimensions(&[0xFF, 0xD8, 0xFF, 0xDA]), None);
    }
}

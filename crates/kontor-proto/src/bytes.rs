//! Opaque bytes on the wire: standard base64 in JSON.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Bytes the server stores and forwards without understanding them (MLS messages, key
/// packages, signatures, encrypted blobs). Base64 (standard alphabet, padded) in JSON.
#[derive(Clone, Default, PartialEq, Eq, Hash, utoipa::ToSchema)]
#[schema(value_type = String, format = Byte)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, type = "string"))]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes(v)
    }
}

impl fmt::Debug for Bytes {
    /// Never prints the content: these bytes may be ciphertext or keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        STANDARD
            .decode(s.as_bytes())
            .map(Bytes)
            .map_err(|_| serde::de::Error::custom("invalid base64"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_base64_and_refuses_garbage() {
        let b = Bytes(vec![0, 1, 2, 255]);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, "\"AAEC/w==\"");
        assert_eq!(serde_json::from_str::<Bytes>(&json).unwrap(), b);
        assert!(serde_json::from_str::<Bytes>("\"not base64!\"").is_err());
        assert_eq!(format!("{b:?}"), "Bytes(4 bytes)");
    }
}

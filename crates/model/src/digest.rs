//! [`CodeSha256`]: the SHA-256 digest that names a deployment package.
//!
//! Lambda shows a package's digest as base64 (`CodeSha256` in every API answer); lamina also names files
//! and download URLs by the same digest in lowercase hex. Both forms are the same 32 bytes, and this type
//! is the one place that converts between them: parse either form at the boundary, then pass the typed
//! value around and ask it for the form you need.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The SHA-256 of a deployment package (a function's code or a layer version's content).
///
/// [`Display`](fmt::Display) and serde use AWS's form, base64 (standard alphabet, padded);
/// [`CodeSha256::hex`] gives the lowercase hex form. [`FromStr`] accepts either.
///
/// ```
/// use lamina_model::CodeSha256;
///
/// let empty: CodeSha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".parse().unwrap();
/// assert_eq!(empty.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// assert_eq!(CodeSha256::from_hex(&empty.hex()).unwrap(), empty);
/// assert_eq!(empty.to_string(), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeSha256([u8; 32]);

/// A string that is not a SHA-256 digest in base64 or hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a CodeSha256 (a SHA-256 digest in base64 or hex)")]
pub struct BadCodeSha256(pub String);

impl CodeSha256 {
    /// The digest of these 32 bytes (as a SHA-256 implementation returns them).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        CodeSha256(bytes)
    }

    /// The 32 bytes of the digest.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses AWS's form: base64 (standard alphabet, padded) of 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, BadCodeSha256> {
        let bad = || BadCodeSha256(text.to_owned());
        let raw = STANDARD.decode(text).map_err(|_| bad())?;
        raw.try_into().map(CodeSha256).map_err(|_| bad())
    }

    /// Parses the hex form: 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Self, BadCodeSha256> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| BadCodeSha256(text.to_owned()))?;
        Ok(CodeSha256(bytes))
    }

    /// The lowercase hex form: blob and directory names, download URLs.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl FromStr for CodeSha256 {
    type Err = BadCodeSha256;

    /// Either form: 64 characters are hex, anything else must be base64 (44 characters).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() == 64 {
            CodeSha256::from_hex(text)
        } else {
            CodeSha256::from_base64(text)
        }
    }
}

impl fmt::Display for CodeSha256 {
    /// AWS's form (base64).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&STANDARD.encode(self.0))
    }
}

impl fmt::Debug for CodeSha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodeSha256({self})")
    }
}

impl serde::Serialize for CodeSha256 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for CodeSha256 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        CodeSha256::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_B64: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    const EMPTY_HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn both_forms_name_the_same_digest() {
        let from_b64: CodeSha256 = EMPTY_B64.parse().expect("base64");
        let from_hex: CodeSha256 = EMPTY_HEX.parse().expect("hex");
        assert_eq!(from_b64, from_hex);
        assert_eq!(from_hex.to_string(), EMPTY_B64);
        assert_eq!(from_b64.hex(), EMPTY_HEX);
        assert_eq!(
            CodeSha256::from_hex(&EMPTY_HEX.to_uppercase()).expect("upper"),
            from_b64
        );
    }

    #[test]
    fn what_is_not_32_bytes_is_refused() {
        for bad in [
            "",
            "sha-f1-r1",
            "AAAA",
            "../../etc/passwd",
            &EMPTY_HEX[..62],
            &"g".repeat(64),
        ] {
            assert_eq!(
                bad.parse::<CodeSha256>(),
                Err(BadCodeSha256(bad.to_owned())),
                "{bad}"
            );
        }
        assert!(CodeSha256::from_hex(EMPTY_B64).is_err());
        assert!(CodeSha256::from_base64(EMPTY_HEX).is_err());
    }

    #[test]
    fn serde_uses_the_base64_form() {
        let digest = CodeSha256::from_base64(EMPTY_B64).expect("digest");
        let json = serde_json::to_string(&digest).expect("serialise");
        assert_eq!(json, format!("\"{EMPTY_B64}\""));
        assert_eq!(
            serde_json::from_str::<CodeSha256>(&json).expect("deserialise"),
            digest
        );
        assert!(serde_json::from_str::<CodeSha256>(&format!("\"{EMPTY_HEX}\"")).is_err());
    }
}

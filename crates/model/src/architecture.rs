use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The instruction set a function runs on: Lambda's `Architectures` member, which holds exactly one of
/// these (default `x86_64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Architecture {
    /// 64-bit x86 (`x86_64`; Go's `amd64`, ELF `EM_X86_64`).
    #[serde(rename = "x86_64")]
    X86_64,
    /// 64-bit ARM (`arm64`; Go's `arm64`, ELF `EM_AARCH64`).
    #[serde(rename = "arm64")]
    Arm64,
}

impl Architecture {
    /// Every architecture Lambda offers, in the order AWS lists them in its error messages.
    pub const ALL: [Architecture; 2] = [Architecture::X86_64, Architecture::Arm64];

    /// The name Lambda uses on the wire (`x86_64`, `arm64`).
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }

    /// The value of `GOARCH` that builds for this architecture.
    pub fn go_arch(self) -> &'static str {
        match self {
            Architecture::X86_64 => "amd64",
            Architecture::Arm64 => "arm64",
        }
    }

    /// The architecture of the machine lamina itself was built for, if Lambda offers it.
    pub fn host() -> Option<Architecture> {
        match std::env::consts::ARCH {
            "x86_64" => Some(Architecture::X86_64),
            "aarch64" => Some(Architecture::Arm64),
            _ => None,
        }
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no architecture Lambda offers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown architecture '{0}': Lambda offers x86_64 and arm64")]
pub struct UnknownArchitecture(pub String);

impl FromStr for Architecture {
    type Err = UnknownArchitecture;

    /// Parses Lambda's names exactly (`x86_64`, `arm64`), as the Lambda API does: `X86_64` is refused.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "x86_64" => Ok(Architecture::X86_64),
            "arm64" => Ok(Architecture::Arm64),
            other => Err(UnknownArchitecture(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lambda_names_only() {
        assert_eq!("x86_64".parse(), Ok(Architecture::X86_64));
        assert_eq!("arm64".parse(), Ok(Architecture::Arm64));
        assert!("X86_64".parse::<Architecture>().is_err());
        assert!("amd64".parse::<Architecture>().is_err());
    }

    #[test]
    fn round_trips_through_display_and_serde() {
        for arch in Architecture::ALL {
            assert_eq!(arch.to_string().parse(), Ok(arch));
            let json = serde_json::to_string(&arch).expect("serialises");
            assert_eq!(json, format!("\"{arch}\""));
            assert_eq!(serde_json::from_str::<Architecture>(&json).expect("parses"), arch);
        }
    }
}

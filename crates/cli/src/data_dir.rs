//! Where `lamina serve` keeps its state by default, so that other commands (`lamina logs`) find it.

use std::path::PathBuf;

/// `$XDG_DATA_HOME/lamina`, else `~/.local/share/lamina`, else `./lamina-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("lamina");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/lamina");
    }
    PathBuf::from("lamina-data")
}

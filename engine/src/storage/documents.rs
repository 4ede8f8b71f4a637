//! The content-addressed document store: bytes live in a directory under their SHA-256, so the
//! same file is kept once and a stored file can be checked against its name.

use crate::domain::economics::hex;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct DocumentStore {
    root: PathBuf,
}

impl DocumentStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }

    /// Stores `bytes` and returns their SHA-256. Writing is atomic: a temporary file is
    /// renamed into place, so a crash leaves no half-written document under a real name.
    ///
    /// # Errors
    /// When the directory cannot be written.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha256 = hex(&Sha256::digest(bytes));
        let path = self.path_of(&sha256);
        if path.is_file() {
            return Ok(sha256);
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let temporary = dir.join(format!(".{sha256}.{}.tmp", std::process::id()));
        std::fs::write(&temporary, bytes)?;
        std::fs::rename(&temporary, &path)?;
        Ok(sha256)
    }

    /// The bytes stored under `sha256`, checked against it.
    ///
    /// # Errors
    /// When the file is missing, unreadable or no longer matches its hash.
    pub fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        let bytes = std::fs::read(self.path_of(sha256))?;
        if hex(&Sha256::digest(&bytes)) != sha256 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("document {sha256} was changed on disk"),
            ));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_are_stored_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("overdrag-store-{}", std::process::id()));
        let store = DocumentStore::new(&dir);
        let a = store.put(b"%PDF-1.7 notat").unwrap_or_default();
        let b = store.put(b"%PDF-1.7 notat").unwrap_or_default();
        assert_eq!(a, b);
        assert_eq!(store.get(&a).unwrap_or_default(), b"%PDF-1.7 notat");
        std::fs::write(dir.join(&a[..2]).join(&a), b"tampered").unwrap_or_default();
        assert!(store.get(&a).is_err());
        std::fs::remove_dir_all(&dir).unwrap_or_default();
    }
}

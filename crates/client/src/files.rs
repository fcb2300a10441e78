//! Files SX Admin writes for the administrator that hold personal data (import results,
//! user exports, event logs): readable by their owner only, as the keychain and the import
//! journal are. Both front ends write them through here.

use std::io::Write;
use std::path::Path;

/// Writes `contents` to `path`, replacing the file, readable and writable by its owner
/// only (on Unix; elsewhere the folder's permissions apply).
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = crate::import::journal::private_file(path)?;
    // An existing file keeps its permissions when opened: narrow them as well.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[cfg(unix)]
    #[test]
    fn written_files_are_readable_by_their_owner_only_even_when_they_existed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.csv");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, b"row,email\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"row,email\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

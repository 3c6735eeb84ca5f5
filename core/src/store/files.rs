//! Evidence files, stored content-addressed: a file's name is the SHA-256 of its bytes.
//!
//! [`EvidenceFiles`] is the small interface the rest of the code uses, so that an object store
//! can replace the folder later; [`FolderFiles`] keeps the files in a folder, as
//! `<root>/<first 2 hex digits>/<64 hex digits>`. A file is written to a temporary file under
//! `<root>/tmp` (hashed as it is written), flushed to disk, then renamed into place: a reader
//! never sees a half-written file, and a file already stored with the same content is kept
//! rather than written again. A name that is not 64 lower-case hex digits is never opened, so
//! no path can be smuggled in through a hash.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::hash::to_hex;

/// A file as stored: the SHA-256 of its bytes (64 lower-case hex digits) and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The SHA-256 of the bytes, as lower-case hex.
    pub sha256: String,
    /// The size in bytes.
    pub size_bytes: u64,
}

/// Where evidence files are kept. Implementations store each file under its SHA-256.
pub trait EvidenceFiles: Send + Sync {
    /// Starts an upload: a temporary file that hashes what is written to it.
    fn begin(&self) -> io::Result<Upload>;

    /// Stores a finished upload under its SHA-256; a file with that content already stored is kept.
    fn commit(&self, upload: Upload) -> io::Result<StoredFile>;

    /// Opens the file with `sha256` for reading (`InvalidInput` if `sha256` is not 64 lower-case hex digits).
    fn open(&self, sha256: &str) -> io::Result<Box<dyn Read + Send>>;

    /// Whether a file with `sha256` is stored.
    fn exists(&self, sha256: &str) -> io::Result<bool>;

    /// Stores everything `reader` yields.
    fn put_reader(&self, reader: &mut dyn Read) -> io::Result<StoredFile> {
        let mut upload = self.begin()?;
        io::copy(reader, &mut upload)?;
        self.commit(upload)
    }

    /// Stores a copy of the file at `path` (the file itself is left where it is).
    fn put_path(&self, path: &Path) -> io::Result<StoredFile> {
        self.put_reader(&mut File::open(path)?)
    }
}

/// Whether `text` is a SHA-256 as files are named: exactly 64 lower-case hex digits.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A file being received: written to a temporary file and hashed as it goes. Dropped without
/// being committed, the temporary file is removed.
pub struct Upload {
    file: Option<File>,
    path: PathBuf,
    hasher: Sha256,
    size: u64,
    kept: bool,
}

impl Upload {
    /// A new, empty upload in a temporary file in `dir` (created if needed).
    pub fn new_in(dir: &Path) -> io::Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        fs::create_dir_all(dir)?;
        loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let name = format!(
                "upload-{}-{}-{nanos}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let path = dir.join(name);
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(Upload {
                        file: Some(file),
                        path,
                        hasher: Sha256::new(),
                        size: 0,
                        kept: false,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// How many bytes were written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flushes the bytes to disk and returns the file's SHA-256 and size.
    fn finish(&mut self) -> io::Result<StoredFile> {
        let file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("the upload was already finished"))?;
        file.sync_all()?;
        drop(file);
        let hasher = std::mem::replace(&mut self.hasher, Sha256::new());
        Ok(StoredFile {
            sha256: to_hex(&hasher.finalize()),
            size_bytes: self.size,
        })
    }
}

impl Write for Upload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("the upload was already finished"))?;
        let written = file.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.size += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.kept {
            self.file = None;
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("path", &self.path)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// Evidence files in a folder: `<root>/<first 2 hex digits>/<64 hex digits>`.
#[derive(Debug, Clone)]
pub struct FolderFiles {
    root: PathBuf,
}

impl FolderFiles {
    /// The files under `root` (created when the first file is stored).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FolderFiles { root: root.into() }
    }

    /// The evidence files of a data folder: `<data-dir>/evidence`.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        FolderFiles::new(data_dir.join("evidence"))
    }

    /// The folder the files are kept in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The SHA-256 of every file stored, sorted (uploads in progress are not files yet).
    pub fn stored(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        let dirs = match fs::read_dir(&self.root) {
            Ok(dirs) => dirs,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(names),
            Err(e) => return Err(e),
        };
        for dir in dirs {
            let dir = dir?;
            let prefix = dir.file_name().to_string_lossy().into_owned();
            if prefix.len() != 2 || !dir.file_type()?.is_dir() {
                continue;
            }
            for file in fs::read_dir(dir.path())? {
                let file = file?;
                let name = file.file_name().to_string_lossy().into_owned();
                if is_sha256_hex(&name) && name.starts_with(&prefix) && file.file_type()?.is_file() {
                    names.push(name);
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Where the file with `sha256` is kept, or `None` if `sha256` is not 64 lower-case hex digits.
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        is_sha256_hex(sha256).then(|| self.root.join(&sha256[..2]).join(sha256))
    }

    /// The folder of uploads in progress.
    pub fn temp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    fn checked_path(&self, sha256: &str) -> io::Result<PathBuf> {
        self.path_of(sha256).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "an evidence file is named by 64 lower-case hex digits",
            )
        })
    }
}

/// Flushes a folder's entries to disk, so a rename into it survives a crash.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

impl EvidenceFiles for FolderFiles {
    fn begin(&self) -> io::Result<Upload> {
        Upload::new_in(&self.temp_dir())
    }

    fn commit(&self, mut upload: Upload) -> io::Result<StoredFile> {
        let stored = upload.finish()?;
        let target = self.checked_path(&stored.sha256)?;
        let dir = target.parent().unwrap_or(&self.root).to_path_buf();
        let created = !dir.is_dir();
        fs::create_dir_all(&dir)?;
        if created {
            sync_dir(&self.root)?;
        }
        // The same bytes are already stored: keep that file (the upload is removed on drop).
        // A file of another size under this name is damaged, and is replaced.
        if fs::metadata(&target).is_ok_and(|m| m.is_file() && m.len() == stored.size_bytes) {
            return Ok(stored);
        }
        fs::rename(&upload.path, &target)?;
        upload.kept = true;
        sync_dir(&dir)?;
        Ok(stored)
    }

    fn open(&self, sha256: &str) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(File::open(self.checked_path(sha256)?)?))
    }

    fn exists(&self, sha256: &str) -> io::Result<bool> {
        match fs::metadata(self.checked_path(sha256)?) {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::sha256_hex;

    fn stored_names(root: &Path) -> Vec<String> {
        let mut names = Vec::new();
        for dir in fs::read_dir(root).unwrap() {
            let dir = dir.unwrap().path();
            for file in fs::read_dir(&dir).unwrap() {
                let file = file.unwrap().path();
                names.push(file.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
        names.sort();
        names
    }

    #[test]
    fn a_file_is_stored_under_its_sha256_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let files = FolderFiles::new(dir.path());
        let bytes = b"PCMH-N training material, 2026".to_vec();
        let stored = files.put_reader(&mut bytes.as_slice()).unwrap();
        assert_eq!(stored.sha256, sha256_hex(&bytes));
        assert_eq!(stored.size_bytes, bytes.len() as u64);
        let path = dir.path().join(&stored.sha256[..2]).join(&stored.sha256);
        assert_eq!(fs::read(&path).unwrap(), bytes);
        assert_eq!(files.path_of(&stored.sha256), Some(path));
        assert!(files.exists(&stored.sha256).unwrap());
        let mut read = Vec::new();
        files.open(&stored.sha256).unwrap().read_to_end(&mut read).unwrap();
        assert_eq!(read, bytes);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(files.temp_dir()).unwrap().count(), 0);
    }

    #[test]
    fn an_empty_file_has_the_sha256_of_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let files = FolderFiles::new(dir.path());
        let stored = files.put_reader(&mut io::empty()).unwrap();
        assert_eq!(stored.sha256, sha256_hex(b""));
        assert_eq!(stored.size_bytes, 0);
        assert!(files.exists(&stored.sha256).unwrap());
    }

    #[test]
    fn the_same_content_is_stored_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let files = FolderFiles::new(dir.path());
        let first = files.put_reader(&mut &b"workflow v1"[..]).unwrap();
        let path = files.path_of(&first.sha256).unwrap();
        let modified = fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let second = files.put_reader(&mut &b"workflow v1"[..]).unwrap();
        assert_eq!(first, second);
        assert_eq!(
            fs::metadata(&path).unwrap().modified().unwrap(),
            modified,
            "the stored file is not rewritten"
        );
        let other = files.put_reader(&mut &b"workflow v2"[..]).unwrap();
        assert_ne!(other.sha256, first.sha256);
        let mut names = vec![
            format!("{}/{}", &first.sha256[..2], first.sha256),
            format!("{}/{}", &other.sha256[..2], other.sha256),
        ];
        names.sort();
        let mut found = stored_names(dir.path());
        found.retain(|n| !n.starts_with("tmp/"));
        assert_eq!(found, names);
        assert_eq!(fs::read_dir(files.temp_dir()).unwrap().count(), 0);
    }

    #[test]
    fn a_damaged_copy_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let files = FolderFiles::new(dir.path());
        let sha = sha256_hex(b"policy text");
        let path = files.path_of(&sha).unwrap();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"pol").unwrap();
        files.put_reader(&mut &b"policy text"[..]).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"policy text");
    }

    #[test]
    fn a_path_stores_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source.pdf");
        fs::write(&source, b"%PDF-1.7 minutes").unwrap();
        let files = FolderFiles::new(dir.path().join("evidence"));
        let stored = files.put_path(&source).unwrap();
        assert_eq!(stored.sha256, sha256_hex(b"%PDF-1.7 minutes"));
        assert!(source.exists());
    }

    #[test]
    fn an_upload_dropped_before_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let files = FolderFiles::new(dir.path());
        let mut upload = files.begin().unwrap();
        upload.write_all(b"half of a file").unwrap();
        assert_eq!(upload.size(), 14);
        drop(upload);
        assert_eq!(fs::read_dir(files.temp_dir()).unwrap().count(), 0);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "only tmp/");
    }

    #[test]
    fn names_other_than_64_lower_case_hex_digits_are_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("secret"), b"x").unwrap();
        let files = FolderFiles::new(dir.path().join("evidence"));
        let good = sha256_hex(b"x");
        for bad in [
            "".to_owned(),
            "../secret".to_owned(),
            good.to_uppercase(),
            good[..63].to_owned(),
            format!("{good}0"),
            format!("../{}", &good[3..]),
            format!("{}/..", &good[..61]),
            "g".repeat(64),
        ] {
            assert!(files.path_of(&bad).is_none(), "{bad}");
            assert_eq!(
                files.open(&bad).err().map(|e| e.kind()),
                Some(io::ErrorKind::InvalidInput),
                "{bad}"
            );
            assert!(files.exists(&bad).is_err(), "{bad}");
        }
        assert_eq!(files.open(&good).err().map(|e| e.kind()), Some(io::ErrorKind::NotFound));
        assert!(!files.exists(&good).unwrap());
    }

    #[test]
    fn a_full_disk_is_told_apart_from_other_failures() {
        use crate::store::StoreError;
        #[cfg(unix)]
        assert!(matches!(
            StoreError::from(io::Error::from_raw_os_error(28)),
            StoreError::StorageFull(_)
        ));
        assert!(matches!(
            StoreError::from(io::Error::from(io::ErrorKind::StorageFull)),
            StoreError::StorageFull(_)
        ));
        assert!(matches!(
            StoreError::from(io::Error::from(io::ErrorKind::PermissionDenied)),
            StoreError::Files(_)
        ));
    }

    #[test]
    fn large_files_are_hashed_as_they_stream() {
        let dir = tempfile::tempdir().unwrap();
        let files = FolderFiles::new(dir.path());
        let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut upload = files.begin().unwrap();
        for chunk in bytes.chunks(65_536) {
            upload.write_all(chunk).unwrap();
        }
        let stored = files.commit(upload).unwrap();
        assert_eq!(stored.sha256, sha256_hex(&bytes));
        assert_eq!(stored.size_bytes, 3_000_000);
    }
}

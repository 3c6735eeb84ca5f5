//! Auditor packets: a signed ZIP of a practice's evidence for a period.
//!
//! A packet is written entry by entry ([`PacketWriter`]), each entry hashed as it is copied in,
//! and ends with `manifest.json` (the SHA-256 and size of every other file), `manifest.sig`
//! (hex of the Ed25519 signature over the exact bytes of `manifest.json`) and `public-key.txt`.
//! Entries are stored uncompressed with a fixed timestamp (1980-01-01), so the same records and
//! period give the same bytes. [`verify`] checks a packet offline.
//!
//! The manifest's `format` names the version of what the files say:
//! - `pcmh-packet/2` writes every instant as RFC 3339 in UTC with its offset
//!   (`2026-11-28T16:55:01.507162Z`): an event's `occurred_at` in `audit-events.json`, an
//!   attestation's `recorded_at`. Days (`completed_on`, the period) stay `YYYY-MM-DD`. An
//!   event's `before` and `after` are the records as the trail stored them: events written
//!   before this version may hold instants without an offset there, which are UTC.
//! - `pcmh-packet/1` wrote an event's `occurred_at` without its offset (UTC).
//!
//! [`verify`] checks packets of both versions; their manifests, hashes and signatures are the same.

use std::fs::OpenOptions;
use std::io::{self, Read, Seek, Write};
use std::path::Path;

use chrono::NaiveDate;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

mod contents;

pub use contents::{assemble, PacketError, PacketInputs};

use crate::hash::to_hex;
use crate::rules::view::PracticeCompliance;

/// The packet format written in every manifest.
pub const FORMAT: &str = "pcmh-packet/2";
/// The packet formats [`verify`] checks: this one and the earlier one, which differs only in how
/// its files write an instant.
pub const FORMATS_VERIFIED: [&str; 2] = ["pcmh-packet/1", FORMAT];
/// The program that wrote a packet, with its version.
pub const GENERATOR: &str = concat!("pcmh-track ", env!("CARGO_PKG_VERSION"));
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The signature's file name.
pub const SIGNATURE: &str = "manifest.sig";
/// The public key's file name.
pub const PUBLIC_KEY: &str = "public-key.txt";

/// The server's Ed25519 key that signs packets.
pub struct PacketKey(SigningKey);

impl std::fmt::Debug for PacketKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PacketKey({})", self.public_hex())
    }
}

impl PacketKey {
    /// A key from its 32 secret bytes.
    pub fn from_bytes(secret: [u8; 32]) -> Self {
        PacketKey(SigningKey::from_bytes(&secret))
    }

    /// A key from a file holding its 32 secret bytes as hex.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let bytes = from_hex(text.trim())
            .filter(|b| b.len() == 32)
            .ok_or_else(|| format!("{} does not hold 32 bytes as hex", path.display()))?;
        let mut secret = [0u8; 32];
        secret.copy_from_slice(&bytes);
        Ok(Self::from_bytes(secret))
    }

    /// Reads the key at `path`, or makes one there (mode 0600) when there is none.
    pub fn read_or_create(path: &Path) -> Result<Self, String> {
        if path.exists() {
            return Self::read(path);
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| format!("no randomness for a signing key: {e}"))?;
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        file.write_all(format!("{}\n", to_hex(&secret)).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Self::from_bytes(secret))
    }

    /// The public key as 64 lower-case hex digits.
    pub fn public_hex(&self) -> String {
        to_hex(self.0.verifying_key().as_bytes())
    }

    /// The signature of `bytes` as 128 lower-case hex digits.
    pub fn sign_hex(&self, bytes: &[u8]) -> String {
        to_hex(&self.0.sign(bytes).to_bytes())
    }
}

/// Bytes from hex digits (either case); `None` if `text` is not hex.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect()
}

/// The practice a packet is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestPractice {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// The PO of the practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestOrganization {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// The period a packet covers, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// The first day.
    pub from: NaiveDate,
    /// The last day; the compliance status is as of this day.
    pub to: NaiveDate,
}

impl Period {
    /// Whether `day` lies in the period.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// One file of a packet as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Its path in the ZIP.
    pub path: String,
    /// The SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

/// What a packet holds; signed. No generation time, so the same inputs give the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The packet format.
    pub format: String,
    /// The practice.
    pub practice: ManifestPractice,
    /// Its PO.
    pub organization: ManifestOrganization,
    /// The period covered.
    pub period: Period,
    /// The catalog the practice is assessed against.
    pub catalog_id: String,
    /// Its version.
    pub catalog_version: String,
    /// The program and version that wrote the packet.
    pub generator: String,
    /// Every other file of the packet, in ZIP order (not the manifest, its signature or the key).
    pub files: Vec<ManifestFile>,
}

/// A `Write` that hashes and counts what passes through.
struct Hashing<'a, W: Write> {
    inner: &'a mut W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Write for Hashing<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a packet entry by entry, recording each entry's hash and size for the manifest.
pub struct PacketWriter<W: Write + Seek> {
    zip: ZipWriter<W>,
    files: Vec<ManifestFile>,
}

fn entry_options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644)
        .large_file(false)
}

fn zip_error(e: zip::result::ZipError) -> io::Error {
    io::Error::other(e.to_string())
}

impl<W: Write + Seek> PacketWriter<W> {
    /// A packet written to `out`.
    pub fn new(out: W) -> Self {
        PacketWriter {
            zip: ZipWriter::new(out),
            files: Vec::new(),
        }
    }

    /// Adds the entry `path` with everything `content` yields, copied in chunks.
    pub fn add(&mut self, path: &str, content: &mut dyn Read) -> io::Result<()> {
        let options = entry_options().large_file(true);
        self.zip.start_file(path, options).map_err(zip_error)?;
        let mut hashing = Hashing {
            inner: &mut self.zip,
            hasher: Sha256::new(),
            size: 0,
        };
        io::copy(content, &mut hashing)?;
        let (hasher, size) = (hashing.hasher, hashing.size);
        self.files.push(ManifestFile {
            path: path.to_owned(),
            sha256: to_hex(&hasher.finalize()),
            size,
        });
        Ok(())
    }

    /// Adds the entry `path` holding `bytes`.
    pub fn add_bytes(&mut self, path: &str, bytes: &[u8]) -> io::Result<()> {
        self.add(path, &mut &bytes[..])
    }

    /// Completes `manifest` with the files written, signs it, writes the manifest, signature and
    /// key, and returns the output and the manifest.
    pub fn finish(mut self, mut manifest: Manifest, key: &PacketKey) -> io::Result<(W, Manifest)> {
        manifest.files = std::mem::take(&mut self.files);
        let bytes = manifest.to_bytes()?;
        for (path, content) in [
            (MANIFEST, bytes.clone()),
            (SIGNATURE, format!("{}\n", key.sign_hex(&bytes)).into_bytes()),
            (PUBLIC_KEY, format!("{}\n", key.public_hex()).into_bytes()),
        ] {
            self.zip.start_file(path, entry_options()).map_err(zip_error)?;
            self.zip.write_all(&content)?;
        }
        let out = self.zip.finish().map_err(zip_error)?;
        Ok((out, manifest))
    }
}

impl Manifest {
    /// The manifest as `manifest.json` holds it (and as its signature signs it).
    pub fn to_bytes(&self) -> io::Result<Vec<u8>> {
        serde_json::to_vec_pretty(self).map_err(io::Error::other)
    }
}

/// What the audit trail keeps of an export: enough to tell which packet it was, not its list of
/// files (a packet of a thousand files would make every later export read them all back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRecord {
    /// The practice exported.
    pub practice_id: i64,
    /// The period.
    pub period: Period,
    /// The catalog version of its status.
    pub catalog_version: String,
    /// How many files the manifest lists.
    pub files: usize,
    /// SHA-256 of `manifest.json`, which the signature signs.
    pub manifest_sha256: String,
}

impl ExportRecord {
    /// The record of exporting the packet `manifest` describes.
    pub fn of(manifest: &Manifest) -> io::Result<Self> {
        Ok(ExportRecord {
            practice_id: manifest.practice.id,
            period: manifest.period,
            catalog_version: manifest.catalog_version.clone(),
            files: manifest.files.len(),
            manifest_sha256: crate::hash::sha256_hex(&manifest.to_bytes()?),
        })
    }
}

/// One CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(text: &str) -> String {
    // A leading = + - @ would be read as a formula by spreadsheets; a quote mark keeps it text.
    let text = if text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A CSV document: a header and rows, lines ending in CRLF (RFC 4180).
pub fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let line = |fields: Vec<String>| fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",") + "\r\n";
    out.push_str(&line(header.iter().map(|h| (*h).to_owned()).collect()));
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The human-readable report: self-contained (no script, no outside resource), printable.
/// `corrections` names each voided record of the period (what, when, by whom, why, replaced by).
pub fn report_html(
    manifest: &Manifest,
    compliance: &PracticeCompliance,
    files: &[String],
    corrections: &[String],
) -> String {
    let mut out = String::new();
    let title = format!(
        "Auditor packet: {} ({} to {})",
        manifest.practice.name, manifest.period.from, manifest.period.to
    );
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!("<title>{}</title>\n", escape_html(&title)));
    out.push_str(
        "<style>\nbody{font-family:sans-serif;margin:2em;color:#000}\ntable{border-collapse:collapse;width:100%}\n\
         th,td{border:1px solid #888;padding:4px;text-align:left;vertical-align:top}\n\
         .met{background:#dfd}.partially_met{background:#ffd}.not_met{background:#fdd}\n\
         @media print{body{margin:0}tr{page-break-inside:avoid}}\n</style>\n</head>\n<body>\n",
    );
    out.push_str(&format!("<h1>{}</h1>\n", escape_html(&title)));
    out.push_str(&format!(
        "<p>Practice {} ({}) of {} ({}). Catalog {} {}. Compliance status as of {}. Written by {}.</p>\n",
        manifest.practice.id,
        escape_html(&manifest.practice.name),
        escape_html(&manifest.organization.name),
        manifest.organization.id,
        escape_html(&manifest.catalog_id),
        escape_html(&manifest.catalog_version),
        manifest.period.to,
        escape_html(&manifest.generator),
    ));
    let summary = &compliance.summary;
    out.push_str(&format!(
        "<p>{} criteria met, {} partially met, {} not met, {} not applicable; {} where the attestation \
         disagrees with the records; {} needing a new attestation.</p>\n",
        summary.met,
        summary.partially_met,
        summary.not_met,
        summary.not_applicable,
        summary.disagreements,
        summary.needs_reattestation
    ));
    out.push_str(
        "<h2>Compliance status</h2>\n<table>\n<tr><th>Criterion</th><th>Title</th><th>Status</th>\
         <th>Reasons</th><th>Attestation</th></tr>\n",
    );
    for criterion in &compliance.criteria {
        let result = &criterion.result;
        let status = serde_json::to_value(result.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let reasons: Vec<String> = result.reasons.iter().map(|r| escape_html(r)).collect();
        let mut attestation = vec![escape_html(&criterion.agreement.reason)];
        if let Some(why) = &criterion.reattestation_reason {
            attestation.push(format!("Needs a new attestation: {}", escape_html(why)));
        }
        out.push_str(&format!(
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape_html(&status),
            escape_html(&result.criterion.to_string()),
            escape_html(&result.title),
            escape_html(result.status.label()),
            reasons.join("<br>"),
            attestation.join("<br>")
        ));
    }
    out.push_str("</table>\n<h2>Corrections</h2>\n");
    out.push_str(
        "<p>A record entered by mistake is voided, never deleted: the status above leaves voided records \
         out, and the logs list them with their voided_at, voided_by and void_reason columns; a \
         correction names the record it replaces (replaces, replaced_by).</p>\n",
    );
    if corrections.is_empty() {
        out.push_str("<p>No record of the period was voided.</p>\n");
    } else {
        out.push_str("<ul>\n");
        for line in corrections {
            out.push_str(&format!("<li>{}</li>\n", escape_html(line)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h2>Files in this packet</h2>\n<ul>\n");
    for file in files {
        out.push_str(&format!("<li>{}</li>\n", escape_html(file)));
    }
    out.push_str(
        "</ul>\n<p>manifest.json lists the SHA-256 and size of every file; manifest.sig is its Ed25519 \
         signature; public-key.txt is the signing key. Check with <code>pcmh packet verify</code>.</p>\n</body>\n</html>\n",
    );
    out
}

/// What a verified packet holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// How many files the manifest lists.
    pub files: usize,
    /// The key that signed it, hex.
    pub public_key: String,
    /// Whether the key was given by the checker (else the packet's own key was used).
    pub key_given: bool,
}

/// The most bytes `manifest.json`, `manifest.sig` or `public-key.txt` may hold (each is read
/// into memory).
pub const MAX_SMALL_ENTRY: u64 = 16 * 1024 * 1024;

/// The most bytes all the files of a packet may hold together, uncompressed.
pub const MAX_TOTAL_SIZE: u64 = 8 * 1024 * 1024 * 1024;

/// The most entries a packet may hold.
pub const MAX_ENTRIES: usize = 200_000;

/// The highest ratio of an entry's uncompressed to compressed size (packets are written
/// uncompressed; a higher one is a ZIP bomb) for entries above 1 MiB.
pub const MAX_RATIO: u64 = 100;

fn read_entry<R: Read + Seek>(archive: &mut ZipArchive<R>, name: &str) -> Result<Vec<u8>, String> {
    let file = archive
        .by_name(name)
        .map_err(|_| format!("{name} is missing from the packet"))?;
    if file.size() > MAX_SMALL_ENTRY {
        return Err(format!(
            "{name} is too large: {} bytes (at most {MAX_SMALL_ENTRY})",
            file.size()
        ));
    }
    let mut bytes = Vec::new();
    // The declared size may lie: never read more than the cap.
    file.take(MAX_SMALL_ENTRY + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{name} cannot be read: {e}"))?;
    if bytes.len() as u64 > MAX_SMALL_ENTRY {
        return Err(format!("{name} is too large (at most {MAX_SMALL_ENTRY} bytes)"));
    }
    Ok(bytes)
}

/// Refuses an archive that is no packet before anything is read from it: too many entries, a
/// name that is absolute or climbs out with `..`, an entry that expands far beyond its
/// compressed size, or more bytes in all than a packet may hold.
fn check_entries<R: Read + Seek>(archive: &mut ZipArchive<R>) -> Result<(), String> {
    if archive.len() > MAX_ENTRIES {
        return Err(format!(
            "the packet holds {} entries (at most {MAX_ENTRIES})",
            archive.len()
        ));
    }
    let mut total = 0u64;
    for index in 0..archive.len() {
        let file = archive
            .by_index_raw(index)
            .map_err(|e| format!("entry {} cannot be read: {e}", index + 1))?;
        let name = file
            .name()
            .map_err(|e| format!("a name in the packet cannot be read: {e}"))?
            .into_owned();
        let unsafe_name = name.starts_with('/')
            || name.contains('\\')
            || name.contains(':')
            || name.split('/').any(|part| part == "..")
            || file.enclosed_name().is_none();
        if unsafe_name {
            return Err(format!(
                "{name}: a path that is absolute or leaves the packet with \"..\" is refused"
            ));
        }
        let (size, compressed) = (file.size(), file.compressed_size());
        if size > 1024 * 1024 && size / compressed.max(1) > MAX_RATIO {
            return Err(format!(
                "{name}: expands from {compressed} to {size} bytes, a ZIP bomb rather than a packet"
            ));
        }
        total = total.saturating_add(size);
        if total > MAX_TOTAL_SIZE {
            return Err(format!(
                "the packet's files hold more than {MAX_TOTAL_SIZE} bytes uncompressed: refused"
            ));
        }
    }
    Ok(())
}

fn parse_key(text: &str, what: &str) -> Result<VerifyingKey, String> {
    let bytes = from_hex(text.trim())
        .filter(|b| b.len() == 32)
        .ok_or_else(|| format!("{what} does not hold a 32-byte public key as hex"))?;
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes);
    VerifyingKey::from_bytes(&key).map_err(|_| format!("{what} is not an Ed25519 public key"))
}

/// Checks a packet: every listed file present with its hash and size, no file missing or
/// extra, and the signature over `manifest.json` (against `public_key` hex when given, else
/// the packet's own key). The error names the first thing that does not match.
pub fn verify<R: Read + Seek>(reader: R, public_key: Option<&str>) -> Result<Verified, String> {
    let mut archive = ZipArchive::new(reader).map_err(|e| format!("not a ZIP file: {e}"))?;
    check_entries(&mut archive)?;
    let manifest_bytes = read_entry(&mut archive, MANIFEST)?;
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| format!("{MANIFEST} cannot be read: {e}"))?;
    if !FORMATS_VERIFIED.contains(&manifest.format.as_str()) {
        return Err(format!(
            "{MANIFEST}: format {:?} is not one this program checks ({})",
            manifest.format,
            FORMATS_VERIFIED.join(", ")
        ));
    }
    let signature_text =
        String::from_utf8(read_entry(&mut archive, SIGNATURE)?).map_err(|_| format!("{SIGNATURE} is not text"))?;
    let own_key =
        String::from_utf8(read_entry(&mut archive, PUBLIC_KEY)?).map_err(|_| format!("{PUBLIC_KEY} is not text"))?;
    let key = match public_key {
        Some(text) => parse_key(text, "the public key given")?,
        None => parse_key(&own_key, PUBLIC_KEY)?,
    };
    let signature = from_hex(signature_text.trim())
        .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or_else(|| format!("{SIGNATURE} does not hold a 64-byte signature as hex"))?;
    for listed in &manifest.files {
        let file = archive
            .by_name(&listed.path)
            .map_err(|_| format!("{} is listed in the manifest but missing", listed.path))?;
        if file.size() != listed.size {
            return Err(format!(
                "{}: size {} does not match the manifest ({})",
                listed.path,
                file.size(),
                listed.size
            ));
        }
        // Never read more than the manifest's size (and one byte to tell a longer entry).
        let mut file = file.take(listed.size.saturating_add(1));
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|e| format!("{} cannot be read: {e}", listed.path))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
        }
        if size != listed.size {
            return Err(format!(
                "{}: size {size} does not match the manifest ({})",
                listed.path, listed.size
            ));
        }
        let sha256 = to_hex(&hasher.finalize());
        if sha256 != listed.sha256 {
            return Err(format!(
                "{}: SHA-256 {sha256} does not match the manifest ({})",
                listed.path, listed.sha256
            ));
        }
    }
    for name in archive.file_names() {
        let name = name.map_err(|e| format!("a name in the packet cannot be read: {e}"))?;
        let name = name.as_ref();
        let known = [MANIFEST, SIGNATURE, PUBLIC_KEY].contains(&name) || manifest.files.iter().any(|f| f.path == name);
        if !known {
            return Err(format!("{name} is in the packet but not in the manifest"));
        }
    }
    if archive.len() != manifest.files.len() + 3 {
        return Err("the packet holds an entry twice".into());
    }
    key.verify(&manifest_bytes, &signature).map_err(|_| match public_key {
        Some(_) => format!("{SIGNATURE}: the signature does not match the public key given"),
        None => format!("{SIGNATURE}: the signature does not match the packet's own key"),
    })?;
    if public_key.is_none() && own_key.trim().is_empty() {
        return Err(format!("{PUBLIC_KEY} is empty"));
    }
    Ok(Verified {
        files: manifest.files.len(),
        public_key: to_hex(key.as_bytes()),
        key_given: public_key.is_some(),
    })
}

/// Why a packet could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The period or the practice was refused, or the database failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Writing the packet failed.
    #[error(transparent)]
    Packet(#[from] PacketError),
}

/// Checks a period asked for: `to` must not be before `from` (a 422 on `to`).
pub fn check_period(from: NaiveDate, to: NaiveDate) -> Result<Period, crate::store::StoreError> {
    if to < from {
        return Err(crate::store::StoreError::invalid(
            "to",
            "not_before_from",
            format!("{to} is before from ({from})"),
        ));
    }
    Ok(Period { from, to })
}

/// What a packet is made from: the records, the catalogs, the key that signs it and the
/// evidence files.
#[derive(Clone, Copy)]
pub struct PacketSources<'a> {
    /// The database.
    pub store: &'a crate::store::Store,
    /// The catalog versions loaded.
    pub catalogs: &'a crate::catalog::CatalogSet,
    /// The key that signs the manifest.
    pub key: &'a PacketKey,
    /// Where the evidence files are kept.
    pub files: &'a dyn crate::store::files::EvidenceFiles,
}

/// Exports the signed packet of `practice` for `period` into `out`: reads its inputs on one
/// snapshot, writes the ZIP, and records the export (an `export` event by `actor`). The JSON API
/// and the packet page both call this.
pub fn export<W: Write + Seek>(
    out: W,
    sources: PacketSources<'_>,
    actor: &crate::access::Actor,
    practice: crate::ids::PracticeId,
    period: Period,
) -> Result<(W, ExportRecord), ExportError> {
    let store = sources.store;
    let inputs = store.read(|c| c.snapshot(|c| crate::store::packets::inputs(c, practice, period)))?;
    let (out, manifest) = assemble(out, &inputs, period, sources.catalogs, sources.key, sources.files)?;
    let record = ExportRecord::of(&manifest).map_err(PacketError::Io)?;
    let record = store.write_audited(actor.audit("export", "packet"), |_, _| Ok(record))?;
    Ok((out, record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            practice: ManifestPractice {
                id: 1,
                name: "North <Clinic>".into(),
            },
            organization: ManifestOrganization {
                id: 2,
                name: "PO".into(),
            },
            period: Period {
                from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                to: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
            },
            catalog_id: "pcmh-n-domain-4".into(),
            catalog_version: "1.0.0".into(),
            generator: GENERATOR.into(),
            files: Vec::new(),
        }
    }

    fn packet(key: &PacketKey) -> Vec<u8> {
        packet_of(manifest(), key)
    }

    fn packet_of(manifest: Manifest, key: &PacketKey) -> Vec<u8> {
        let mut writer = PacketWriter::new(Cursor::new(Vec::new()));
        writer.add_bytes("a.txt", b"hello").unwrap();
        writer.add_bytes("b.csv", b"x,y\r\n").unwrap();
        writer.finish(manifest, key).unwrap().0.into_inner()
    }

    #[test]
    fn a_packet_of_the_earlier_format_verifies_and_an_unknown_one_is_named() {
        let key = PacketKey::from_bytes([7; 32]);
        assert_eq!(FORMAT, "pcmh-packet/2");
        let earlier = Manifest {
            format: "pcmh-packet/1".into(),
            ..manifest()
        };
        assert_eq!(verify(Cursor::new(packet_of(earlier, &key)), None).unwrap().files, 2);
        let unknown = Manifest {
            format: "pcmh-packet/9".into(),
            ..manifest()
        };
        let err = verify(Cursor::new(packet_of(unknown, &key)), None).unwrap_err();
        assert_eq!(
            err,
            "manifest.json: format \"pcmh-packet/9\" is not one this program checks (pcmh-packet/1, pcmh-packet/2)"
        );
    }

    #[test]
    fn a_packet_verifies_and_is_deterministic() {
        let key = PacketKey::from_bytes([7; 32]);
        let bytes = packet(&key);
        assert_eq!(bytes, packet(&key));
        let verified = verify(Cursor::new(&bytes), None).unwrap();
        assert_eq!(verified.files, 2);
        assert_eq!(verified.public_key, key.public_hex());
        assert!(verify(Cursor::new(&bytes), Some(&key.public_hex())).is_ok());
        let other = PacketKey::from_bytes([8; 32]);
        let err = verify(Cursor::new(&bytes), Some(&other.public_hex())).unwrap_err();
        assert!(err.contains("public key given"), "{err}");
    }

    #[test]
    fn an_altered_entry_is_named() {
        let key = PacketKey::from_bytes([7; 32]);
        let mut bytes = packet(&key);
        let at = bytes.windows(5).position(|w| w == b"hello").unwrap();
        bytes[at] = b'j';
        let err = verify(Cursor::new(&bytes), None).unwrap_err();
        assert!(err.starts_with("a.txt"), "{err}");
    }

    /// A ZIP with one entry `name` holding `bytes`.
    fn zip_of(name: &str, bytes: &[u8]) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file(name, entry_options()).unwrap();
        zip.write_all(bytes).unwrap();
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_path_leaving_the_packet_is_refused() {
        for name in ["../evil.txt", "/etc/passwd", "a/../../b", "c:\\x"] {
            let err = verify(Cursor::new(zip_of(name, b"x")), None).unwrap_err();
            assert!(err.contains("is refused"), "{name}: {err}");
        }
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_read() {
        // A 10-byte entry whose central directory says it expands to 1 GiB.
        let mut bytes = zip_of("evidence/big.txt", b"0123456789");
        let central = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        bytes[central + 24..central + 28].copy_from_slice(&(1u32 << 30).to_le_bytes());
        let err = verify(Cursor::new(bytes), None).unwrap_err();
        assert!(err.contains("ZIP bomb"), "{err}");
    }

    #[test]
    fn a_non_zip_is_refused() {
        let err = verify(Cursor::new(b"%PDF-1.4 not a zip".to_vec()), None).unwrap_err();
        assert!(err.starts_with("not a ZIP file"), "{err}");
    }

    #[test]
    fn an_oversized_manifest_is_refused() {
        let big = vec![b' '; (MAX_SMALL_ENTRY + 1) as usize];
        let err = verify(Cursor::new(zip_of(MANIFEST, &big)), None).unwrap_err();
        assert!(err.contains("too large"), "{err}");
    }

    #[test]
    fn an_entry_larger_than_the_manifest_says_is_named_without_reading_it() {
        let key = PacketKey::from_bytes([7; 32]);
        let mut listed = manifest();
        listed.files = vec![ManifestFile {
            path: "a.txt".into(),
            sha256: to_hex(&Sha256::digest(b"hel")),
            size: 3,
        }];
        let mut writer = PacketWriter::new(Cursor::new(Vec::new()));
        writer.add_bytes("a.txt", b"hello").unwrap();
        let mut zip = writer.zip;
        let bytes = listed.to_bytes().unwrap();
        for (path, content) in [
            (MANIFEST, bytes.clone()),
            (SIGNATURE, format!("{}\n", key.sign_hex(&bytes)).into_bytes()),
            (PUBLIC_KEY, format!("{}\n", key.public_hex()).into_bytes()),
        ] {
            zip.start_file(path, entry_options()).unwrap();
            zip.write_all(&content).unwrap();
        }
        let packet = zip.finish().unwrap().into_inner();
        let err = verify(Cursor::new(packet), None).unwrap_err();
        assert!(
            err.starts_with("a.txt: size 5 does not match the manifest (3)"),
            "{err}"
        );
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let text = csv(
            &["a", "b"],
            &[
                vec!["x,y".into(), "=1+2".into()],
                vec!["say \"hi\"".into(), "-3".into()],
            ],
        );
        assert_eq!(text, "a,b\r\n\"x,y\",'=1+2\r\n\"say \"\"hi\"\"\",-3\r\n");
    }

    #[test]
    fn the_report_escapes_html() {
        let practice = crate::records::Practice {
            id: crate::ids::PracticeId(1),
            organization_id: crate::ids::OrganizationId(2),
            name: "North <Clinic>".into(),
            initial_focus_population: None,
            catalog_id: "pcmh-n-domain-4".into(),
            catalog_version: "1.0.0".into(),
            joined_on: None,
            time_zone: crate::records::DEFAULT_TIME_ZONE.into(),
        };
        let criterion = crate::ids::CriterionId::parse("4.1").unwrap();
        let compliance = PracticeCompliance {
            practice,
            as_of: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
            catalog_id: "pcmh-n-domain-4".into(),
            catalog_version: "1.0.0".into(),
            basis: crate::records::Basis::corrected(),
            summary: crate::rules::view::StatusCounts {
                not_met: 1,
                ..Default::default()
            },
            criteria: vec![crate::rules::view::AttestedCriterion {
                result: crate::rules::CriterionResult {
                    criterion: criterion.clone(),
                    title: "Care <team>".into(),
                    status: crate::rules::Status::NotMet,
                    reasons: vec!["no <b>meeting</b>".into()],
                    records: Vec::new(),
                    due: Vec::new(),
                    requirements: Vec::new(),
                },
                attestation: None,
                agreement: crate::rules::attested::compare(&criterion, crate::rules::Status::NotMet, None),
                needs_reattestation: false,
                reattestation_reason: None,
                due_windows: Vec::new(),
            }],
        };
        let html = report_html(
            &manifest(),
            &compliance,
            &["evidence/1-<x>.pdf".into()],
            &["document 3 voided on 2026-03-02 by <Ana>: wrong file".into()],
        );
        assert!(html.contains("North &lt;Clinic&gt;"));
        assert!(html.contains("Care &lt;team&gt;"));
        assert!(html.contains("no &lt;b&gt;meeting&lt;/b&gt;"));
        assert!(html.contains("4.1 has no current attestation"));
        assert!(html.contains("0 criteria met, 0 partially met, 1 not met"));
        assert!(html.contains("evidence/1-&lt;x&gt;.pdf"));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(from_hex("00ff10").unwrap(), vec![0, 255, 16]);
        assert!(from_hex("0g").is_none());
        assert!(from_hex("abc").is_none());
    }

    #[test]
    fn a_key_file_is_made_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing-key");
        let first = PacketKey::read_or_create(&path).unwrap();
        let again = PacketKey::read_or_create(&path).unwrap();
        assert_eq!(first.public_hex(), again.public_hex());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}

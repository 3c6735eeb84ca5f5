//! What goes into a packet besides the evidence files: the status, the attestations, the logs
//! as CSV (no patient references) and the audit events, assembled into a signed ZIP.

use std::io::{self, Seek, SeekFrom, Write};

use serde::Serialize;

use super::{Manifest, ManifestOrganization, ManifestPractice, PacketKey, PacketWriter, Period};
use crate::catalog::{CatalogNotLoaded, CatalogSet};
use crate::records::{Correction, Organization, Practice, Records};
use crate::rules::view;
use crate::store::audit::AuditEvent;
use crate::store::documents::StoredDocument;
use crate::store::files::EvidenceFiles;

/// Why a packet could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PacketError {
    /// The practice's catalog version is not loaded.
    #[error(transparent)]
    Catalog(#[from] CatalogNotLoaded),
    /// Reading evidence or writing the ZIP failed.
    #[error("writing the packet: {0}")]
    Io(#[from] io::Error),
}

/// Everything a packet is made from (read on one snapshot by `store::packets::inputs`).
#[derive(Debug, Clone)]
pub struct PacketInputs {
    /// The practice.
    pub practice: Practice,
    /// Its PO.
    pub organization: Organization,
    /// All its records (and the PO-level ones that concern it), voided ones included and
    /// flagged: the logs list them, the status leaves them out.
    pub records: Records,
    /// Its documents effective in the period, by date then id, with their stored files.
    pub documents: Vec<StoredDocument>,
    /// The audit events of the period concerning it, exports left out.
    pub events: Vec<AuditEvent>,
}

/// A value's serde text, e.g. an enum's snake_case name.
fn text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The columns every log ends with: whether the record was voided (when, by whom, why) and
/// the corrections it takes part in.
const CORRECTION_COLUMNS: [&str; 5] = ["voided_at", "voided_by", "void_reason", "replaces", "replaced_by"];

/// A log's header: its own columns, then [`CORRECTION_COLUMNS`].
fn header<'a>(own: &[&'a str]) -> Vec<&'a str> {
    own.iter().copied().chain(CORRECTION_COLUMNS).collect()
}

/// A row of a log: its own fields, then the record's correction columns.
fn with_correction(mut fields: Vec<String>, correction: &Correction) -> Vec<String> {
    let voided = correction.voided.as_ref();
    fields.push(opt(voided.map(|v| crate::instant::rfc3339(v.at))));
    fields.push(voided.map(|v| v.by.clone()).unwrap_or_default());
    fields.push(voided.map(|v| v.reason.clone()).unwrap_or_default());
    fields.push(opt(correction.replaces));
    fields.push(opt(correction.replaced_by));
    fields
}

/// One line per voided record of the period, for the report: what, when, by whom, why, and
/// the record that replaced it.
pub fn corrections(records: &Records, period: &Period, documents: &[StoredDocument]) -> Vec<String> {
    let mut out = Vec::new();
    let mut note = |what: String, correction: &Correction| {
        if let Some(voided) = &correction.voided {
            let replaced = correction
                .replaced_by
                .map(|id| format!("; replaced by {id}"))
                .unwrap_or_default();
            out.push(format!(
                "{what} voided on {} by {}: {}{replaced}",
                voided.at.format("%Y-%m-%d"),
                voided.by,
                voided.reason
            ));
        }
    };
    for t in records.trainings.iter().filter(|t| period.contains(t.completed_on)) {
        note(format!("training record {}", t.id), &t.correction);
    }
    for m in records.meetings.iter().filter(|m| period.contains(m.held_on)) {
        note(format!("team meeting {}", m.id), &m.correction);
    }
    for plan in &records.care_plans {
        for share in plan.shares.iter().filter(|s| period.contains(s.shared_on)) {
            note(
                format!("share {} of care plan {}", share.id, plan.id),
                &share.correction,
            );
        }
    }
    for d in documents {
        note(format!("document {}", d.document.id), &d.document.correction);
    }
    out
}

/// The name of a document's evidence file in the packet.
fn evidence_path(document: &StoredDocument) -> String {
    let name: String = document
        .file
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("evidence/{}-{}", document.document.id.0, name)
}

/// The log files (CSV) of the period; patient references are left out.
fn logs(records: &Records, period: &Period, documents: &[StoredDocument]) -> Vec<(&'static str, String)> {
    let trainings: Vec<Vec<String>> = records
        .trainings
        .iter()
        .filter(|t| period.contains(t.completed_on))
        .map(|t| {
            with_correction(
                vec![
                    t.id.0.to_string(),
                    t.staff_id.0.to_string(),
                    t.topic.as_str().to_owned(),
                    t.completed_on.to_string(),
                    t.hours.to_string(),
                    t.trainer.clone().unwrap_or_default(),
                    opt(t.document_id.map(|d| d.0)),
                ],
                &t.correction,
            )
        })
        .collect();
    let meetings: Vec<Vec<String>> = records
        .meetings
        .iter()
        .filter(|m| period.contains(m.held_on))
        .map(|m| {
            let fields = vec![
                m.id.0.to_string(),
                m.held_on.to_string(),
                m.kind.as_str().to_owned(),
                m.attendees.len().to_string(),
                m.patients_reviewed.to_string(),
                m.documented_in_chart.to_string(),
                m.follow_ups.len().to_string(),
                m.follow_ups
                    .iter()
                    .filter(|f| f.completed_on.is_some())
                    .count()
                    .to_string(),
            ];
            with_correction(fields, &m.correction)
        })
        .collect();
    let mut shares = Vec::new();
    for plan in &records.care_plans {
        for share in plan.shares.iter().filter(|s| period.contains(s.shared_on)) {
            let partner = plan.care_partners.iter().find(|p| p.id == share.partner_id);
            // A share of a voided plan counts no more than the plan: it carries the plan's void.
            let correction = if share.correction.is_voided() || !plan.correction.is_voided() {
                share.correction.clone()
            } else {
                Correction {
                    voided: plan.correction.voided.clone(),
                    ..share.correction.clone()
                }
            };
            shares.push(with_correction(
                vec![
                    plan.id.0.to_string(),
                    text(&plan.kind),
                    plan.discussed_on.to_string(),
                    share.id.0.to_string(),
                    share.partner_id.0.to_string(),
                    partner.map(|p| p.name.clone()).unwrap_or_default(),
                    share.shared_on.to_string(),
                    text(&share.method),
                ],
                &correction,
            ));
        }
    }
    let index: Vec<Vec<String>> = documents
        .iter()
        .map(|d| {
            let fields = vec![
                d.document.id.0.to_string(),
                d.document.title.clone(),
                d.document.document_type.as_str().to_owned(),
                d.document.effective_on.to_string(),
                d.document
                    .criteria
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                d.file.file_name.clone(),
                d.file.media_type.clone(),
                d.file.size_bytes.to_string(),
                d.file.sha256.clone(),
                evidence_path(d),
            ];
            with_correction(fields, &d.document.correction)
        })
        .collect();
    vec![
        (
            "logs/trainings.csv",
            super::csv(
                &header(&[
                    "id",
                    "staff_id",
                    "topic",
                    "completed_on",
                    "hours",
                    "trainer",
                    "document_id",
                ]),
                &trainings,
            ),
        ),
        (
            "logs/meetings.csv",
            super::csv(
                &header(&[
                    "id",
                    "held_on",
                    "kind",
                    "attendees",
                    "patients_reviewed",
                    "documented_in_chart",
                    "follow_ups",
                    "follow_ups_completed",
                ]),
                &meetings,
            ),
        ),
        (
            "logs/care-plan-shares.csv",
            super::csv(
                &header(&[
                    "care_plan_id",
                    "care_plan_kind",
                    "discussed_on",
                    "share_id",
                    "partner_id",
                    "partner_name",
                    "shared_on",
                    "method",
                ]),
                &shares,
            ),
        ),
        (
            "logs/documents.csv",
            super::csv(
                &header(&[
                    "id",
                    "title",
                    "document_type",
                    "effective_on",
                    "criteria",
                    "file_name",
                    "media_type",
                    "size_bytes",
                    "sha256",
                    "path_in_packet",
                ]),
                &index,
            ),
        ),
    ]
}

/// The packet's FHIR R4 bundle of the period's care plans and their sharing.
pub const FHIR_CARE_PLANS: &str = "fhir/care-plans.json";

/// The packet's OSCAL assessment results: the practice's compliance as of the period's last day.
pub const OSCAL_ASSESSMENT_RESULTS: &str = "oscal/assessment-results.json";

/// The OSCAL assessment results of `status`, with the period's counted documents as back-matter
/// resources pointing at their files in the packet.
fn oscal_assessment(
    inputs: &PacketInputs,
    status: &view::PracticeCompliance,
    counted: &Records,
    catalogs: &CatalogSet,
) -> Result<Vec<u8>, CatalogNotLoaded> {
    use crate::standards::oscal;
    let catalog = catalogs.named(&inputs.practice.catalog_id, &inputs.practice.catalog_version)?;
    let documents: Vec<oscal::EvidenceDocument<'_>> = inputs
        .documents
        .iter()
        .filter(|d| !d.document.correction.is_voided() && d.document.effective_on <= status.as_of)
        .map(|document| oscal::EvidenceDocument {
            document,
            href: format!("../{}", evidence_path(document)),
        })
        .collect();
    Ok(oscal::to_json(&oscal::assessment_results(&oscal::PracticeAssessment {
        compliance: status,
        catalog,
        records: counted,
        documents: &documents,
    })))
}

/// Writes the packet of `inputs` for `period` to `out` and returns it (rewound) with its manifest, signed with `key`; evidence files are read from `files`.
pub fn assemble<W: Write + Seek>(
    out: W,
    inputs: &PacketInputs,
    period: Period,
    catalogs: &CatalogSet,
    key: &PacketKey,
    files: &dyn EvidenceFiles,
) -> Result<(W, Manifest), PacketError> {
    // The status counts today's corrected records; the logs list every record, voided ones marked.
    let counted = inputs.records.without_voided();
    let status = view::practice_compliance(catalogs, inputs.practice.clone(), &counted, period.to)?;
    let manifest = Manifest {
        format: super::FORMAT.into(),
        practice: ManifestPractice {
            id: inputs.practice.id.0,
            name: inputs.practice.name.clone(),
        },
        organization: ManifestOrganization {
            id: inputs.organization.id.0,
            name: inputs.organization.name.clone(),
        },
        period,
        catalog_id: inputs.practice.catalog_id.clone(),
        catalog_version: inputs.practice.catalog_version.clone(),
        generator: super::GENERATOR.into(),
        files: Vec::new(),
    };
    let attestations: Vec<_> = inputs
        .records
        .attestations
        .iter()
        .filter(|a| a.effective_on <= period.to)
        .collect();
    let logs = logs(&inputs.records, &period, &inputs.documents);
    let mut names: Vec<String> = vec!["report.html".into(), "status.json".into(), "attestations.json".into()];
    names.extend(logs.iter().map(|(n, _)| (*n).to_owned()));
    names.push("audit-events.json".into());
    names.push(FHIR_CARE_PLANS.into());
    names.push(OSCAL_ASSESSMENT_RESULTS.into());
    names.extend(inputs.documents.iter().map(evidence_path));

    let mut writer = PacketWriter::new(out);
    let corrections = corrections(&inputs.records, &period, &inputs.documents);
    let html = super::report_html(&manifest, &status, &names, &corrections);
    let write = |writer: &mut PacketWriter<W>, name: &str, bytes: &[u8]| writer.add_bytes(name, bytes);
    write(&mut writer, "report.html", html.as_bytes())?;
    write(&mut writer, "status.json", &json(&status)?)?;
    write(&mut writer, "attestations.json", &json(&attestations)?)?;
    for (name, content) in &logs {
        write(&mut writer, name, content.as_bytes())?;
    }
    write(&mut writer, "audit-events.json", &json(&inputs.events)?)?;
    let care_plans = crate::standards::fhir::care_plans_bundle(
        &inputs.practice,
        &inputs.records.staff,
        &inputs.records.care_plans,
        period,
    );
    write(&mut writer, FHIR_CARE_PLANS, &json(&care_plans)?)?;
    let assessment = oscal_assessment(inputs, &status, &counted, catalogs)?;
    write(&mut writer, OSCAL_ASSESSMENT_RESULTS, &assessment)?;
    for document in &inputs.documents {
        let mut content = files.open(&document.file.sha256)?;
        writer.add(&evidence_path(document), &mut content)?;
    }
    let (mut out, manifest) = writer.finish(manifest, key)?;
    out.seek(SeekFrom::Start(0))?;
    Ok((out, manifest))
}

/// A packet's JSON file: pretty-printed.
fn json<T: Serialize + ?Sized>(value: &T) -> io::Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(io::Error::other)
}

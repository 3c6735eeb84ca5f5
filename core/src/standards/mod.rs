//! Exports in the formats other tools read: NIST OSCAL for the catalog and the assessment,
//! HL7 FHIR R4 for advance-care-plan sharing. Pure functions of the same views the API and the
//! packets use.

pub mod fhir;
pub mod oscal;

/// An export as pretty-printed JSON bytes ending in a newline: the same value always gives the
/// same bytes (the documents hold no maps whose order could vary).
pub fn to_json<T: serde::Serialize>(document: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(document).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

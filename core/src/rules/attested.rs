//! The attested view: the computed status beside the current attestation, whether an
//! attestation still holds after a catalog upgrade, and what falls due by 30/60/90 days.

use chrono::NaiveDate;
use serde::Serialize;

use crate::catalog::{Catalog, CatalogSet, CriterionId, MappingChange, Scope};
use crate::records::{Attestation, AttestedStatus};

use super::{DueItem, Status};

/// How far ahead the attested view looks: the widest window.
pub const DUE_HORIZON_DAYS: u32 = 90;

/// Whether the computed status and the current attestation say the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    /// They say the same.
    Agrees,
    /// They differ.
    Disagrees,
    /// There is no current attestation to compare with.
    Unattested,
    /// The criterion is assessed at the other level (a PO-level criterion in a practice's view):
    /// its attestation is compared where it is assessed.
    NotAssessedHere,
}

/// The comparison of the computed status with the current attestation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Agreement {
    /// Whether they agree.
    pub status: AgreementStatus,
    /// True when they disagree: the flag to act on.
    pub disagreement: bool,
    /// Why, in plain words.
    pub reason: String,
}

/// The computed status that matches an attested status.
pub fn matching_status(attested: AttestedStatus) -> Status {
    match attested {
        AttestedStatus::InPlace => Status::Met,
        AttestedStatus::PartiallyInPlace => Status::PartiallyMet,
        AttestedStatus::NotInPlace => Status::NotMet,
        AttestedStatus::NotApplicable => Status::NotApplicable,
    }
}

/// The comparison for a criterion that `subject` does not assess: nothing to compare here.
pub fn not_assessed_here(criterion: &CriterionId, subject: Scope) -> Agreement {
    let elsewhere = match subject {
        Scope::Practice => "for the physician organization as a whole: its attestation is compared in the PO's view",
        Scope::PhysicianOrganization => "for each practice: its attestations are compared in the practices' views",
    };
    Agreement {
        status: AgreementStatus::NotAssessedHere,
        disagreement: false,
        reason: format!("{criterion} is assessed {elsewhere}"),
    }
}

/// Whether the computed status agrees with the current attestation, if any, without the words.
pub fn agreement_status(computed: Status, attestation: Option<&Attestation>) -> AgreementStatus {
    match attestation {
        None => AgreementStatus::Unattested,
        Some(a) if matching_status(a.status) == computed => AgreementStatus::Agrees,
        Some(_) => AgreementStatus::Disagrees,
    }
}

/// Compares the computed status of `criterion` with its current attestation, if any.
pub fn compare(criterion: &CriterionId, computed: Status, attestation: Option<&Attestation>) -> Agreement {
    let status = agreement_status(computed, attestation);
    let reason = match attestation {
        None => format!("{criterion} has no current attestation; computed {}", computed.label()),
        Some(a) => format!(
            "attested {} effective {}{} the records show it {}",
            a.status.label(),
            a.effective_on,
            if status == AgreementStatus::Agrees {
                " and"
            } else {
                ", but"
            },
            computed.label()
        ),
    };
    Agreement {
        status,
        disagreement: status == AgreementStatus::Disagrees,
        reason,
    }
}

/// Why `attestation` no longer holds under `catalog`, or nothing when it carries over.
///
/// An attestation made under an older version carries over only when every mapping from
/// that version up to `catalog` kept the criterion; a changed, split or retired criterion (or
/// one that did not exist then, or a chain that cannot be traced) needs a new attestation.
pub fn needs_reattestation(catalogs: &CatalogSet, catalog: &Catalog, attestation: &Attestation) -> Option<String> {
    needs_reattestation_in(|v| catalogs.get(&catalog.id, v), catalog, attestation)
}

/// [`needs_reattestation`] with the earlier versions looked up by `previous`.
pub fn needs_reattestation_in<'a>(
    previous: impl Fn(&semver::Version) -> Option<&'a Catalog>,
    catalog: &'a Catalog,
    attestation: &Attestation,
) -> Option<String> {
    let made_under = attestation.catalog_version.as_str();
    let Ok(attested_version) = semver::Version::parse(made_under) else {
        return Some(format!(
            "the attestation was made under catalog version {made_under}, which cannot be traced to {}",
            catalog.version
        ));
    };
    if attested_version >= catalog.version {
        return None;
    }
    let mut ids = vec![attestation.criterion.clone()];
    let mut current = catalog;
    while current.version > attested_version {
        let Some(mapping) = &current.upgrade_from else {
            return Some(format!(
                "version {} does not map from an earlier version, so the attestation under {made_under} cannot be traced",
                current.version
            ));
        };
        let mut earlier = Vec::new();
        for entry in mapping.criteria.iter().filter(|m| m.to.iter().any(|t| ids.contains(t))) {
            if entry.change != MappingChange::Kept {
                return Some(format!(
                    "{} was {} in version {}: attest it again under {}",
                    entry.from,
                    change_words(entry.change),
                    current.version,
                    catalog.version
                ));
            }
            earlier.push(entry.from.clone());
        }
        if earlier.is_empty() {
            return Some(format!(
                "{} is new in version {}: attest it again under {}",
                attestation.criterion, current.version, catalog.version
            ));
        }
        ids = earlier;
        let Some(next) = previous(&mapping.version) else {
            return Some(format!(
                "version {} of {} is not loaded, so the attestation under {made_under} cannot be traced",
                mapping.version, catalog.id
            ));
        };
        current = next;
    }
    if current.version == attested_version && ids.contains(&attestation.criterion) {
        None
    } else {
        Some(format!(
            "the attestation under {made_under} does not map onto {} of version {}",
            attestation.criterion, catalog.version
        ))
    }
}

/// The version `to_version` of catalog `catalog_id` (as a user typed it) if something now
/// assessed against `from_version` may move to it; else why not, in plain words.
pub fn upgrade_target<'a>(
    catalogs: &'a CatalogSet,
    catalog_id: &str,
    from_version: &str,
    to_version: &str,
) -> Result<&'a Catalog, String> {
    let text = to_version.trim();
    let target = semver::Version::parse(text)
        .ok()
        .and_then(|v| catalogs.get(catalog_id, &v))
        .ok_or_else(|| {
            let known: Vec<String> = catalogs
                .iter()
                .filter(|(_, k)| k.id == catalog_id)
                .map(|(_, k)| k.version.to_string())
                .collect();
            format!("{catalog_id} has no version {text} (known: {})", known.join(", "))
        })?;
    let from = semver::Version::parse(from_version)
        .map_err(|_| format!("the catalog version in force, {from_version}, cannot be read"))?;
    check_upgrade(|v| catalogs.get(catalog_id, v), &from, target)
        .map_err(|why| format!("cannot upgrade to {text}: {why}"))?;
    Ok(target)
}

/// How a PO's practices move to one catalog version: which move (each with its target), and
/// which are already there.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationUpgrade<'a> {
    /// The practices that move, each with the version they move to.
    pub moving: Vec<(crate::ids::PracticeId, &'a Catalog)>,
    /// The practices already assessed against that version.
    pub already: Vec<crate::ids::PracticeId>,
}

/// Plans moving every practice of a PO to `to_version` (as a user typed it): all of them can, or
/// none moves and the reason names the first practice that cannot.
pub fn plan_organization_upgrade<'a>(
    catalogs: &'a CatalogSet,
    practices: &[crate::records::Practice],
    to_version: &str,
) -> Result<OrganizationUpgrade<'a>, String> {
    let text = to_version.trim();
    if practices.is_empty() {
        return Err("the PO has no practices to move; a new practice starts on the version in force".into());
    }
    // A version the catalog does not have is refused as such, before any practice is named.
    let first = &practices[0];
    let wanted = match semver::Version::parse(text) {
        Ok(v) if catalogs.get(&first.catalog_id, &v).is_some() => v,
        _ => {
            return Err(
                upgrade_target(catalogs, &first.catalog_id, &first.catalog_version, text)
                    .err()
                    .unwrap_or_else(|| format!("{} has no version {text}", first.catalog_id)),
            )
        }
    };
    let mut plan = OrganizationUpgrade {
        moving: Vec::new(),
        already: Vec::new(),
    };
    for practice in practices {
        match semver::Version::parse(&practice.catalog_version) {
            Ok(now) if now == wanted => plan.already.push(practice.id),
            Ok(now) if now > wanted => {
                return Err(format!(
                    "practice {} ({}) is already assessed against {} {}, later than {text}",
                    practice.id.0, practice.name, practice.catalog_id, practice.catalog_version
                ))
            }
            _ => {
                let target = upgrade_target(catalogs, &practice.catalog_id, &practice.catalog_version, text)
                    .map_err(|why| format!("practice {} ({}): {why}", practice.id.0, practice.name))?;
                plan.moving.push((practice.id, target));
            }
        }
    }
    if plan.moving.is_empty() {
        return Err(format!("every practice of the PO is already assessed against {text}"));
    }
    Ok(plan)
}

/// Whether `from` can be upgraded to `to`: a later version whose mapping chain reaches `from`.
/// On refusal, the reason in plain words.
pub fn check_upgrade<'a>(
    previous: impl Fn(&semver::Version) -> Option<&'a Catalog>,
    from: &semver::Version,
    to: &'a Catalog,
) -> Result<(), String> {
    if &to.version <= from {
        return Err(format!(
            "{} {} is not later than the version in force, {from}",
            to.id, to.version
        ));
    }
    let mut current = to;
    while &current.version > from {
        let Some(mapping) = &current.upgrade_from else {
            return Err(format!(
                "{} {} has no mapping chain back to {from} (it stops at {})",
                to.id, to.version, current.version
            ));
        };
        match previous(&mapping.version) {
            Some(next) => current = next,
            None => {
                return Err(format!(
                    "{} {} maps from {}, which is not loaded, so it does not reach {from}",
                    to.id, to.version, mapping.version
                ))
            }
        }
    }
    if &current.version == from {
        Ok(())
    } else {
        Err(format!(
            "{} {}'s mapping chain skips {from} (it goes to {})",
            to.id, to.version, current.version
        ))
    }
}

fn change_words(change: MappingChange) -> &'static str {
    match change {
        MappingChange::Kept => "kept",
        MappingChange::Changed => "changed",
        MappingChange::Split => "split",
        MappingChange::Retired => "retired",
    }
}

/// Which window a due item falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueWindow {
    /// The day has passed.
    Overdue,
    /// Due today or within 30 days.
    #[serde(rename = "within_30_days")]
    Within30Days,
    /// Due in 31 to 60 days.
    #[serde(rename = "within_60_days")]
    Within60Days,
    /// Due in 61 to 90 days.
    #[serde(rename = "within_90_days")]
    Within90Days,
}

/// A due item with the window it falls in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct WindowedDue {
    /// The window: overdue, or within 30, 60 or 90 days.
    pub window: DueWindow,
    /// The last day it can be done in time.
    pub due_on: NaiveDate,
    /// What is due, in plain words.
    pub what: String,
    /// Whether the day has already passed.
    pub overdue: bool,
    /// The records it concerns.
    pub records: Vec<crate::records::RecordRef>,
}

/// The window `due_on` falls in as of `as_of`, or nothing beyond 90 days.
pub fn window(as_of: NaiveDate, due_on: NaiveDate) -> Option<DueWindow> {
    let days = (due_on - as_of).num_days();
    match days {
        d if d < 0 => Some(DueWindow::Overdue),
        0..=30 => Some(DueWindow::Within30Days),
        31..=60 => Some(DueWindow::Within60Days),
        61..=90 => Some(DueWindow::Within90Days),
        _ => None,
    }
}

/// The due items within 90 days (and those overdue), each with its window, by date.
pub fn bucket(as_of: NaiveDate, due: &[DueItem]) -> Vec<WindowedDue> {
    let mut items: Vec<WindowedDue> = due
        .iter()
        .filter_map(|item| {
            window(as_of, item.due_on).map(|window| WindowedDue {
                window,
                due_on: item.due_on,
                what: item.what.clone(),
                overdue: item.overdue,
                records: item.records.clone(),
            })
        })
        .collect();
    items.sort_by(|a, b| (a.due_on, &a.what).cmp(&(b.due_on, &b.what)));
    items
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::catalog::{
        AttestationRequirement, CalendarDuration, Criterion, CriterionMapping, EvidenceRequirement, Scope,
        UpgradeMapping,
    };

    fn criterion(id: &str) -> Criterion {
        Criterion {
            id: cid(id),
            title: format!("Criterion {id}"),
            text: "Text.".into(),
            scope: Scope::Practice,
            population: Vec::new(),
            related: Vec::new(),
            allow_not_applicable: false,
            evidence: vec![EvidenceRequirement::Attestation(AttestationRequirement {
                within: CalendarDuration::months(12),
            })],
        }
    }

    fn mapping(from: &str, change: MappingChange, to: &[&str]) -> CriterionMapping {
        CriterionMapping {
            from: cid(from),
            change,
            to: to.iter().map(|t| cid(t)).collect(),
            note: None,
        }
    }

    fn version(v: &str) -> semver::Version {
        semver::Version::parse(v).expect("a test version")
    }

    /// 1.0.0 has 4.1, 4.2, 4.3, 4.4; 1.1.0 keeps 4.1, changes 4.2, splits 4.3 into 4.3 and 4.30,
    /// retires 4.4 and adds 4.5; 1.2.0 keeps everything.
    pub(in crate::rules) fn catalogs() -> Vec<Catalog> {
        let mut v1 = vocabulary_catalog();
        v1.criteria = ["4.1", "4.2", "4.3", "4.4"].iter().map(|c| criterion(c)).collect();
        let mut v11 = vocabulary_catalog();
        v11.version = version("1.1.0");
        v11.criteria = ["4.1", "4.2", "4.3", "4.30", "4.5"]
            .iter()
            .map(|c| criterion(c))
            .collect();
        v11.upgrade_from = Some(UpgradeMapping {
            version: version("1.0.0"),
            criteria: vec![
                mapping("4.1", MappingChange::Kept, &["4.1"]),
                mapping("4.2", MappingChange::Changed, &["4.2"]),
                mapping("4.3", MappingChange::Split, &["4.3", "4.30"]),
                mapping("4.4", MappingChange::Retired, &[]),
            ],
        });
        let mut v12 = v11.clone();
        v12.version = version("1.2.0");
        v12.upgrade_from = Some(UpgradeMapping {
            version: version("1.1.0"),
            criteria: ["4.1", "4.2", "4.3", "4.30", "4.5"]
                .iter()
                .map(|c| mapping(c, MappingChange::Kept, &[c]))
                .collect(),
        });
        vec![v1, v11, v12]
    }

    pub(in crate::rules) fn attestation(criterion: &str, version: &str) -> Attestation {
        let mut book = Book::new();
        book.attest(criterion, AttestedStatus::InPlace, "2026-06-01");
        let mut a = book.records.attestations.remove(0);
        a.catalog_version = version.into();
        a
    }

    fn check(catalogs: &[Catalog], at: usize, criterion: &str, made_under: &str) -> Option<String> {
        let lookup = |v: &semver::Version| catalogs.iter().find(|c| &c.version == v);
        needs_reattestation_in(lookup, &catalogs[at], &attestation(criterion, made_under))
    }

    #[test]
    fn agreement_pairs_each_attested_status_with_its_computed_status() {
        let mut book = Book::new();
        let pairs = [
            (AttestedStatus::InPlace, Status::Met),
            (AttestedStatus::PartiallyInPlace, Status::PartiallyMet),
            (AttestedStatus::NotInPlace, Status::NotMet),
            (AttestedStatus::NotApplicable, Status::NotApplicable),
        ];
        for (attested, computed) in pairs {
            book.attest("4.1", attested, "2026-06-01");
            let a = book.records.attestations.last().expect("an attestation");
            let agreement = compare(&cid("4.1"), computed, Some(a));
            assert_eq!(agreement.status, AgreementStatus::Agrees, "{attested:?}");
            assert!(!agreement.disagreement);
        }
    }

    #[test]
    fn disagreement_is_flagged_both_ways() {
        let mut book = Book::new();
        book.attest("4.1", AttestedStatus::InPlace, "2026-06-01");
        book.attest("4.2", AttestedStatus::NotInPlace, "2026-06-01");
        let in_place = &book.records.attestations[0];
        let not_in_place = &book.records.attestations[1];
        let a = compare(&cid("4.1"), Status::NotMet, Some(in_place));
        assert!(a.disagreement);
        assert_eq!(a.status, AgreementStatus::Disagrees);
        assert_eq!(
            a.reason,
            "attested in place effective 2026-06-01, but the records show it not met"
        );
        let b = compare(&cid("4.2"), Status::Met, Some(not_in_place));
        assert!(b.disagreement);
        assert!(b.reason.contains("not in place"), "{}", b.reason);
        // Partially met is not in place.
        assert!(compare(&cid("4.1"), Status::PartiallyMet, Some(in_place)).disagreement);
    }

    #[test]
    fn no_attestation_is_unattested_and_not_a_disagreement() {
        let a = compare(&cid("4.1"), Status::Met, None);
        assert_eq!(a.status, AgreementStatus::Unattested);
        assert!(!a.disagreement);
    }

    #[test]
    fn kept_criteria_carry_over_and_the_others_need_reattestation() {
        let set = catalogs();
        assert_eq!(check(&set, 1, "4.1", "1.0.0"), None);
        let changed = check(&set, 1, "4.2", "1.0.0").expect("changed needs re-attestation");
        assert_eq!(changed, "4.2 was changed in version 1.1.0: attest it again under 1.1.0");
        assert!(check(&set, 1, "4.3", "1.0.0").expect("split").contains("split"));
        assert!(check(&set, 1, "4.30", "1.0.0").expect("split part").contains("split"));
        // A criterion new in 1.1.0 cannot carry an attestation under 1.0.0.
        assert!(check(&set, 1, "4.5", "1.0.0")
            .expect("new")
            .contains("new in version 1.1.0"));
    }

    #[test]
    fn an_attestation_under_the_version_in_force_holds() {
        let set = catalogs();
        assert_eq!(check(&set, 1, "4.2", "1.1.0"), None);
        assert_eq!(check(&set, 0, "4.4", "1.0.0"), None);
    }

    #[test]
    fn the_chain_is_walked_through_every_version() {
        let set = catalogs();
        assert_eq!(check(&set, 2, "4.1", "1.0.0"), None);
        assert!(check(&set, 2, "4.2", "1.0.0")
            .expect("changed two versions back")
            .contains("1.1.0"));
        assert_eq!(check(&set, 2, "4.2", "1.1.0"), None);
        // 1.1.0 missing: cannot be traced.
        let without = vec![set[0].clone(), set[2].clone()];
        assert!(check(&without, 1, "4.1", "1.0.0")
            .expect("untraceable")
            .contains("not loaded"));
    }

    #[test]
    fn an_unreadable_version_needs_reattestation() {
        assert!(check(&catalogs(), 1, "4.1", "one").is_some());
    }

    #[test]
    fn upgrades_go_only_forward_along_the_chain() {
        let set = catalogs();
        let lookup = |v: &semver::Version| set.iter().find(|c| &c.version == v);
        assert_eq!(check_upgrade(lookup, &version("1.0.0"), &set[1]), Ok(()));
        assert_eq!(check_upgrade(lookup, &version("1.0.0"), &set[2]), Ok(()));
        assert!(check_upgrade(lookup, &version("1.1.0"), &set[1]).is_err());
        assert!(check_upgrade(lookup, &version("1.2.0"), &set[1])
            .expect_err("a downgrade")
            .contains("not later"));
        // A version the chain does not pass through.
        assert!(check_upgrade(lookup, &version("1.0.5"), &set[1])
            .expect_err("skipped")
            .contains("skips"));
        let only_latest = |v: &semver::Version| set[2..].iter().find(|c| &c.version == v);
        assert!(check_upgrade(only_latest, &version("1.0.0"), &set[2])
            .expect_err("missing link")
            .contains("not loaded"));
    }

    fn item(due_on: &str, as_of: &str) -> DueItem {
        DueItem {
            due_on: d(due_on),
            what: format!("renew by {due_on}"),
            overdue: d(due_on) < d(as_of),
            records: Vec::new(),
        }
    }

    #[test]
    fn due_windows_on_their_boundaries() {
        let as_of = d("2026-11-24");
        assert_eq!(window(as_of, d("2026-11-23")), Some(DueWindow::Overdue));
        assert_eq!(window(as_of, d("2026-11-24")), Some(DueWindow::Within30Days));
        assert_eq!(window(as_of, d("2026-12-24")), Some(DueWindow::Within30Days)); // day 30
        assert_eq!(window(as_of, d("2026-12-25")), Some(DueWindow::Within60Days)); // day 31
        assert_eq!(window(as_of, d("2027-01-23")), Some(DueWindow::Within60Days)); // day 60
        assert_eq!(window(as_of, d("2027-01-24")), Some(DueWindow::Within90Days)); // day 61
        assert_eq!(window(as_of, d("2027-02-22")), Some(DueWindow::Within90Days)); // day 90
        assert_eq!(window(as_of, d("2027-02-23")), None); // day 91
    }

    #[test]
    fn bucketing_sorts_and_drops_what_is_beyond_ninety_days() {
        let as_of = "2026-11-24";
        let due = vec![
            item("2027-03-01", as_of),
            item("2027-01-10", as_of),
            item("2026-11-01", as_of),
        ];
        let buckets = bucket(d(as_of), &due);
        assert_eq!(buckets.len(), 2);
        assert_eq!(buckets[0].window, DueWindow::Overdue);
        assert!(buckets[0].overdue);
        assert_eq!(buckets[1].window, DueWindow::Within60Days);
        let names = serde_json::to_value([DueWindow::Within30Days, DueWindow::Within90Days]).expect("JSON");
        assert_eq!(names, serde_json::json!(["within_30_days", "within_90_days"]));
    }
}

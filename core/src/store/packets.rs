//! What an auditor packet is made from, read from the store.

use super::audit::{self, EventFilter};
use super::documents::{self, DocumentFilter};
use super::{organizations, Connection, DateRange, Listing, Page, StoreResult};
use crate::ids::PracticeId;
use crate::packet::{PacketInputs, Period};
use crate::records::Owner;

/// Every page of a store listing.
fn all_pages<T>(
    conn: &mut Connection,
    mut page: impl FnMut(&mut Connection, Page) -> StoreResult<Listing<T>>,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let listing = page(conn, Page { limit: 500, offset })?;
        let count = listing.items.len() as i64;
        out.extend(listing.items);
        offset += 500;
        if count < 500 || offset >= listing.total {
            return Ok(out);
        }
    }
}

/// What the packet of practice `id` for `period` is made from. Call it inside
/// [`Connection::snapshot`] so that every part is read at one moment.
pub fn inputs(conn: &mut Connection, id: PracticeId, period: Period) -> StoreResult<PacketInputs> {
    // Every record, voided ones flagged: the logs list them, the status leaves them out.
    let (practice, records) = super::records::for_practice_known(conn, id, super::voids::Known::everything())?;
    let organization = organizations::get(conn, practice.organization_id)?;
    let range = DateRange {
        from: Some(period.from),
        to: Some(period.to),
    };
    let mut documents = all_pages(conn, |c, page| {
        documents::list(c, Owner::Practice(id), &DocumentFilter::default(), range, page)
    })?;
    documents.sort_by_key(|d| (d.document.effective_on, d.document.id.0));
    let filter = EventFilter {
        practice: Some(id),
        since: period.from.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
        until: period
            .to
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc()),
        except_action: Some("export".into()),
        ..EventFilter::default()
    };
    // Exports are reads: leaving them out keeps a second export of the same period identical.
    let events = all_pages(conn, |c, page| audit::list(c, &filter, page))?;
    Ok(PacketInputs {
        practice,
        organization,
        records,
        documents,
        events,
    })
}

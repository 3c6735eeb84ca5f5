-- The day a practice joined its PO, when known: a PO's trend counts the practice from that day on.
ALTER TABLE practices ADD COLUMN joined_on DATE;

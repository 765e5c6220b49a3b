-- Click ingestion, second pass (store.RecordClicks): the batch statement's
-- probe of the visitor's clicks through clicks_visitor, which it makes
-- anyway for the repeat check, now also tells whether the visitor already
-- had a click that day. The visitor-day tables (0004) cost two speculative
-- inserts per click for the same answer and go.
DROP FUNCTION click_visitor_days_covered();
DROP FUNCTION click_visitor_days_from();
DROP TABLE affiliate_visitor_days;
DROP TABLE click_visitor_days;

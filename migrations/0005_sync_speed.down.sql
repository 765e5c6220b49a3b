DROP TRIGGER conversions_rollup_insert ON conversions;
DROP TRIGGER conversions_rollup_update ON conversions;
DROP TRIGGER conversions_rollup_delete ON conversions;
DROP FUNCTION conversions_rollup_inserted();
DROP FUNCTION conversions_rollup_updated();
DROP FUNCTION conversions_rollup_deleted();
CREATE TRIGGER conversions_rollup_insert AFTER INSERT ON conversions
    FOR EACH ROW EXECUTE FUNCTION conversions_rollup();
CREATE TRIGGER conversions_rollup_delete AFTER DELETE ON conversions
    FOR EACH ROW EXECUTE FUNCTION conversions_rollup();
CREATE TRIGGER conversions_rollup_update AFTER UPDATE ON conversions
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.amount IS DISTINCT FROM NEW.amount
        OR OLD.commission IS DISTINCT FROM NEW.commission OR OLD.currency IS DISTINCT FROM NEW.currency
        OR OLD.affiliate_id IS DISTINCT FROM NEW.affiliate_id OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION conversions_rollup();
DROP INDEX stripe_charges_invoice;

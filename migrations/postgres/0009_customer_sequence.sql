-- Lago's per-organization customer number (`sequential_id`, and the `slug` built from it):
-- numbered per service in creation order, unique per service.
ALTER TABLE customers ADD COLUMN sequential_id BIGINT;
UPDATE customers SET sequential_id = (
    SELECT COUNT(*) FROM customers c2
    WHERE c2.service_id = customers.service_id
      AND (c2.created_at < customers.created_at
           OR (c2.created_at = customers.created_at AND c2.lago_id <= customers.lago_id)));
CREATE UNIQUE INDEX customers_sequence ON customers(service_id, sequential_id);

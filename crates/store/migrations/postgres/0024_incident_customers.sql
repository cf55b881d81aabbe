-- Which customers each incident concerns, a row per customer and incident, for a customer's
-- incidents (client area), instead of an index entry per service (see the SQLite migration
-- of the same number).
CREATE TABLE incident_customers (
    customer    TEXT   NOT NULL,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    PRIMARY KEY (customer, incident_id)
);
INSERT INTO incident_customers (customer, incident_id)
    SELECT DISTINCT customer, incident_id FROM incident_services WHERE customer IS NOT NULL;
DROP INDEX incident_services_customer;

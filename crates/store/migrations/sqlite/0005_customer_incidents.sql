-- The client area lists a customer's incidents: find them by customer, newest first.
CREATE INDEX incident_services_customer ON incident_services (customer, incident_id);

-- Two of the outbox's indexes held every row although their queries read a few: the retrying
-- index (migration 20) took in every notice at its first claim (attempts > 0) and moved it
-- again at its verdict; the customer's sent notices index took in every notice at queueing,
-- unsent, and moved it when sent. A fan-out's 10,000 notices made 40,000 index writes for
-- rows no query reads through them. Now each holds only the rows its query asks for: the
-- queued notices being retried, the notices sent.
DROP INDEX outbox_retrying;
CREATE INDEX outbox_retrying ON outbox (state) WHERE state = 'queued' AND attempts > 0;
DROP INDEX outbox_customer_sent;
CREATE INDEX outbox_customer_sent ON outbox (customer, sent_ms) WHERE sent_ms IS NOT NULL;

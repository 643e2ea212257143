-- Usage is read per stream (service, subscription, metric code) in insertion order by the
-- usage cache (only rows stored since its last read). Replaces the (…, timestamp) index:
-- window reads filter the stream's rows by timestamp, and ingest keeps one secondary index.
DROP INDEX events_window;
CREATE INDEX events_stream ON events(service_id, external_subscription_id, code, seq);

-- Batch import reruns (R-APP-9): a rerun of a list looks up every row's content identity
-- (businesses.details.batch_ref, written by apply_card for batch rows) to skip what an earlier,
-- interrupted run already committed. Area: input (offline/services/batch.py).
CREATE INDEX businesses_batch_ref ON businesses(json_extract(details, '$.batch_ref'));

-- How SitePulse checked a face match made on the device: '', 'confirmed', 'mismatch'
-- or 'unverifiable' (see streams/frame_matcher.py).
ALTER TABLE gate_passes ADD COLUMN verification String DEFAULT '' AFTER snapshot_ref

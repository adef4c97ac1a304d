-- Expired holds are found by the hold sweep (every node) without scanning appointments.
CREATE INDEX IF NOT EXISTS ix_appointments_held_expiry ON appointments (hold_expires_at) WHERE status = 'held';

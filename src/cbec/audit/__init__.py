"""The audit trail: every state change as a hash-chained event."""

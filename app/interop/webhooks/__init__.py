"""Webhooks: the outbox's deliveries sent, retried, and shown to the admin."""

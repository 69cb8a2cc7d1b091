"""Notifications: the engine, the outbox and the channels (Telegram, email, Web Push)."""

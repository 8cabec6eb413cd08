"""The outbox, message templates, delivery with retries, and who gets told what."""

"""Text messages: the second channel behind the outbox, with replies that answer."""

"""Message modules, one per area; each defines ``MESSAGES: dict[str, tuple[str, str]]`` of (zh, en)."""

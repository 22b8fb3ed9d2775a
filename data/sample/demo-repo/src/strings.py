"""Small string helpers used by the demo."""


def slugify(title: str) -> str:
    """Lower-case words joined by dashes, keeping letters and digits only."""
    words = []
    for word in title.lower().split():
        kept = "".join(ch for ch in word if ch.isalnum())
        if kept:
            words.append(kept)
    return "-".join(words)


def truncate(text: str, limit: int, ellipsis: str = "...") -> str:
    """Cut text to at most `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))] + ellipsis

"""How a person's name is shown everywhere (pages, e-mails, exports, calendar files)."""


def display_name(user):
    """Chinese names read family name first with no space (王建国); others "First Last"; else username."""
    if user is None:
        return "—"
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip() or user.get_username()

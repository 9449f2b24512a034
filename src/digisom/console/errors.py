"""What a console page refuses with: a status and a plain sentence, shown as a page."""

from __future__ import annotations


class ConsoleRefusal(Exception):
    """A request the console refuses: shown as an error page with `status`, never a trace."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


class NotSignedIn(Exception):
    """No valid session: the browser is sent to the sign-in page."""

"""The one shape of an error a service raises for the user to read."""

from __future__ import annotations


class ServiceError(Exception):
    """Refused input or a move not allowed now: `message` (Vietnamese, possibly lazy) is shown
    to the user as it is, with the HTTP `status` that fits."""

    def __init__(self, message, status: int = 400):
        super().__init__(str(message))
        self.message = message
        self.status = status

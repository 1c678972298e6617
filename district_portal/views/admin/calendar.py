"""Admin console section: calendar (issue 13)."""

from district_portal.views.admin import bp  # noqa: F401

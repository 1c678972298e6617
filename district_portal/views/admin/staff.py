"""Admin console section: staff (issue 13)."""

from district_portal.views.admin import bp  # noqa: F401

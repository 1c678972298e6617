"""Admin console section: forms (issue 13)."""

from district_portal.views.admin import bp  # noqa: F401

"""Admin console section: procedures (issue 13)."""

from district_portal.views.admin import bp  # noqa: F401

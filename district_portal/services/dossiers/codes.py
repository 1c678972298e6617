"""Moved to district_portal.codes (pure, shared by the forms and the services). This name is
kept only for the existing imports in tests/ and bench/ (the tests also reach `secrets`
through it); new code imports district_portal.codes. Remove once those imports moved."""

from district_portal.codes import *  # noqa: F403
from district_portal.codes import __all__, secrets  # noqa: F401

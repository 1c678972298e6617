"""The test suite; shared code is imported absolutely: `from tests.helpers import ...`."""

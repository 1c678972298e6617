"""Browser tests: headless Chromium driven by Playwright."""

"""Shared test helpers: databases, apps, clients that speak CSRF, a live server for Chromium."""

"""Queue (排队叫号): check-in by scan, calling patients, live status on phones and the board."""

"""A payment platform stand-in for development (/dev/pay): WeChat Pay API v3, its payer page and notifications."""

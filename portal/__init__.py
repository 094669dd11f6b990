"""Yimatong (一码通): a hospital patient portal built for older patients."""

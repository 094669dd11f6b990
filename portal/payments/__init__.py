"""Payments (手机缴费). For now only the bill records other features create; pages come later."""

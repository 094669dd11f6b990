"""The audit log: every scan and every staff action, who, where, which patient, when."""

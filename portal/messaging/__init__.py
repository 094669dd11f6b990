"""Text messages (SMS) to patients through a pluggable sender; a development outbox."""

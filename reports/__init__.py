"""What maintainers read: alert digests and the notifiers that deliver them, and the link-rot report in its formats."""

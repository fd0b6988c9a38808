"""The command line and, later, the daemon and the one-shot run for cron."""

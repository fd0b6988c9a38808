"""The `citewatch` command line (cli.py) and the daemon (daemon.py), over the library in
citewatch.facade."""

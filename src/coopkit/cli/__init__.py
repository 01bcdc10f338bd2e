"""The `coop` command line: parse, call one service, print, map errors to exit codes."""

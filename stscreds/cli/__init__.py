"""The command line (see main.py): one module per command maps flags to the use cases in
commands/ and renders what they return; common.py holds what they share."""

"""The version of stscreds, for `--version` and the user agent of its calls to AWS."""

VERSION = "0.1.0"

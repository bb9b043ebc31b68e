"""stscreds: swap long-term AWS keys for MFA-authenticated session credentials.

Kept empty on purpose: `stscreds read` imports this package on every new shell.
"""

__version__ = "0.1.0"

"""Accounts: sign-up, sign-in, password reset, invitations, profiles and roles."""

"""Consent: withdrawal, retention purges, a contributor's data download and account deletion."""

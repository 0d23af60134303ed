"""Payout batches: earnings paid through PayPal Payouts or a manual CSV."""

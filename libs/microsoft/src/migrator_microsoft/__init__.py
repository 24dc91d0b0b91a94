"""Calling Microsoft: where its endpoints are, the app's tokens per tenant, and Microsoft Graph."""

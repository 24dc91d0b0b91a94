"""TEAMS jobs: channels, messages and replies imported in migration mode; channel files through SharePoint."""

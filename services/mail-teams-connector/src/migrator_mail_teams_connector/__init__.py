"""mail-teams-connector: EMAIL and TEAMS jobs through Microsoft Graph."""

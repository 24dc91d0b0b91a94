"""atlassian-connector's rules without I/O: status nodes and the decisions of a migration."""

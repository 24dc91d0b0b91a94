"""EMAIL jobs: mailboxes through the Graph mailbox import and export API."""

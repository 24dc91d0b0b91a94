"""SharePoint site migrations through the SharePoint Migration API."""

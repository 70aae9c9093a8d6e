"""What every record page (contact, organization, deal) shows the same way."""

"""LogiSense-style billing: REST client, provisioner (two accounts + packages per customer), simulator."""

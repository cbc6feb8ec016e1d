"""LogiSense Billing (REST v10): client, reply parsers, provisioner (two accounts + packages per
customer), bulk read-back, and a simulator that answers in the documented shapes."""

"""What every connector shares: typed errors, retries, the order contract, the simulator HTTP base."""

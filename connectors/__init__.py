"""External systems: one package per system, each with a client and a loopback simulator."""

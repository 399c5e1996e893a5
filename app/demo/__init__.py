"""The one-command demo: its organization and its simulated history (uses the simulator)."""

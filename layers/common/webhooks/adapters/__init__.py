"""Adapters: the only modules that talk to AWS or the network; each takes its client in its constructor."""

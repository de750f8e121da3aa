"""The local stack: template.yaml's data plane on an embedded AWS emulator, a local API gateway and pollers."""

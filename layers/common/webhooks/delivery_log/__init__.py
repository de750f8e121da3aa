"""Manage's side of the delivery log: queries over it, and the deliveries an admin asks for again."""

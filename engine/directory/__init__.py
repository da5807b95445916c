"""The directory: the region tree, units and actors, and the one rule of what an actor reaches (``access``)."""
